import { describe, expect, it } from '@jest/globals';
import { CASE_RECORDS, CONDITION_CASES, caseScope } from './condition-cases.js';
import { conditionSql, evaluateCondition, parseCondition } from './condition.js';

const binder = () => {
  const values: unknown[] = [];
  return { values, param: (value: unknown) => (values.push(value), `$${values.length}`) };
};

describe('report conditions: the JS evaluator', () => {
  it.each(CONDITION_CASES.map((c) => [c.title, c] as const))('%s', (_title, c) => {
    const parsed = parseCondition(c.logic, caseScope(c.rows === true), binder().param);
    expect(parsed.issues).toEqual([]);
    const selected: string[] = [];
    for (const record of CASE_RECORDS) {
      if (c.rows === true) {
        const rows = Array.isArray(record.data['perpetrators']) ? (record.data['perpetrators'] as Record<string, unknown>[]) : [];
        for (const row of rows) if (evaluateCondition(parsed.node!, { data: record.data, row, facts: record.facts })) selected.push(`${record.name}/${String(row['_id'])}`);
      } else if (evaluateCondition(parsed.node!, { data: record.data, facts: record.facts })) {
        selected.push(record.name);
      }
    }
    expect(selected).toEqual(c.expected);
  });
});

describe('report conditions: SQL', () => {
  it('binds every value as a parameter and inlines only validated keys', () => {
    const { values, param } = binder();
    const parsed = parseCondition({ and: [{ '==': [{ var: 'sex' }, 'female'] }, { in: ['csa', { var: 'context' }] }, { '<': [{ var: 'age' }, 18] }] }, caseScope(false), param);
    const sql = conditionSql(parsed.node!, param);
    expect(values).toEqual(['female', '["csa"]', 18]);
    expect(sql).toContain("r.data->>'sex'");
    expect(sql).not.toContain('female');
    expect(sql).not.toContain('csa');
    expect(sql).toBe(
      "(coalesce((CASE WHEN jsonb_typeof(r.data->'sex') = 'string' THEN r.data->>'sex' END) = $1::text, false) AND " +
        "coalesce(jsonb_typeof(r.data->'context') = 'array' AND r.data->'context' @> $2::jsonb, false) AND " +
        "coalesce((CASE WHEN jsonb_typeof(r.data->'age') = 'number' THEN (r.data->>'age')::numeric END) < $3::numeric, false))",
    );
  });

  it('binds approval types too', () => {
    const { values, param } = binder();
    const parsed = parseCondition({ var: '$approved.action_plan' }, caseScope(false), param);
    expect(conditionSql(parsed.node!, param)).toContain('a.approval_type = $1::text');
    expect(values).toEqual(['action_plan']);
  });
});

describe('report conditions: the subset and its checks', () => {
  const issues = (logic: unknown, rows = false) => parseCondition(logic, caseScope(rows), binder().param).issues.map((i) => [i.pointer, i.code]);

  it.each([
    ['an operator outside the subset', { if: [true, true, false] }, [['/if', 'report_unsupported_operator']]],
    ['arithmetic', { '==': [{ '+': [{ var: 'age' }, 1] }, 3] }, [['/==', 'report_invalid_condition']]],
    ['json-logic-js extras (some)', { some: [{ var: 'perpetrators' }, true] }, [['/some', 'report_unsupported_operator']]],
    ['a field that does not exist', { '==': [{ var: 'colour' }, 'red'] }, [['/==/0', 'unknown_field']]],
    ['an identifying field', { missing: ['name'] }, [['/missing/0', 'identifying_in_report']]],
    ['a subform as a value', { missing: ['perpetrators'] }, [['/missing/0', 'report_type_mismatch']]],
    ['a string against a number field', { '==': [{ var: 'age' }, '12'] }, [['/==/1', 'report_type_mismatch']]],
    ['a value that is not an option', { '==': [{ var: 'sex' }, 'woman'] }, [['/==/1', 'report_unknown_option']]],
    ['ordering a choice field', { '<': [{ var: 'sex' }, 'male'] }, [['/<', 'report_type_mismatch']]],
    ['a date that is not one', { '<': [{ var: 'incident_date' }, '2026-02-30x'] }, [['/</1', 'report_type_mismatch']]],
    ['== on a multi-select', { '==': [{ var: 'context' }, 'ipv'] }, [['/==/1', 'report_type_mismatch']]],
    ['in on a text field', { in: ['x', { var: 'note' }] }, [['/in/1', 'report_type_mismatch']]],
    ['a bare var that is not yes/no', { var: 'sex' }, [['/var', 'report_type_mismatch']]],
    ['row fields outside a rows indicator', { '==': [{ var: 'row.kind' }, 'primary'] }, [['/==/0', 'row_outside_subform']]],
    ['an unknown pseudo-variable', { var: '$owner' }, [['/var', 'unknown_field']]],
    ['an unknown approval type', { var: '$approved.everything' }, [['/var', 'unknown_field']]],
    ['two vars compared', { '==': [{ var: 'age' }, { var: 'score' }] }, [['/==', 'report_invalid_condition']]],
    ['every problem at once', { and: [{ var: 'sex' }, { log: 1 }, { '==': [{ var: 'sex' }, 'woman'] }] }, [
      ['/and/0/var', 'report_type_mismatch'],
      ['/and/1/log', 'report_unsupported_operator'],
      ['/and/2/==/1', 'report_unknown_option'],
    ]],
  ])('refuses %s', (_title, logic, expected) => {
    expect(issues(logic)).toEqual(expected);
  });

  it('accepts row fields in rows indicators', () => {
    expect(issues({ '==': [{ var: 'row.kind' }, 'primary'] }, true)).toEqual([]);
  });
});
