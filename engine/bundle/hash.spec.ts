import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from '../util/canonical-json.js';
import { makeBundle } from '../testing/bundle-factory.js';
import { bundleHash } from './hash.js';

const base = makeBundle({ fields: [{ key: 'a', type: 'text', label: 'A', maxLength: 10 }] });
const FORM = 'forms/m.case.main_form.json';

function reformat(files: Record<string, string>, path: string, transform: (value: Record<string, unknown>) => unknown, indent?: number): Record<string, string> {
  return { ...files, [path]: JSON.stringify(transform(JSON.parse(files[path] as string) as Record<string, unknown>), null, indent) };
}

function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

describe('bundleHash', () => {
  it('is 64 lowercase hex characters', () => {
    expect(bundleHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['white space', reformat(base, FORM, (v) => v, 8)],
    ['no white space', reformat(base, FORM, (v) => v)],
    ['key order at every depth', reformat(base, FORM, reversedKeys)],
    ['file order in the map', Object.fromEntries(Object.entries(base).reverse())],
    ['number spelling', { ...base, [FORM]: (base[FORM] as string).replace('"maxLength": 10', '"maxLength": 10.0') }],
  ])('does not change with %s', (_name, files) => {
    expect(bundleHash(files)).toBe(bundleHash(base));
  });

  it.each([
    ['a label', reformat(base, FORM, (v) => ({ ...v, label: 'Other' }))],
    ['an array order', reformat(base, 'bundle.json', (v) => ({ ...v, locales: ['fr', 'en', 'ar'] }))],
    ['a number', { ...base, [FORM]: (base[FORM] as string).replace('"maxLength": 10', '"maxLength": 11') }],
    ['a file path', Object.fromEntries(Object.entries(base).map(([k, v]) => [k === FORM ? 'forms/m.case.renamed.json' : k, v]))],
    ['a template text', { ...base, 'templates/a.hbs': 'Hello' }],
  ])('changes with %s', (_name, files) => {
    expect(bundleHash(files)).not.toBe(bundleHash(base));
  });

  it('treats template text verbatim (white space matters there)', () => {
    expect(bundleHash({ ...base, 'templates/a.hbs': 'Hello ' })).not.toBe(bundleHash({ ...base, 'templates/a.hbs': 'Hello' }));
  });

  it('hashes unparseable JSON as text instead of throwing', () => {
    expect(bundleHash({ ...base, 'lookups/x.json': '{ nope' })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes JSON too deep to canonicalise instead of throwing', () => {
    expect(bundleHash({ ...base, 'lookups/x.json': `${'['.repeat(200_000)}${']'.repeat(200_000)}` })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches SHA-256 of the canonical JSON', () => {
    // Known vector, computed independently: sha256('{"bundle.json":{"a":1}}').
    expect(canonicalJson({ 'bundle.json': { a: 1 } })).toBe('{"bundle.json":{"a":1}}');
    expect(bundleHash({ 'bundle.json': '{ "a" : 1 }' })).toBe('2d332329b9c029dede2102ac865778cfd5c591ee3989acc526c637fde8bc456b');
  });
});
