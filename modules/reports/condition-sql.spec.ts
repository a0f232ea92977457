/**
 * The SQL half of the report-condition table (engine/reports/condition-cases.ts): every condition compiled to
 * SQL and run on PostgreSQL selects exactly the records (and subform rows) the JS evaluator selects.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import {
  conditionSql,
  parseCondition,
  REPORT_CONDITION_CASES as CONDITION_CASES,
  REPORT_CONDITION_RECORDS as CASE_RECORDS,
  reportConditionScope as caseScope,
} from '../../engine/index.js';
import { newUser } from '../../test/support/factories.js';
import { newRecord } from '../../test/support/record-factories.js';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';
import { SqlParams } from '../records/scope-sql.js';

describe('report conditions on PostgreSQL', () => {
  let t: TestApp;
  let ds: DataSource;
  const names = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    const owner = await newUser(ds, { agency: 'AG1' });
    for (const record of CASE_RECORDS) {
      const { facts } = record;
      const made = await newRecord(ds, {
        module: 'condtest',
        recordType: 'thing',
        owner,
        data: record.data,
        status: facts.status,
        disabled: facts.disabled,
        ownerAgency: facts.agency,
        createdAt: facts.createdAt,
      });
      names.set(made.id, record.name);
      for (const type of facts.approved) {
        await ds.query(`INSERT INTO record_approval (record_id, approval_type, status) VALUES ($1, $2, 'approved')`, [made.id, type]);
      }
      // A rejected request and a revoked referral count for nothing.
      await ds.query(`INSERT INTO record_approval (record_id, approval_type, status) VALUES ($1, 'action_plan', 'rejected')`, [made.id]);
      await ds.query(`INSERT INTO record_transition (kind, record_id, status) VALUES ('referral', $1, 'revoked')`, [made.id]);
      for (let i = 0; i < facts.referrals; i++) {
        await ds.query(`INSERT INTO record_transition (kind, record_id, status) VALUES ('referral', $1, $2)`, [made.id, i === 0 ? 'pending' : 'accepted']);
      }
      if (facts.closedAt !== null) {
        // An earlier closing (then reopened) and the latest one: `$closed_at` is the latest.
        await ds.query(`INSERT INTO record_history (record_id, version, action, changes, at) VALUES ($1, 2, 'close', $2, '2025-01-01T00:00:00Z')`, [
          made.id,
          JSON.stringify([{ path: '$status', from: 'open', to: 'closed' }]),
        ]);
        await ds.query(`INSERT INTO record_history (record_id, version, action, changes, at) VALUES ($1, 3, 'close', $2, $3)`, [
          made.id,
          JSON.stringify([{ path: '$status', from: 'reopened', to: 'closed' }]),
          facts.closedAt,
        ]);
      }
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it.each(CONDITION_CASES.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const params = new SqlParams();
    const bind = (value: unknown) => params.add(value);
    const parsed = parseCondition(c.logic, caseScope(c.rows === true), bind);
    expect(parsed.issues).toEqual([]);
    const where = conditionSql(parsed.node!, bind);
    const rows: { id: string; rid: string | null }[] = await ds.query(
      c.rows === true
        ? `SELECT r.id, x.row->>'_id' AS rid FROM record r
             CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.data->'perpetrators') = 'array' THEN r.data->'perpetrators' ELSE '[]'::jsonb END) WITH ORDINALITY AS x(row, n)
            WHERE r.module = 'condtest' AND ${where}`
        : `SELECT r.id, NULL AS rid FROM record r WHERE r.module = 'condtest' AND ${where}`,
      params.values,
    );
    const selected = rows.map((row) => (row.rid === null ? names.get(row.id)! : `${names.get(row.id)}/${row.rid}`)).sort();
    expect(selected).toEqual([...c.expected].sort());
  });
});
