/**
 * The operations added for export mappings (`first_row`, `year_of`, `band`, `recode`, `text_before`,
 * `lookup_label`, `location_ancestor`): their values, their agreement with json-logic-js, what the
 * checker accepts, and what it tells export mappings about each read.
 */
import { describe, expect, it } from '@jest/globals';
import { compileLogic } from './compile-logic.js';
import type { RuleData } from './context.js';
import { evaluateRule } from './evaluate.js';
import { applyJsonLogic, prepareForJsonLogic } from './json-logic.js';
import { walkLogic, type FieldRead, type LogicEnv } from './logic-walk.js';
import { CUSTOM_ARITY, CUSTOM_OPERATORS, DEIDENTIFYING_OPERATORS, EXPORT_ONLY_OPERATORS } from './operators.js';
import { prepareRule, RULE_ERROR, type PrepareEnv } from './prepare.js';
import type { LocatedPlace } from './prepared-args.js';

const PLACES: Record<string, { parent?: string; level: number; name: string }> = {
  XX: { level: 0, name: 'Country' },
  XX01: { parent: 'XX', level: 1, name: 'County 1' },
  XX01D01: { parent: 'XX01', level: 2, name: 'District 1.1' },
  XX01D01C01: { parent: 'XX01D01', level: 3, name: 'Camp 1.1.1' },
};
const LEVELS: Record<string, number> = { country: 0, county: 1, district: 2, camp_town: 3 };

const env: PrepareEnv = {
  lookupValues: (key) => (key === 'sex' ? ['female', 'male'] : undefined),
  lookupLabels: (key) =>
    key === 'sex'
      ? new Map([['female', 'Female'], ['male', 'Male']])
      : key === 'yes_no'
        ? new Map([['yes', 'Yes'], ['no', 'No']])
        : key === 'time'
          ? new Map([['morning', 'Morning (sunrise to noon)']])
          : undefined,
  locationAncestor: (level) => {
    const n = typeof level === 'number' ? level : LEVELS[level];
    return (code: string): LocatedPlace | undefined => {
      let node = PLACES[code];
      let at = code;
      while (node !== undefined && n !== undefined && node.level > n && node.parent !== undefined) {
        at = node.parent;
        node = PLACES[at];
      }
      return node !== undefined && node.level === n ? { code: at, name: node.name } : undefined;
    };
  },
};

const data = (record: Record<string, unknown>): RuleData => ({
  record,
  user: { id: 'u1', agency: null, roles: [], groups: [] },
  today: '2026-06-15',
  now: '2026-06-15T12:00:00.000Z',
});
const run = (logic: unknown, record: Record<string, unknown> = {}): unknown => prepareRule(logic, env).evaluate(data(record));

const perps = [
  { _id: '1', primary_perpetrator: 'secondary', perpetrator_sex: 'male', age_group: '18_25' },
  { _id: '2', primary_perpetrator: 'primary', perpetrator_sex: 'female', age_group: '26_40' },
  { _id: '3', primary_perpetrator: 'primary', perpetrator_sex: 'male' },
];
const primary = { '==': [{ var: 'row.primary_perpetrator' }, 'primary'] };
const V = (path: string): unknown => ({ var: path });
const ELAPSED = ['0_3_days', '4_5_days', '6_14_days', '2_weeks_1_month', 'over_1_month'];

const CASES: readonly (readonly [string, unknown, Record<string, unknown>, unknown])[] = [
  // first_row: the field of the first row matching the condition
  ['first_row first matching row', { first_row: [V('record.perps'), primary, 'age_group'] }, { perps }, '26_40'],
  ['first_row any row', { first_row: [V('record.perps'), true, 'age_group'] }, { perps }, '18_25'],
  ['first_row matching row without the field', { first_row: [V('record.perps'), { '==': [V('row._id'), '3'] }, 'age_group'] }, { perps }, null],
  ['first_row no match', { first_row: [V('record.perps'), false, 'age_group'] }, { perps }, null],
  ['first_row no rows', { first_row: [V('record.none'), true, 'age_group'] }, {}, null],
  ['first_row skips junk rows', { first_row: [V('record.rows'), true, 'a'] }, { rows: [null, 'x', { a: 1 }] }, 1],
  ['first_row never reads inherited members', { first_row: [V('record.rows'), true, 'toString'] }, { rows: [{}] }, null],
  // year_of: a year, never a day
  ['year_of date', { year_of: [V('record.dob')] }, { dob: '2009-06-14' }, 2009],
  ['year_of date-time', { year_of: ['2009-06-14T10:00:00Z'] }, {}, 2009],
  ['year_of missing', { year_of: [V('record.dob')] }, {}, null],
  ['year_of invalid', { year_of: ['2009-02-30'] }, {}, null],
  ['year_of not a date', { year_of: [2009] }, {}, null],
  // band: ascending inclusive bounds, one more label than bounds (elapsed reporting time, ages)
  ...[[0, '0_3_days'], [3, '0_3_days'], [4, '4_5_days'], [5, '4_5_days'], [6, '6_14_days'], [14, '6_14_days'], [15, '2_weeks_1_month'], [30, '2_weeks_1_month'], [31, 'over_1_month'], [400, 'over_1_month']].map(
    ([days, band]) => [`band elapsed ${String(days)} days`, { band: [{ days_between: ['2026-01-01', V('record.report')] }, [3, 5, 14, 30], ELAPSED] }, { report: addDays('2026-01-01', days as number) }, band] as const,
  ),
  ['band missing dates', { band: [{ days_between: [V('record.a'), V('record.b')] }, [3, 5, 14, 30], ELAPSED] }, {}, null],
  ['band age under 18', { band: [V('record.age'), [17], ['child', 'adult']] }, { age: 17 }, 'child'],
  ['band age 18', { band: [V('record.age'), [17], ['child', 'adult']] }, { age: 18 }, 'adult'],
  ['band not a number', { band: [V('record.age'), [17], ['child', 'adult']] }, { age: '12' }, null],
  // recode: literal pairs, strict equality, optional fallback
  ['recode F', { recode: [V('record.sex'), [['female', 'F'], ['male', 'M']]] }, { sex: 'female' }, 'F'],
  ['recode M', { recode: [V('record.sex'), [['female', 'F'], ['male', 'M']]] }, { sex: 'male' }, 'M'],
  ['recode other is blank', { recode: [V('record.sex'), [['female', 'F'], ['male', 'M']]] }, { sex: 'other' }, null],
  ['recode fallback', { recode: [V('record.sex'), [['female', 'F']], V('record.sex')] }, { sex: 'other' }, 'other'],
  ['recode booleans', { recode: [V('record.t'), [[true, 'Yes'], [false, 'No']]] }, { t: false }, 'No'],
  ['recode is strict', { recode: [V('record.n'), [['1', 'one']]] }, { n: 1 }, null],
  ['recode first pair wins', { recode: ['a', [['a', 1], ['a', 2]]] }, {}, 1],
  // text_before: the text before a separator, trimmed
  ['text_before parenthesis', { text_before: ['Morning (sunrise to noon)', '('] }, {}, 'Morning'],
  ['text_before without separator', { text_before: ['Unknown / not applicable', '('] }, {}, 'Unknown / not applicable'],
  ['text_before not text', { text_before: [5, '('] }, {}, null],
  // lookup_label: labels of the export's locale; booleans as yes/no; lists joined
  ['lookup_label value', { lookup_label: [V('record.sex'), 'sex'] }, { sex: 'female' }, 'Female'],
  ['lookup_label removed option keeps its value', { lookup_label: [V('record.sex'), 'sex'] }, { sex: 'gone' }, 'gone'],
  ['lookup_label empty', { lookup_label: [V('record.sex'), 'sex'] }, {}, null],
  ['lookup_label boolean true', { lookup_label: [V('record.c'), 'yes_no'] }, { c: true }, 'Yes'],
  ['lookup_label boolean false', { lookup_label: [V('record.c'), 'yes_no'] }, { c: false }, 'No'],
  ['lookup_label list', { lookup_label: [V('record.l'), 'sex', ' & '] }, { l: ['male', 'female'] }, 'Male & Female'],
  ['lookup_label list default separator', { lookup_label: [V('record.l'), 'sex'] }, { l: ['male', 'female'] }, 'Male, Female'],
  ['lookup_label empty list', { lookup_label: [V('record.l'), 'sex'] }, { l: [] }, null],
  ['lookup_label unknown lookup keeps values', { lookup_label: ['x', 'nope'] }, {}, 'x'],
  ['lookup_label then text_before', { text_before: [{ lookup_label: ['morning', 'time'] }, '('] }, {}, 'Morning'],
  // location_ancestor: the place at a level (itself included), by key or number, name or code
  ['location_ancestor county name', { location_ancestor: [V('record.loc'), 'county'] }, { loc: 'XX01D01C01' }, 'County 1'],
  ['location_ancestor district code', { location_ancestor: [V('record.loc'), 'district', 'code'] }, { loc: 'XX01D01C01' }, 'XX01D01'],
  ['location_ancestor by number', { location_ancestor: [V('record.loc'), 2] }, { loc: 'XX01D01C01' }, 'District 1.1'],
  ['location_ancestor itself', { location_ancestor: [V('record.loc'), 'county'] }, { loc: 'XX01' }, 'County 1'],
  ['location_ancestor above the level', { location_ancestor: [V('record.loc'), 'district'] }, { loc: 'XX01' }, null],
  ['location_ancestor unknown place', { location_ancestor: [V('record.loc'), 'county'] }, { loc: 'ZZ' }, null],
  ['location_ancestor empty', { location_ancestor: [V('record.loc'), 'county'] }, {}, null],
];

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

describe('export operations', () => {
  it.each(CASES.map(([name, logic, record, expected]) => [name, logic, record, expected]))('%s', (_name, logic, record, expected) => {
    expect(run(logic, record as Record<string, unknown>)).toEqual(expected);
  });

  it.each(CASES.map(([name, logic, record]) => [name, logic, record]))('agrees with json-logic-js: %s', (_name, logic, record) => {
    const compiled = compileLogic(logic, env)(data(record as Record<string, unknown>));
    const reference = applyJsonLogic(prepareForJsonLogic(logic, env), data(record as Record<string, unknown>));
    expect(compiled).toEqual(reference);
  });

  it('without an export environment, lookup_label and location_ancestor know nothing', () => {
    const bare: PrepareEnv = { lookupValues: () => undefined };
    expect(prepareRule({ lookup_label: ['female', 'sex'] }, bare).evaluate(data({}))).toBe('female');
    expect(prepareRule({ location_ancestor: ['XX01', 'county'] }, bare).evaluate(data({}))).toBeNull();
  });

  it('cannot be forged from JSON: literal objects are not prepared labels, places or conditions', () => {
    // An object argument is logic with an unknown operator: the rule fails, it never reads the object.
    expect(run({ lookup_label: ['female', { labels: { female: 'x' } }] })).toBe(RULE_ERROR);
    expect(run({ location_ancestor: ['XX01', { level: 1 }] })).toBe(RULE_ERROR);
    expect(run({ first_row: [V('record.perps'), { logic: true }, 'age_group'] }, { perps })).toBe(RULE_ERROR);
  });

  it('registers every operation with its arity, and marks the export-only and de-identifying ones', () => {
    for (const op of ['first_row', 'year_of', 'band', 'recode', 'text_before', 'lookup_label', 'location_ancestor'] as const) {
      expect(CUSTOM_OPERATORS).toContain(op);
      expect(CUSTOM_ARITY[op]).toBeDefined();
    }
    expect([...EXPORT_ONLY_OPERATORS].sort()).toEqual(['location_ancestor', 'lookup_label']);
    expect(Object.keys(DEIDENTIFYING_OPERATORS).sort()).toEqual(['!', '!!', 'age_on', 'band', 'count', 'is_empty', 'missing', 'missing_some', 'year_of']);
  });
});

const SUBFORMS: Record<string, ReadonlySet<string>> = {
  perps: new Set(['primary_perpetrator', 'perpetrator_sex', 'age_group', 'name']),
  referrals: new Set(['referral', 'notes']),
};
const logicEnv = (context: 'rule' | 'export', reads?: FieldRead[]): LogicEnv => ({
  recordFields: new Set(['dob', 'sex', 'loc', 'perps', 'referrals']),
  subformFields: (key) => SUBFORMS[key],
  resolveLookup: (key) => (key === 'sex' ? { status: 'found', lookup: { key: 'sex', label: 'Sex', values: [] } } : { status: 'missing', message: `There is no lookup "${key}".` }),
  context,
  hasAdminLevel: (level) => level in LEVELS || (typeof level === 'number' && level <= 3),
  ...(reads === undefined ? {} : { onRead: (read: FieldRead) => reads.push(read) }),
});
function issues(logic: unknown, context: 'rule' | 'export' = 'export'): string[] {
  const out: string[] = [];
  walkLogic(logic, '', logicEnv(context), undefined, (at, code) => out.push(`${code}@${at}`));
  return out;
}

describe('checking export operations', () => {
  it.each([
    ['lookup_label in a record rule', { lookup_label: [V('record.sex'), 'sex'] }, 'rule', ['unknown_operator@/lookup_label']],
    ['location_ancestor in a record rule', { location_ancestor: [V('record.loc'), 'county'] }, 'rule', ['unknown_operator@/location_ancestor']],
    ['meta in a record rule', V('meta.owner.code'), 'rule', ['invalid_var_path@/var']],
    ['user in an export', V('user.id'), 'export', ['invalid_var_path@/var']],
    ['today in an export', V('today'), 'export', ['invalid_var_path@/var']],
    ['meta path outside the list', V('meta.owner.email'), 'export', ['invalid_var_path@/var']],
    ['meta paths of the list', { cat: [V('meta.owner.code'), V('meta.agency.code'), V('meta.displayId')] }, 'export', []],
    ['lookup_label of an unknown lookup', { lookup_label: [V('record.sex'), 'nope'] }, 'export', ['unknown_lookup@/lookup_label/1']],
    ['lookup_label computed lookup key', { lookup_label: [V('record.sex'), V('record.sex')] }, 'export', ['invalid_logic@/lookup_label/1']],
    ['lookup_label computed separator', { lookup_label: [V('record.sex'), 'sex', V('record.sex')] }, 'export', ['invalid_logic@/lookup_label/2']],
    ['location_ancestor unknown level', { location_ancestor: [V('record.loc'), 'province'] }, 'export', ['unknown_admin_level@/location_ancestor/1']],
    ['location_ancestor computed level', { location_ancestor: [V('record.loc'), V('record.sex')] }, 'export', ['invalid_logic@/location_ancestor/1']],
    ['location_ancestor part', { location_ancestor: [V('record.loc'), 'county', 'population'] }, 'export', ['invalid_logic@/location_ancestor/2']],
    ['first_row field of the rows', { first_row: [V('record.perps'), primary, 'age_group'] }, 'rule', []],
    ['first_row unknown field', { first_row: [V('record.perps'), true, 'height'] }, 'rule', ['unknown_var_field@/first_row/2']],
    ['first_row computed field', { first_row: [V('record.perps'), true, V('record.sex')] }, 'rule', ['invalid_logic@/first_row/2']],
    ['first_row condition sees the rows', { first_row: [V('record.perps'), { '==': [V('row.height'), 1] }, 'age_group'] }, 'rule', ['unknown_var_field@/first_row/1/==/0/var']],
    ['band bounds not literal', { band: [V('record.sex'), V('record.perps'), ['a', 'b']] }, 'rule', ['invalid_logic@/band/1']],
    ['band bounds not ascending', { band: [1, [5, 3], ['a', 'b', 'c']] }, 'rule', ['invalid_logic@/band/1']],
    ['band one label short', { band: [1, [3, 5], ['a', 'b']] }, 'rule', ['invalid_logic@/band/2']],
    ['recode pairs not literal', { recode: [V('record.sex'), [['female', V('record.sex')]]] }, 'rule', ['invalid_logic@/recode/1']],
    ['recode pairs of three', { recode: [V('record.sex'), [['a', 'b', 'c']]] }, 'rule', ['invalid_logic@/recode/1']],
    ['text_before empty separator', { text_before: [V('record.sex'), ''] }, 'rule', ['invalid_logic@/text_before/1']],
    ['year_of arity', { year_of: [V('record.dob'), 'x'] }, 'rule', ['invalid_logic@/year_of']],
  ] as const)('%s', (_name, logic, context, expected) => {
    expect(issues(logic, context)).toEqual(expected);
  });

  it('evaluateRule refuses the export-only operations (record rules)', () => {
    expect(evaluateRule({ lookup_label: ['x', 'sex'] }, data({}))).toMatchObject({ ok: false, error: 'invalid_logic', issues: [{ code: 'unknown_operator' }] });
  });

  it('first_row counts as reading its field (compute order)', () => {
    const refs = walkLogic({ first_row: [V('record.perps'), primary, 'age_group'] }, '', logicEnv('rule'), undefined, () => undefined);
    expect(refs).toEqual([{ field: 'perps' }, { subform: 'perps', field: 'primary_perpetrator' }, { subform: 'perps', field: 'age_group' }]);
  });

  it('tells export mappings about every read and the operation it is handed to', () => {
    const reads: FieldRead[] = [];
    const logic = {
      if: [
        { is_empty: [V('record.dob')] },
        { year_of: V('record.dob') },
        { first_row: [V('record.perps'), primary, 'name'] },
        { map: [V('record.referrals'), V('notes')] },
        { map: [V('record.referrals'), V('')] },
        { missing: ['record.sex'] },
        { var: ['record.loc', V('record.dob')] },
        V('record.dob'),
      ],
    };
    walkLogic(logic, '', logicEnv('export', reads), undefined, () => undefined);
    const summary = reads.map((read) => `${read.subform === undefined ? '' : `${read.subform}.`}${read.field ?? '*'} via ${read.via === undefined ? '-' : `${read.via.op}/${read.via.arg}`}`);
    expect(summary).toEqual([
      'dob via is_empty/0',
      'dob via year_of/0',
      'perps via first_row/0',
      'perps.primary_perpetrator via ==/0',
      'perps.name via first_row/2',
      'referrals via map/0',
      'referrals.notes via map/1',
      'referrals via map/0',
      'referrals.* via map/1',
      'sex via missing/0',
      'dob via var/1',
      'loc via if/6',
      'dob via if/7',
    ]);
  });
});
