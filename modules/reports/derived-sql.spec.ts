/**
 * Averages computed by the report statement on PostgreSQL, including the column split over a multi-select, where
 * a record stands in several columns and every total must add its value once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { assembleReportTable, buildReportQuery, compileBundles, loadBundles, type ReportCountRow, type ReportDefinition } from '../../engine/index.js';
import { newUser } from '../../test/support/factories.js';
import { newRecord } from '../../test/support/record-factories.js';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';
import { SqlParams } from '../records/scope-sql.js';

const REPORT: ReportDefinition = {
  key: 'kpis',
  label: 'KPIs',
  module: 'm',
  recordType: 'case',
  disaggregations: [{ key: 'concerns', label: 'Concerns', field: 'concerns' }],
  indicators: [
    { key: 'cases', label: 'Cases' },
    { key: 'closed', label: 'Closed', where: { '==': [{ var: '$status' }, 'closed'] } },
  ],
  derived: [
    { key: 'closure_rate', label: 'Closure rate', ratio: { numerator: 'closed', denominator: 'cases' }, format: 'percent' },
    { key: 'average_age', label: 'Average age', average: { of: 'age', over: 'cases' }, format: 'decimal' },
    { key: 'days_to_close', label: 'Days to close', average: { of: { days: ['$created_at', '$closed_at'] }, over: 'closed' }, format: 'decimal' },
  ],
};

const FILES: Record<string, unknown> = {
  'bundle.json': { key: 'test', version: '1.0.0', title: 'Test bundle', baseLanguage: 'en', locales: ['en'], dependsOn: [] },
  'modules/m.json': { key: 'm', label: 'Module', recordTypes: ['case'] },
  'record-types/m.case.json': { key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }] },
  'forms/m.case.main_form.json': {
    key: 'main_form', module: 'm', recordType: 'case', label: 'Main form', group: 'main', order: 1,
    fields: [
      { key: 'age', type: 'number', label: 'Age' },
      { key: 'concerns', type: 'multi_select', label: 'Concerns', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] },
    ],
  },
  'reports/kpis.json': REPORT,
};
const loaded = loadBundles([Object.fromEntries(Object.entries(FILES).map(([path, value]) => [path, JSON.stringify(value)]))]);
if (loaded.bundles === undefined) throw new Error(JSON.stringify(loaded.issues));
const config = compileBundles(loaded.bundles);

describe('report averages on PostgreSQL', () => {
  let t: TestApp;
  let ds: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    const owner = await newUser(ds, { agency: 'AG1' });
    // Six cases of 10 with concerns a and b, the first five closed after 4 days; six of 20 with concern a only.
    for (let i = 0; i < 12; i++) {
      const both = i < 6;
      const closed = i < 5;
      const made = await newRecord(ds, {
        module: 'm', recordType: 'case', owner, status: closed ? 'closed' : 'open', createdAt: '2026-05-01T08:00:00Z',
        data: { age: both ? 10 : 20, concerns: both ? ['a', 'b'] : ['a'] },
      });
      if (closed) {
        await ds.query(`INSERT INTO record_history (record_id, version, at, action, changes) VALUES ($1, 2, '2026-05-05T09:00:00Z', 'update', $2)`, [
          made.id, JSON.stringify([{ path: '$status', from: 'open', to: 'closed' }]),
        ]);
      }
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  const run = async (groupBy?: string) => {
    const sql = new SqlParams();
    const { sql: text, plan } = buildReportQuery({ config, report: REPORT, params: groupBy === undefined ? {} : { groupBy }, scopeSql: 'true', param: (v) => sql.add(v) });
    const counts: ReportCountRow[] = await ds.query(text, sql.values);
    return assembleReportTable(plan, counts);
  };

  it('averages over all records', async () => {
    const table = await run();
    expect(table.derived.map((d) => [d.key, ...d.cells, d.total])).toEqual([
      ['closure_rate', 41.7, 41.7],
      // (6 × 10 + 6 × 20) / 12
      ['average_age', 15, 15],
      ['days_to_close', 4, 4],
    ]);
  });

  it('adds each record once to the totals of a multi-select split', async () => {
    const table = await run('concerns');
    expect(table.columns.map((c) => c.key)).toEqual(['a', 'b', '_none']);
    expect(table.rows.map((r) => [r.key, ...r.cells, r.total])).toEqual([
      ['cases', 12, 6, 0, 12],
      ['closed', 5, 5, 0, 5],
    ]);
    expect(table.derived.map((d) => [d.key, ...d.cells, d.total])).toEqual([
      ['closure_rate', 41.7, 83.3, null, 41.7],
      // a: all twelve (15); b: the six of 10; the total counts the six of 10 once, not twice (that would be 13.33).
      ['average_age', 15, 10, null, 15],
      ['days_to_close', 4, 4, null, 4],
    ]);
  });
});
