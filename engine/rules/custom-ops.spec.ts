/** Haven's JSON Logic operations, the removed ones, and rule preparation. */
import { describe, expect, it } from '@jest/globals';
import type { RuleData } from './context.js';
import { evaluateRule } from './evaluate.js';
import { RULE_ERROR } from './prepare.js';
import { prepareRule } from './prepare.js';

const data = (record: Record<string, unknown>, row?: Record<string, unknown>): RuleData => ({
  record,
  ...(row === undefined ? {} : { row }),
  user: { id: 'u1', agency: 'a1', roles: ['caseworker'], groups: ['g1'] },
  today: '2026-06-15',
  now: '2026-06-15T12:00:00.000Z',
});

const LOOKUPS: Record<string, readonly string[]> = { sex: ['female', 'male'] };
const run = (logic: unknown, record: Record<string, unknown> = {}, row?: Record<string, unknown>): unknown =>
  prepareRule(logic, { lookupValues: (key) => LOOKUPS[key] }).evaluate(data(record, row));

const perps = [
  { _id: '1', sex: 'male', age: 30 },
  { _id: '2', sex: 'female', age: 17 },
  { _id: '3', sex: 'male', age: 'n/a' },
];

describe('custom operations', () => {
  it.each([
    // days_between
    ['days_between forward', { days_between: ['2026-01-01', '2026-01-31'] }, {}, 30],
    ['days_between backward', { days_between: ['2026-03-01', '2026-02-01'] }, {}, -28],
    ['days_between across leap day', { days_between: ['2024-02-28', '2024-03-01'] }, {}, 2],
    ['days_between date-time uses written day', { days_between: ['2026-01-01T23:59:00Z', '2026-01-02'] }, {}, 1],
    ['days_between missing', { days_between: [{ var: 'record.a' }, '2026-01-01'] }, {}, null],
    ['days_between invalid', { days_between: ['2026-02-30', '2026-03-01'] }, {}, null],
    ['days_between with today', { days_between: [{ var: 'record.d' }, { var: 'today' }] }, { d: '2026-06-10' }, 5],
    // age_on
    ['age_on before birthday', { age_on: ['2000-06-16', '2026-06-15'] }, {}, 25],
    ['age_on on birthday', { age_on: ['2000-06-15', '2026-06-15'] }, {}, 26],
    ['age_on missing', { age_on: [null, '2026-06-15'] }, {}, null],
    // count
    ['count rows', { count: [{ var: 'record.perps' }] }, { perps }, 3],
    ['count with condition', { count: [{ var: 'record.perps' }, { '==': [{ var: 'row.sex' }, 'male'] }] }, { perps }, 2],
    ['count condition sees record', { count: [{ var: 'record.perps' }, { '==': [{ var: 'row.sex' }, { var: 'record.wanted' }] }] }, { perps, wanted: 'female' }, 1],
    ['count of nothing', { count: [{ var: 'record.none' }] }, {}, 0],
    ['count skips junk rows', { count: [{ var: 'record.rows' }, { '==': [{ var: 'row.a' }, 1] }] }, { rows: [null, 5, { a: 1 }] }, 1],
    // sum_of
    ['sum_of numbers only', { sum_of: [{ var: 'record.perps' }, 'age'] }, { perps }, 47],
    ['sum_of of nothing', { sum_of: [{ var: 'record.none' }, 'age'] }, {}, 0],
    // any_row
    ['any_row true', { any_row: [{ var: 'record.perps' }, { '<': [{ var: 'row.age' }, 18] }] }, { perps }, true],
    ['any_row false', { any_row: [{ var: 'record.perps' }, { '>': [{ var: 'row.age' }, 90] }] }, { perps }, false],
    ['any_row not an array', { any_row: [{ var: 'record.x' }, true] }, { x: 'nope' }, false],
    // in_lookup
    ['in_lookup enabled value', { in_lookup: [{ var: 'record.s' }, 'sex'] }, { s: 'male' }, true],
    ['in_lookup other value', { in_lookup: [{ var: 'record.s' }, 'sex'] }, { s: 'other' }, false],
    ['in_lookup unknown lookup', { in_lookup: ['male', 'nope'] }, {}, false],
    ['in_lookup non-string', { in_lookup: [1, 'sex'] }, {}, false],
    // is_empty
    ['is_empty null', { is_empty: [null] }, {}, true],
    ['is_empty missing var', { is_empty: [{ var: 'record.x' }] }, {}, true],
    ['is_empty blank string', { is_empty: [''] }, {}, true],
    ['is_empty []', { is_empty: [{ var: 'record.a' }] }, { a: [] }, true],
    ['is_empty {}', { is_empty: [{ var: 'record.a' }] }, { a: {} }, true],
    ['is_empty 0 is a value', { is_empty: [0] }, {}, false],
    ['is_empty false is a value', { is_empty: [false] }, {}, false],
    ['is_empty shallow object', { is_empty: [{ var: 'record.a' }] }, { a: { b: null } }, false],
    // date_part
    ['date_part year', { date_part: ['2026-11-03', 'year'] }, {}, 2026],
    ['date_part month', { date_part: ['2026-11-03', 'month'] }, {}, 11],
    ['date_part quarter', { date_part: ['2026-11-03', 'quarter'] }, {}, 4],
    ['date_part bad date', { date_part: ['nope', 'year'] }, {}, null],
    ['date_part bad part', { date_part: ['2026-11-03', 'week'] }, {}, null],
  ])('%s', (_name, logic, record, expected) => {
    expect(run(logic, record)).toEqual(expected);
  });

  it('count/any_row conditions nest inside a row context', () => {
    // Inside a subform rule, `row` is the outer row until a per-row condition rebinds it.
    const logic = { and: [{ '==': [{ var: 'row.kind' }, 'outer'] }, { any_row: [{ var: 'record.perps' }, { '==': [{ var: 'row.sex' }, 'female'] }] }] };
    expect(run(logic, { perps }, { kind: 'outer' })).toBe(true);
  });

  it('standard operations still work', () => {
    expect(run({ if: [{ '>': [{ var: 'record.age' }, 17] }, 'adult', 'child'] }, { age: 20 })).toBe('adult');
    expect(run({ in: [{ var: 'user.roles.0' }, ['caseworker']] })).toBe(true);
    expect(run({ some: [{ var: 'record.perps' }, { '==': [{ var: 'sex' }, 'female'] }] }, { perps })).toBe(true);
  });
});

describe('removed and unknown operations', () => {
  it.each([['method'], ['log'], ['made_up']])('%s is refused at evaluation', (op) => {
    const outcome = evaluateRule({ [op]: ['x'] }, data({}));
    expect(outcome.ok).toBe(false);
    expect(prepareRule({ [op]: ['x'] }, { lookupValues: () => undefined }).evaluate(data({}))).toBe(RULE_ERROR);
  });

  it('refuses unsafe var paths before evaluating', () => {
    const outcome = evaluateRule({ var: 'record.constructor' }, data({}));
    expect(outcome).toMatchObject({ ok: false, error: 'invalid_logic', issues: [{ code: 'unsafe_var_path' }] });
  });

  it('evaluates checked logic', () => {
    expect(evaluateRule({ '+': [{ var: 'record.a' }, 1] }, data({ a: 1 }))).toEqual({ ok: true, value: 2 });
  });
});

describe('prepared rules', () => {
  it('do not mutate the (frozen) definition they come from', () => {
    const logic = Object.freeze({ count: Object.freeze([{ var: 'record.perps' }, { '==': [{ var: 'row.sex' }, 'male'] }]) });
    const rule = prepareRule(logic, { lookupValues: () => undefined });
    expect(rule.evaluate(data({ perps }))).toBe(2);
    expect(rule.source).toBe(logic);
  });

  it('treat constants without evaluation', () => {
    const rule = prepareRule(true, { lookupValues: () => undefined });
    expect(rule.isConstant).toBe(true);
    expect(rule.test(data({}))).toBe(true);
  });

  it('cannot be forged from JSON: a literal object is not a prepared condition', () => {
    const forged = JSON.parse('{"count": [{"var": "record.perps"}, {"logic": {"==": [1, 1]}}]}') as unknown;
    expect(run(forged, { perps })).toBe(RULE_ERROR);
  });
});
