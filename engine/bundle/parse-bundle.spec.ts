/** Step 1: files parse and match their kind's schema; every problem of every file at once. */
import { describe, expect, it } from '@jest/globals';
import { makeBundle } from '../testing/bundle-factory.js';
import { parseBundle } from './parse-bundle.js';

function issuesOf(files: Record<string, string>): string[] {
  return parseBundle(files).issues.map((issue) => `${issue.code} ${issue.file}#${issue.pointer}`);
}

describe('parseBundle', () => {
  it('parses a valid bundle and files definitions by kind', () => {
    const result = parseBundle(makeBundle({ fields: [{ key: 'a', type: 'text', label: 'A' }], lookups: [{ key: 'l', label: 'L', values: [] }] }));
    expect(result.issues).toEqual([]);
    expect(result.bundle?.key).toBe('test');
    expect(result.bundle?.forms.map((f) => f.file)).toEqual(['forms/m.case.main_form.json']);
    expect(result.bundle?.lookups[0]?.def.key).toBe('l');
    expect(result.bundle?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.isFrozen(result.bundle?.forms[0]?.def)).toBe(true);
  });

  it.each([
    ['unknown path', { 'stuff/readme.txt': 'hello' }, ['unknown_file stuff/readme.txt#']],
    ['nested folder', { 'forms/old/x.json': '{}' }, ['unknown_file forms/old/x.json#']],
    ['syntax error', { 'lookups/l.json': '{ "key": "l", ' }, ['invalid_json lookups/l.json#']],
    ['missing property', { 'lookups/l.json': '{"key":"l","values":[]}' }, ['missing_property lookups/l.json#/label']],
    ['unknown property', { 'lookups/l.json': '{"key":"l","label":"L","values":[],"colour":"red"}' }, ['unknown_property lookups/l.json#/colour']],
    ['wrong type', { 'lookups/l.json': '{"key":"l","label":"L","values":{}}' }, ['invalid_type lookups/l.json#/values']],
    ['bad key', { 'lookups/l.json': '{"key":"Bad-Key","label":"L","values":[]}' }, ['invalid_format lookups/l.json#/key']],
    ['bad option value', { 'lookups/l.json': '{"key":"l","label":"L","values":[{"value":" x","label":"X"}]}' }, ['invalid_format lookups/l.json#/values/0/value']],
    ['empty label', { 'lookups/l.json': '{"key":"l","label":"","values":[]}' }, ['too_short lookups/l.json#/label']],
    ['bad enum', { 'locales.json': '{"locales":[{"code":"en","name":"English","direction":"up"}]}' }, ['invalid_value locales.json#/locales/0/direction']],
  ])('%s', (_name, extra, expected) => {
    expect(issuesOf({ ...makeBundle(), ...extra })).toEqual(expected);
  });

  it.each([
    ['unknown field type', { key: 'a', type: 'colour', label: 'A' }, ['unknown_field_type forms/m.case.main_form.json#/fields/0/type']],
    ['missing field type', { key: 'a', label: 'A' }, ['missing_property forms/m.case.main_form.json#/fields/0/type']],
    ['property of another type', { key: 'a', type: 'text', label: 'A', options: [] }, ['unknown_property forms/m.case.main_form.json#/fields/0/options']],
    ['typo in a common property', { key: 'a', type: 'text', label: 'A', requried: true }, ['unknown_property forms/m.case.main_form.json#/fields/0/requried']],
    ['nested subform', { key: 's', type: 'subform', label: 'S', fields: [{ key: 't', type: 'subform', label: 'T', fields: [] }] }, ['nested_subform forms/m.case.main_form.json#/fields/0/fields/0/type']],
    ['bad type-specific value', { key: 'n', type: 'number', label: 'N', integer: 'yes' }, ['invalid_type forms/m.case.main_form.json#/fields/0/integer']],
  ])('field schema: %s', (_name, field, expected) => {
    expect(issuesOf(makeBundle({ fields: [field] }))).toEqual(expected);
  });

  it('reports a missing manifest and returns no bundle', () => {
    const files = makeBundle();
    delete files['bundle.json'];
    const result = parseBundle(files);
    expect(result.bundle).toBeUndefined();
    expect(result.issues.map((i) => i.code)).toEqual(['missing_manifest']);
  });

  it('keeps a bundle whose other files are broken, listing them as broken', () => {
    const result = parseBundle({ ...makeBundle(), 'lookups/l.json': '{"key":"l"}' });
    expect(result.bundle?.broken).toEqual([{ file: 'lookups/l.json', kind: 'lookup', key: 'l' }]);
    expect(result.issues.every((issue) => issue.bundle === 'test')).toBe(true);
  });

  it('accepts a README.md for people reading the folder (hashed, not interpreted)', () => {
    const result = parseBundle({ ...makeBundle(), 'README.md': '# Notes' });
    expect(result.issues).toEqual([]);
    expect(result.bundle?.hash).not.toBe(parseBundle(makeBundle()).bundle?.hash);
  });

  it('keeps Handlebars sources as text', () => {
    const result = parseBundle({ ...makeBundle(), 'templates/letter.hbs': 'Dear {{name}}' });
    expect(result.bundle?.templateSources['templates/letter.hbs']).toBe('Dear {{name}}');
  });

  it('refuses absurdly nested files before anything recurses into them', () => {
    const deep = `{"key":"l","label":"L","values":[],"description":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const files = { ...makeBundle(), 'lookups/l.json': deep };
    expect(issuesOf(files)).toEqual(['nesting_too_deep lookups/l.json#']);
  });

  it('never throws on hostile input', () => {
    const files = { ...makeBundle(), 'lookups/__proto__.json': '{"__proto__":{"polluted":1},"key":"x"}', 'translations/fr.json': '[]' };
    expect(() => parseBundle(files)).not.toThrow();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
