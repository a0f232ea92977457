/**
 * The compiled evaluator must agree with json-logic-js itself (configured as the engine configures
 * it) on every expression: same value, or both failing.
 */
import { describe, expect, it } from '@jest/globals';
import { compileLogic } from './compile-logic.js';
import type { RuleData } from './context.js';
import { applyJsonLogic, prepareForJsonLogic } from './json-logic.js';

const env = { lookupValues: (key: string) => (key === 'sex' ? ['female', 'male'] : undefined) };

const DATA: readonly RuleData[] = [
  { record: {}, user: { id: 'u', agency: null, roles: [], groups: [] }, today: '2026-06-15', now: '2026-06-15T12:00:00Z' },
  {
    record: { a: 1, b: '2', s: 'hello', t: true, f: false, n: null, z: 0, e: '', list: [1, 2, 3], empty: [], obj: { x: { y: 5 } }, d: '2026-01-31', dob: '2000-02-29', sex: 'male', rows: [{ k: 'x', v: 2 }, { k: 'y', v: 'w' }, null, { k: 'x', v: 4.5 }] },
    row: { k: 'x', v: 1 },
    user: { id: 'u1', agency: 'a', roles: ['caseworker', 'supervisor'], groups: ['g'] },
    today: '2026-06-15',
    now: '2026-06-15T12:00:00Z',
  },
  { record: { a: 'x', b: [1], list: 'abc', rows: 'nope', s: 5, d: 'bad', obj: null, sex: ['male'] }, user: { id: 'u2', agency: 'b', roles: [], groups: [] }, today: '2026-01-01', now: '2026-01-01T00:00:00Z' },
];

const V = (path: string): unknown => ({ var: path });

const CORPUS: readonly unknown[] = [
  true, 0, 'text', null, [1, 'a', null], [V('record.a'), 2],
  V('record.a'), V('record.obj.x.y'), { var: ['record.missing', 'fallback'] }, { var: 'record.list.1' }, { var: 'record.s.length' }, { var: '' }, { var: 'today' }, { var: 'user.roles' },
  { '==': [V('record.a'), 1] }, { '==': [V('record.b'), 2] }, { '===': [V('record.b'), 2] }, { '!=': [V('record.n'), null] }, { '!==': [V('record.z'), 0] },
  { '>': [V('record.a'), 0] }, { '>=': [V('record.b'), '2'] }, { '<': [1, V('record.a'), 3] }, { '<': [V('record.a'), 2] }, { '<=': [0, V('record.z'), 0] },
  { '!': [V('record.empty')] }, { '!': V('record.e') }, { '!!': [V('record.list')] }, { '!!': [[]] },
  { and: [V('record.t'), V('record.a')] }, { and: [V('record.t'), V('record.f'), V('record.a')] }, { and: [] }, { or: [V('record.f'), V('record.z'), V('record.s')] }, { or: [V('record.f'), V('record.empty')] },
  { if: [V('record.t'), 'yes', 'no'] }, { if: [V('record.f'), 'a', V('record.z'), 'b', 'c'] }, { if: [V('record.f'), 'a'] }, { if: 'single' }, { '?:': [V('record.t'), 1, 2] },
  { '+': [V('record.a'), V('record.b')] }, { '+': ['1.5', 2] }, { '+': [] }, { '*': [V('record.b'), 3] }, { '*': ['3'] }, { '*': [] }, { '-': [V('record.a')] }, { '-': [5, V('record.b')] }, { '/': [1, V('record.z')] }, { '%': [7, 3] },
  { min: [V('record.a'), 5, -1] }, { max: [] }, { max: [V('record.list')] },
  { in: [V('record.a'), V('record.list')] }, { in: ['ell', V('record.s')] }, { in: ['x', null] }, { in: ['x', 5] },
  { cat: ['a', V('record.a'), null, V('record.list')] }, { substr: [V('record.s'), 1] }, { substr: [V('record.s'), 1, -1] }, { substr: [V('record.s'), -3, 2] },
  { merge: [V('record.list'), 4, [5, 6]] }, { merge: [] },
  { missing: ['record.a', 'record.n', 'record.e', 'record.zz'] }, { missing: [['record.zz', 'x']] }, { missing_some: [1, ['record.a', 'record.zz']] }, { missing_some: [2, ['record.a', 'record.zz']] },
  { map: [V('record.list'), { '*': [V(''), 2] }] }, { filter: [V('record.list'), { '>': [V(''), 1] }] }, { filter: [V('record.s'), true] },
  { reduce: [V('record.list'), { '+': [V('current'), V('accumulator')] }, 0] }, { reduce: [V('record.list'), { '+': [V('current'), V('accumulator')] }] }, { reduce: [V('record.none'), 1, 7] },
  { all: [V('record.list'), { '>': [V(''), 0] }] }, { all: [V('record.empty'), true] }, { none: [V('record.list'), { '>': [V(''), 2] }] }, { none: [V('record.empty'), true] },
  { some: [V('record.rows'), { '==': [V('k'), 'y'] }] }, { some: [V('record.nope'), true] },
  { days_between: [V('record.d'), V('today')] }, { days_between: [V('record.dob'), '2024-02-29'] }, { age_on: [V('record.dob'), V('today')] }, { age_on: [V('record.nope'), V('today')] },
  { count: [V('record.rows')] }, { count: [V('record.rows'), { '==': [V('row.k'), 'x'] }] }, { count: [V('record.rows'), { '==': [V('row.k'), V('record.row.k')] }] },
  { sum_of: [V('record.rows'), 'v'] }, { any_row: [V('record.rows'), { '>': [V('row.v'), 4] }] }, { any_row: [V('record.rows'), { '==': [V('row.k'), V('record.s')] }] },
  { in_lookup: [V('record.sex'), 'sex'] }, { in_lookup: [V('record.sex'), 'unknown_lookup'] }, { in_lookup: [V('record.sex'), V('record.s')] },
  { is_empty: [V('record.e')] }, { is_empty: [V('record.obj')] }, { is_empty: V('record.empty') },
  { date_part: [V('record.d'), 'quarter'] }, { date_part: [V('today'), 'year'] }, { date_part: [V('record.d'), V('record.s')] },
  { and: [{ '!': { is_empty: [V('record.d')] } }, { '>=': [{ days_between: [V('record.d'), V('today')] }, 0] }] },
  { if: [{ '<': [{ age_on: [V('record.dob'), V('today')] }, 18] }, 'child', 'adult'] },
  { log: ['x'] }, { method: [V('record.s'), 'toUpperCase'] }, { unknown_op: [] }, { a: 1, b: 2 },
];

type Outcome = { ok: true; value: unknown } | { ok: false };
function outcome(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch {
    return { ok: false };
  }
}

describe('compiled JSON Logic agrees with json-logic-js', () => {
  it.each(CORPUS.map((logic) => [JSON.stringify(logic), logic]))('%s', (_label, logic) => {
    const compiled = compileLogic(logic, env);
    const reference = prepareForJsonLogic(logic, env);
    for (const data of DATA) {
      const expected = outcome(() => applyJsonLogic(reference, data));
      const actual = outcome(() => compiled(data));
      expect(actual).toEqual(expected);
    }
  });

  it('returns fresh literal arrays, never a shared one', () => {
    const evaluate = compileLogic(['a', 'b'], env);
    const first = evaluate(DATA[0]) as string[];
    first.push('c');
    expect(evaluate(DATA[0])).toEqual(['a', 'b']);
  });
});
