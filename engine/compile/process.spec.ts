/** Record processing: visibility and required, subform rows, computed values, rules, hostile data. */
import { describe, expect, it } from '@jest/globals';
import { compileOrThrow, loadOrThrow, makeBundle, makeForm, testContext } from '../testing/bundle-factory.js';
import { clearCompileCache, compileBundles } from './compile-bundles.js';
import { EngineError } from './engine-error.js';
import type { ProcessResult } from './types.js';

type Json = Record<string, unknown>;
const codes = (result: ProcessResult): string[] => result.issues.map((i) => `${i.code}@${i.path}`);

const PERPS = {
  key: 'perps',
  type: 'subform',
  label: 'Perpetrators',
  rowVisibleIf: { '!=': [{ var: 'row.relation' }, 'unknown'] },
  fields: [
    { key: 'relation', type: 'select', label: 'Relation', options: [{ value: 'partner', label: 'Partner' }, { value: 'other', label: 'Other' }, { value: 'unknown', label: 'Unknown' }] },
    { key: 'sex', type: 'radio', label: 'Sex', required: true, options: [{ value: 'f', label: 'F' }, { value: 'm', label: 'M' }] },
    { key: 'detail', type: 'text', label: 'Detail', required: true, visibleIf: { '==': [{ var: 'row.relation' }, 'other'] } },
    { key: 'age', type: 'number', label: 'Age' },
    { key: 'adult', type: 'calculated', label: 'Adult', compute: { value: { '>=': [{ var: 'row.age' }, 18] }, when: { '!=': [{ var: 'row.age' }, null] } } },
  ],
};

function compiled() {
  return compileOrThrow(
    makeBundle({
      fields: [
        { key: 'name', type: 'text', label: 'Name', required: true, identifying: true, searchable: true, aliases: ['full_name'] },
        { key: 'consent', type: 'yes_no', label: 'Consent' },
        { key: 'reason', type: 'text', label: 'Reason', required: true, visibleIf: { '==': [{ var: 'record.consent' }, false] } },
        { key: 'dob', type: 'date', label: 'Date of birth', identifying: true },
        { key: 'age', type: 'number', label: 'Age', compute: { value: { age_on: [{ var: 'record.dob' }, { var: 'today' }] }, when: { '!!': [{ var: 'record.dob' }] } } },
        { key: 'age_group', type: 'calculated', label: 'Age group', compute: { value: { if: [{ '<': [{ var: 'record.age' }, 18] }, 'child', 'adult'] }, when: { '!=': [{ var: 'record.age' }, null] } } },
        { key: 'adult_perps', type: 'calculated', label: 'Adult perpetrators', compute: { value: { count: [{ var: 'record.perps' }, { var: 'row.adult' }] } } },
        { key: 'total_age', type: 'calculated', label: 'Sum of ages', compute: { value: { sum_of: [{ var: 'record.perps' }, 'age'] } } },
        PERPS,
      ],
      forms: [
        makeForm(
          [{ key: 'incident_place', type: 'text', label: 'Place', required: true }, { key: 'followup', type: 'subform', label: 'Follow-up', minRows: 1, fields: [{ key: 'note', type: 'text', label: 'Note' }] }],
          { key: 'details', order: 2, visibleIf: { '==': [{ var: 'record.consent' }, true] } },
        ),
      ],
      rules: [
        { key: 'name_not_x', kind: 'validation', when: { '!!': [{ var: 'record.name' }] }, assert: { '!=': [{ var: 'record.name' }, 'X'] }, path: '/name', message: 'The name cannot be X.' },
        { key: 'perp_age', kind: 'validation', subform: 'perps', assert: { or: [{ '==': [{ var: 'row.age' }, null] }, { '>=': [{ var: 'row.age' }, 10] }] }, path: '/age', message: 'A perpetrator is at least 10.' },
      ],
      translations: { fr: { 'rule.m.case.name_not_x.message': 'Le nom ne peut pas être X.' } },
    }),
  );
}
const rt = () => compiled().recordType('m', 'case');
const process = (data: unknown, options?: { supplied?: string[]; acceptAliases?: boolean }, locale?: string) =>
  rt().process(data, testContext(locale === undefined ? {} : { locale }), options);

describe('required while visible', () => {
  it.each<[string, Json, string[]]>([
    ['required field missing', {}, ['required@/name']],
    ['hidden required field is not required', { name: 'A', consent: true, incident_place: 'x', followup: [{ _id: '1' }] }, []],
    ['visible required field is required', { name: 'A', consent: false }, ['required@/reason']],
    ['blank string counts as empty', { name: '   ' }, ['required@/name']],
    ['hidden form: its required fields are not required', { name: 'A' }, []],
    ['visible form: its required fields and minRows apply', { name: 'A', consent: true }, ['required@/incident_place', 'too_few@/followup']],
    ['row field required in each row', { name: 'A', perps: [{ _id: '1', sex: 'f' }, { _id: '2' }] }, ['required@/perps/1/sex']],
    ['row field visible only in matching rows', { name: 'A', perps: [{ _id: '1', sex: 'f', relation: 'other' }, { _id: '2', sex: 'm', relation: 'partner' }] }, ['required@/perps/0/detail']],
    ['hidden rows are not checked', { name: 'A', perps: [{ _id: '1', relation: 'unknown' }] }, []],
  ])('%s', (_name, data, expected) => {
    expect(codes(process(data)).sort()).toEqual(expected.sort());
  });
});

describe('validation rules', () => {
  it('reports a record rule at its path, with the base message', () => {
    const result = process({ name: 'X' });
    expect(result.issues).toEqual([{ code: 'rule_failed', path: '/name', message: 'The name cannot be X.', params: { rule: 'name_not_x' } }]);
  });

  it.each([
    ['fr', 'Le nom ne peut pas être X.'],
    ['fr-CA', 'Le nom ne peut pas être X.'],
    ['ar', 'The name cannot be X.'],
  ])('localizes rule messages (%s)', (locale, message) => {
    expect(process({ name: 'X' }, undefined, locale).issues[0]?.message).toBe(message);
  });

  it('skips a rule whose `when` does not hold', () => {
    expect(codes(process({ consent: true, incident_place: 'p', followup: [{ _id: '1' }] }))).toEqual(['required@/name']);
  });

  it('runs subform rules per row, with row pointers', () => {
    const result = process({ name: 'A', perps: [{ _id: '1', sex: 'f', age: 30 }, { _id: '2', sex: 'm', age: 5 }, { _id: '3', sex: 'm', age: 2 }] });
    expect(codes(result)).toEqual(['rule_failed@/perps/1/age', 'rule_failed@/perps/2/age']);
  });
});

describe('computed values', () => {
  it('computes in dependency order and fills the output', () => {
    const { data, issues } = process({ name: 'A', dob: '2010-06-16' });
    expect(issues).toEqual([]);
    expect(data).toMatchObject({ age: 15, age_group: 'child', adult_perps: 0, total_age: 0 });
  });

  it('computes row values and record values that read them', () => {
    const { data } = process({ name: 'A', perps: [{ _id: '1', sex: 'f', age: 30 }, { _id: '2', sex: 'm', age: 16 }, { _id: '3', sex: 'm' }] });
    expect(data['perps']).toEqual([
      { _id: '1', sex: 'f', age: 30, adult: true },
      { _id: '2', sex: 'm', age: 16, adult: false },
      { _id: '3', sex: 'm' },
    ]);
    expect(data).toMatchObject({ adult_perps: 1, total_age: 46 });
  });

  it('refuses a sent value that differs, naming the expected one', () => {
    const result = process({ name: 'A', dob: '2010-06-16', age: 40 });
    expect(result.issues).toEqual([{ code: 'computed_mismatch', path: '/age', message: 'This value is computed; expected 15.', params: { expected: 15 } }]);
    expect(result.data['age']).toBe(15);
  });

  it('accepts a sent value that agrees', () => {
    expect(process({ name: 'A', dob: '2010-06-16', age: 15, age_group: 'child' }).issues).toEqual([]);
  });

  it('compares only what the client supplied', () => {
    const result = process({ name: 'A', dob: '2010-06-16', age: 40 }, { supplied: ['name', 'dob'] });
    expect(result.issues).toEqual([]);
    expect(result.data['age']).toBe(15);
  });

  it('treats the field as ordinary input while `when` does not hold', () => {
    const { data, issues } = process({ name: 'A', age: 40 });
    expect(issues).toEqual([]);
    expect(data).toMatchObject({ age: 40, age_group: 'adult' });
  });

  it('refuses a value sent for a read-only computed field while its `when` does not hold (no value then)', () => {
    const result = process({ name: 'A', age_group: 'forged' });
    expect(result.issues).toEqual([{ code: 'computed_mismatch', path: '/age_group', message: 'This value is computed; expected null.', params: { expected: null } }]);
    expect(codes(process({ name: 'A', perps: [{ _id: '1', sex: 'f', adult: 'forged' }] }))).toEqual(['computed_mismatch@/perps/0/adult']);
  });

  it('clears a stale read-only computed value once its `when` no longer holds', () => {
    const result = process({ name: 'A', age_group: 'child', perps: [{ _id: '1', sex: 'f', adult: true }] }, { supplied: ['name'] });
    expect(result.issues).toEqual([]);
    expect(result.data['age_group']).toBeNull();
    expect((result.data['perps'] as Json[])[0]).toEqual({ _id: '1', sex: 'f', adult: null });
  });

  it('checks computed row values too', () => {
    expect(codes(process({ name: 'A', perps: [{ _id: '1', sex: 'f', age: 30, adult: false }] }))).toEqual(['computed_mismatch@/perps/0/adult']);
  });
});

describe('hostile data', () => {
  const deep = (depth: number): unknown => {
    let value: unknown = 'x';
    for (let i = 0; i < depth; i++) value = { a: value, b: [value] };
    return value;
  };
  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [1, 2]],
    ['a string', 'record'],
    ['__proto__ and constructor keys', JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "name": "A"}')],
    ['__proto__ inside rows', JSON.parse('{"name": "A", "perps": [{"_id": "1", "sex": "f", "__proto__": {"polluted": true}}]}')],
    ['deeply nested junk in every field', { name: deep(200), consent: deep(200), dob: deep(200), perps: deep(200), age: deep(200) }],
    ['nesting deep enough to exhaust any recursion', { name: JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), age: JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), perps: [{ _id: '1', sex: 'f', age: JSON.parse(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`) }] }],
    ['rows of junk', { name: 'A', perps: [null, 1, 'x', [], { _id: 5, sex: { $ne: 1 } }, { _id: '1', age: 'old' }] }],
    ['wrong types everywhere', { name: 1, consent: 'maybe', reason: [], dob: 20200101, age: {}, perps: 'none', followup: {} }],
  ])('%s: never throws, reports issues, does not pollute prototypes', (_name, data) => {
    let result: ProcessResult | undefined;
    expect(() => {
      result = process(data);
    }).not.toThrow();
    expect(result?.issues.length).toBeGreaterThan(0);
    expect(({} as Json)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(result?.data)).toBe(Object.prototype);
  });

  it('reports unknown keys with escaped pointers and drops them', () => {
    const result = process({ name: 'A', 'a/b~c': 1 });
    expect(codes(result)).toEqual(['unknown_field@/a~1b~0c']);
    expect(result.data).toEqual({ name: 'A', adult_perps: 0, total_age: 0 });
  });

  it.each<[string, Json, string[]]>([
    ['NUL in a text field', { name: 'A\u0000B' }, ['invalid_character@/name']],
    ['NUL alone (not blank: refused, not cleared)', { name: 'A', reason: '\u0000', consent: false }, ['invalid_character@/reason']],
    ['NUL in a subform row field', { name: 'A', perps: [{ _id: '1', sex: 'f', detail: 'x\u0000' }] }, ['invalid_character@/perps/0/detail']],
    ['NUL in a row id (not a valid id)', { name: 'A', perps: [{ _id: '1\u0000', sex: 'f' }] }, ['invalid_format@/perps/0/_id']],
    ['NUL in a choice (not an option)', { name: 'A', perps: [{ _id: '1', sex: 'f\u0000' }] }, ['not_an_option@/perps/0/sex']],
    ['an unpaired high surrogate', { name: 'A\ud800' }, ['invalid_character@/name']],
    ['an unpaired low surrogate', { name: '\udc00A' }, ['invalid_character@/name']],
  ])('%s: invalid_character, never stored', (_name, data, expected) => {
    expect(codes(process(data)).sort()).toEqual(expected.sort());
  });

  it.each<[string, string]>([
    ['a paired surrogate (emoji)', 'A \ud83d\ude00'],
    ['right-to-left override (text like any other)', 'A\u202eB'],
    ['Arabic', 'سارة'],
    ['other control characters', 'A\u0001\u001fB'],
  ])('accepts %s', (_name, name) => {
    expect(codes(process({ name }))).toEqual([]);
  });
});

describe('aliases', () => {
  it('are accepted only when asked (imports)', () => {
    expect(codes(process({ full_name: 'A' }))).toEqual(['unknown_field@/full_name', 'required@/name']);
    const result = process({ full_name: 'A' }, { acceptAliases: true });
    expect(result.issues).toEqual([]);
    expect(result.data['name']).toBe('A');
  });
});

describe('compiled record type', () => {
  it('lists fields, identifying and searchable paths, subforms', () => {
    const type = rt();
    expect(type.identifyingFields).toEqual(['name', 'dob']);
    expect(type.searchableFields).toEqual(['name']);
    expect(type.subforms.map((s) => [s.key, s.fields.map((f) => f.key)])).toEqual([
      ['perps', ['relation', 'sex', 'detail', 'age', 'adult']],
      ['followup', ['note']],
    ]);
    expect(type.field('perps.sex')).toMatchObject({ type: 'radio', subform: 'perps', options: ['f', 'm'], required: true });
    expect(type.field('age_group')).toMatchObject({ computed: true, readOnly: true, widget: 'calculated' });
    expect(type.field('age')).toMatchObject({ computed: true, readOnly: false });
    expect(type.forms.map((f) => f.key)).toEqual(['main_form', 'details']);
  });

  it('validates the schema alone', () => {
    expect(rt().validateSchema({ name: 5, zz: 1 }).map((i) => `${i.code}@${i.path}`)).toEqual(['unknown_field@/zz', 'invalid_type@/name']);
  });

  it('throws a coded error for an unknown record type (a caller bug, not bad data)', () => {
    expect(() => compiled().recordType('m', 'nope')).toThrow(EngineError);
    expect(compiled().findRecordType('m', 'nope')).toBeUndefined();
  });
});

describe('compile cache', () => {
  it('compiles once per set of bundle hashes', () => {
    const bundles = loadOrThrow(makeBundle({ fields: [{ key: 'a', type: 'text', label: 'A' }] }));
    const first = compileBundles(bundles);
    expect(compileBundles(loadOrThrow(makeBundle({ fields: [{ key: 'a', type: 'text', label: 'A' }] })))).toBe(first);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    clearCompileCache();
    expect(compileBundles(bundles)).not.toBe(first);
  });

  it('compiles anew when a bundle changes', () => {
    const a = compileOrThrow(makeBundle({ fields: [{ key: 'a', type: 'text', label: 'A' }] }));
    const b = compileOrThrow(makeBundle({ fields: [{ key: 'a', type: 'text', label: 'B' }] }));
    expect(b).not.toBe(a);
    expect(b.hash).not.toBe(a.hash);
  });
});
