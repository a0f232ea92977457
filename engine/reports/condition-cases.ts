/**
 * One table of report conditions over a handful of records, with the records each condition selects: the
 * JS evaluator (condition.spec.ts) and the SQL compiler on PostgreSQL (modules/reports/condition-sql.spec.ts)
 * must both give exactly these answers.
 */
import type { OperandScope, RecordReportFacts, ReportField } from './operands.js';

const choice = (options: string[]): ReportField => ({ type: 'select', identifying: false, options });

export const CASE_FIELDS: Readonly<Record<string, ReportField>> = {
  sex: choice(['female', 'male', 'other']),
  age: { type: 'number', identifying: false },
  consent: { type: 'yes_no', identifying: false },
  incident_date: { type: 'date', identifying: false },
  context: { type: 'multi_select', identifying: false, options: ['ipv', 'csa', 'early_marriage'] },
  note: { type: 'text', identifying: false },
  score: { type: 'calculated', identifying: false },
  name: { type: 'text', identifying: true },
  perpetrators: { type: 'subform', identifying: false },
};

export const CASE_ROW_FIELDS: Readonly<Record<string, ReportField>> = {
  kind: { type: 'radio', identifying: false, options: ['primary', 'secondary'] },
  perp_sex: choice(['female', 'male', 'other']),
};

export const caseScope = (rows: boolean): OperandScope => ({
  field: (key) => CASE_FIELDS[key],
  ...(rows ? { rowField: (key: string) => CASE_ROW_FIELDS[key] } : {}),
});

export interface CaseRecord {
  readonly name: string;
  readonly data: Record<string, unknown>;
  readonly facts: RecordReportFacts;
}

const facts = (over: Partial<RecordReportFacts> = {}): RecordReportFacts => ({
  status: 'open',
  agency: 'AG1',
  disabled: false,
  flagged: false,
  createdAt: '2026-03-10T08:00:00.000Z',
  closedAt: null,
  approved: [],
  referrals: 0,
  ...over,
});

export const CASE_RECORDS: readonly CaseRecord[] = [
  {
    name: 'a',
    data: {
      sex: 'female', age: 12, consent: true, incident_date: '2026-01-15', context: ['ipv', 'csa'], note: 'x', score: 3,
      perpetrators: [{ _id: 'p1', kind: 'primary', perp_sex: 'male' }, { _id: 'p2', kind: 'secondary', perp_sex: 'female' }],
    },
    facts: facts({ approved: ['action_plan'], referrals: 2 }),
  },
  {
    name: 'b',
    data: { sex: 'male', age: 17.5, consent: false, incident_date: '2026-02-01', context: [], note: '', perpetrators: [{ _id: 'p3', kind: 'primary', perp_sex: 'male' }] },
    facts: facts({ status: 'closed', closedAt: '2026-04-02T23:30:00.000Z', createdAt: '2025-12-31T23:59:00.000Z' }),
  },
  { name: 'c', data: { sex: 'female', age: null, incident_date: null, score: 'high' }, facts: facts({ disabled: true, agency: null }) },
  // Wrong JSON types where the schema would normally forbid them: conditions must stay false, never fail.
  { name: 'd', data: { sex: 3, age: '12', consent: 'true', incident_date: '15/01/2026', context: 'ipv' }, facts: facts({ referrals: 1 }) },
  { name: 'e', data: {}, facts: facts({ status: 'closed', closedAt: '2026-05-01T10:00:00.000Z', approved: ['gbv_closure'] }) },
];

export interface ConditionCase {
  readonly title: string;
  readonly logic: unknown;
  /** Names of the records selected (for `rows` cases: `<record>/<row _id>`). */
  readonly expected: readonly string[];
  readonly rows?: boolean;
}

export const CONDITION_CASES: readonly ConditionCase[] = [
  { title: 'always', logic: true, expected: ['a', 'b', 'c', 'd', 'e'] },
  { title: 'never', logic: false, expected: [] },
  { title: '== on a choice', logic: { '==': [{ var: 'sex' }, 'female'] }, expected: ['a', 'c'] },
  { title: '== with the literal first', logic: { '==': ['male', { var: 'sex' }] }, expected: ['b'] },
  { title: '!= is the negation of == (missing values included)', logic: { '!=': [{ var: 'sex' }, 'female'] }, expected: ['b', 'd', 'e'] },
  { title: '== on a number (only numbers)', logic: { '==': [{ var: 'age' }, 12] }, expected: ['a'] },
  { title: '< on a number', logic: { '<': [{ var: 'age' }, 18] }, expected: ['a', 'b'] },
  { title: '>= on a number, literal first', logic: { '>=': [17, { var: 'age' }] }, expected: ['a'] },
  { title: 'between (3-argument <=)', logic: { '<=': [12, { var: 'age' }, 17.5] }, expected: ['a', 'b'] },
  { title: 'between (3-argument <), exclusive', logic: { '<': [12, { var: 'age' }, 17.5] }, expected: [] },
  { title: 'yes/no as a bare var', logic: { var: 'consent' }, expected: ['a'] },
  { title: 'yes/no == false', logic: { '==': [{ var: 'consent' }, false] }, expected: ['b'] },
  { title: '! of a yes/no (missing and wrong types included)', logic: { '!': { var: 'consent' } }, expected: ['b', 'c', 'd', 'e'] },
  { title: 'date on or after', logic: { '>=': [{ var: 'incident_date' }, '2026-01-31'] }, expected: ['b'] },
  { title: 'date before', logic: { '<': [{ var: 'incident_date' }, '2026-02-01'] }, expected: ['a'] },
  { title: 'in a list of values', logic: { in: [{ var: 'sex' }, ['male', 'other']] }, expected: ['b'] },
  { title: 'in a list of numbers', logic: { in: [{ var: 'age' }, [12, 40]] }, expected: ['a'] },
  { title: 'multi-select holds a value', logic: { in: ['csa', { var: 'context' }] }, expected: ['a'] },
  { title: 'missing: absent, null, "" or []', logic: { missing: ['context'] }, expected: ['b', 'c', 'e'] },
  { title: 'missing: any of several', logic: { missing: ['note', 'age'] }, expected: ['b', 'c', 'd', 'e'] },
  { title: 'not missing', logic: { '!': { missing: ['note'] } }, expected: ['a'] },
  { title: 'and / or', logic: { or: [{ and: [{ '==': [{ var: 'sex' }, 'female'] }, { '<': [{ var: 'age' }, 13] }] }, { '==': [{ var: 'sex' }, 'male'] }] }, expected: ['a', 'b'] },
  { title: 'calculated field compared as a number', logic: { '>': [{ var: 'score' }, 2] }, expected: ['a'] },
  { title: 'calculated field compared as text', logic: { '==': [{ var: 'score' }, 'high'] }, expected: ['c'] },
  { title: '$status', logic: { '==': [{ var: '$status' }, 'closed'] }, expected: ['b', 'e'] },
  { title: '$disabled', logic: { '!': { var: '$disabled' } }, expected: ['a', 'b', 'd', 'e'] },
  { title: '$agency missing', logic: { missing: ['$agency'] }, expected: ['c'] },
  { title: '$created_at (UTC date)', logic: { '<': [{ var: '$created_at' }, '2026-01-01'] }, expected: ['b'] },
  { title: '$closed_at (UTC date)', logic: { '==': [{ var: '$closed_at' }, '2026-04-02'] }, expected: ['b'] },
  { title: '$closed_at missing unless closed', logic: { missing: ['$closed_at'] }, expected: ['a', 'c', 'd'] },
  { title: '$approved.<type>', logic: { var: '$approved.action_plan' }, expected: ['a'] },
  { title: '$approved of another type', logic: { var: '$approved.gbv_closure' }, expected: ['e'] },
  { title: '$referrals', logic: { '>=': [{ var: '$referrals' }, 1] }, expected: ['a', 'd'] },
  { title: 'rows: a row field', logic: { '==': [{ var: 'row.kind' }, 'primary'] }, expected: ['a/p1', 'b/p3'], rows: true },
  { title: 'rows: row and record fields together', logic: { and: [{ '==': [{ var: 'row.perp_sex' }, 'male'] }, { '==': [{ var: 'sex' }, 'female'] }] }, expected: ['a/p1'], rows: true },
  { title: 'rows: not', logic: { '!': { '==': [{ var: 'row.kind' }, 'primary'] } }, expected: ['a/p2'], rows: true },
];
