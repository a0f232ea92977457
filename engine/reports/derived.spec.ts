/**
 * Derived figures of reports (docs/reports.md, "Rates and averages"): checked in the bundle, planned as SQL
 * sums next to the counts, and published only where every count they derive from is published.
 */
import { describe, expect, it } from '@jest/globals';
import { compileOrThrow, loadIssues, makeBundle } from '../testing/bundle-factory.js';
import { assembleReportTable, type ReportCountRow } from './report-table.js';
import { buildReportQuery } from './report-query.js';
import type { ReportDefinition } from '../bundle/schema/report.js';

const FIELDS = [
  { key: 'sex', type: 'select', label: 'Sex', options: [{ value: 'female', label: 'Female' }, { value: 'male', label: 'Male' }] },
  { key: 'age', type: 'number', label: 'Age' },
  { key: 'seen_on', type: 'date', label: 'Seen on' },
  { key: 'note', type: 'text', label: 'Note' },
  { key: 'region', type: 'select', label: 'Region', options: [{ value: 'north', label: 'North' }, { value: 'south', label: 'South' }] },
];

const REPORT: ReportDefinition = {
  key: 'kpis',
  label: 'KPIs',
  module: 'm',
  recordType: 'case',
  disaggregations: [
    { key: 'sex', label: 'Sex', field: 'sex' },
    { key: 'region', label: 'Region', field: 'region' },
  ],
  indicators: [
    { key: 'cases', label: 'Cases' },
    { key: 'closed', label: 'Closed', where: { '==': [{ var: '$status' }, 'closed'] } },
    { key: 'by_sex', label: 'Cases by sex', by: 'sex' },
  ],
  derived: [
    { key: 'closure_rate', label: 'Closure rate', ratio: { numerator: 'closed', denominator: 'cases' }, format: 'percent' },
    { key: 'female_share', label: 'Share of women', ratio: { numerator: 'by_sex.female', denominator: 'by_sex' }, format: 'percent' },
    { key: 'average_age', label: 'Average age', average: { of: 'age', over: 'cases' }, format: 'decimal' },
    { key: 'days_to_close', label: 'Days to close', average: { of: { days: ['$created_at', '$closed_at'] }, over: 'closed' }, format: 'decimal' },
  ],
};

const bundle = (report: unknown, translations = {}) => makeBundle({ fields: FIELDS, files: { 'reports/kpis.json': report }, translations });

describe('derived figures in the bundle', () => {
  it('loads rates and averages, with their labels translatable', () => {
    expect(loadIssues(bundle(REPORT, { fr: { 'report.kpis.indicator.closure_rate.label': 'Taux de clôture' } }))).toEqual([]);
  });

  it('refuses, every problem at once, references that do not exist, derive from derived figures or do not fit', () => {
    const bad = {
      ...REPORT,
      derived: [
        { key: 'cases', label: 'Clash', ratio: { numerator: 'closed', denominator: 'cases' }, format: 'percent' },
        { key: 'a', label: 'A', ratio: { numerator: 'nothing', denominator: 'b' }, format: 'percent' },
        { key: 'b', label: 'B', ratio: { numerator: 'closed.female', denominator: 'closed' }, format: 'decimal' },
        { key: 'c', label: 'C', ratio: { numerator: 'closed', denominator: 'cases' }, average: { of: 'age', over: 'cases' }, format: 'percent' },
        { key: 'd', label: 'D', average: { of: 'age', over: 'by_sex' }, format: 'decimal' },
        { key: 'e', label: 'E', average: { of: 'note', over: 'cases' }, format: 'decimal' },
        { key: 'f', label: 'F', average: { of: { days: ['seen_on', 'age'] }, over: 'closed' }, format: 'decimal' },
        { key: 'g', label: 'G', average: { of: 'age', over: 'a' }, format: 'decimal' },
        { key: 'h', label: 'H', ratio: { numerator: 'cases', denominator: 'cases' }, format: 'ratio' },
      ],
    };
    expect(loadIssues(bundle(bad)).map((i) => [i.pointer, i.code])).toEqual([
      ['/derived/8/format', 'invalid_value'],
    ]);
    const { derived } = bad;
    derived[8] = { key: 'h', label: 'H', ratio: { numerator: 'cases', denominator: 'cases' }, format: 'percent' };
    expect(loadIssues(bundle({ ...bad, derived })).map((i) => [i.pointer, i.code, i.message])).toEqual([
      ['/derived/0/key', 'duplicate_key', '"cases" is already an indicator or derived figure of this report.'],
      ['/derived/1/ratio/numerator', 'report_invalid_condition', 'There is no indicator "nothing" in this report.'],
      ['/derived/1/ratio/denominator', 'report_invalid_condition', '"b" is a derived figure; ratios read indicators\' counts only.'],
      ['/derived/2/ratio/numerator', 'report_invalid_condition', '"closed" is not split, so it has no row "female".'],
      ['/derived/3', 'report_invalid_condition', 'A derived figure has exactly one of `ratio` and `average`.'],
      ['/derived/4/average/over', 'report_invalid_condition', 'Averages run over the records of a one-row indicator; "by_sex" counts subform rows or is split.'],
      ['/derived/5/average/of', 'report_type_mismatch', '"note" is not a number.'],
      ['/derived/6/average/of/days/1', 'report_type_mismatch', '"age" is not a date.'],
      ['/derived/7/average/over', 'report_invalid_condition', '"a" is a derived figure; averages run over an indicator\'s records.'],
      ['/derived/8/ratio', 'report_invalid_condition', 'The numerator and the denominator are the same count.'],
    ]);
  });
});

describe('derived figures, planned and assembled (no database)', () => {
  const config = compileOrThrow(bundle(REPORT));

  it('computes the averages in SQL as sums and counts next to the counts', () => {
    const { sql, plan } = buildReportQuery({ config, report: REPORT, params: { groupBy: 'region' }, scopeSql: 'true', param: () => '$1' });
    expect(sql).toContain('average_plain_units AS (');
    expect(sql).toContain('sum(v)::float8 AS s');
    expect(sql).toContain(`::date - (to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))::date`);
    expect(plan.derived?.map((d) => [d.key, d.average?.index ?? null])).toEqual([
      ['closure_rate', null],
      ['female_share', null],
      ['average_age', 5],
      ['days_to_close', 6],
    ]);
  });

  it('divides published counts, and hides a figure whenever a count it derives from is suppressed', () => {
    const { plan } = buildReportQuery({ config, report: REPORT, params: { groupBy: 'region' }, scopeSql: 'true', param: () => '$1' });
    const one = (i: number, north: number, south: number): ReportCountRow[] => [
      { i, rk: '', ck: 'north', n: north, g: 0 }, { i, rk: '', ck: 'south', n: south, g: 0 }, { i, rk: '', ck: null, n: north + south, g: 1 },
      { i, rk: null, ck: 'north', n: north, g: 2 }, { i, rk: null, ck: 'south', n: south, g: 2 }, { i, rk: null, ck: null, n: north + south, g: 3 },
    ];
    const average = (i: number, north: [number, number], south: [number, number]): ReportCountRow[] => [
      { i, rk: '', ck: 'north', n: north[0], s: north[1], g: 0 }, { i, rk: '', ck: 'south', n: south[0], s: south[1], g: 0 },
      { i, rk: '', ck: null, n: north[0] + south[0], s: north[1] + south[1], g: 1 },
      { i, rk: null, ck: 'north', n: north[0], s: north[1], g: 2 }, { i, rk: null, ck: 'south', n: south[0], s: south[1], g: 2 },
      { i, rk: null, ck: null, n: north[0] + south[0], s: north[1] + south[1], g: 3 },
    ];
    const counts: ReportCountRow[] = [
      // cases: North 12, South 3 (small), total 15
      ...one(0, 12, 3),
      // closed: North 5, South 0, total 5
      ...one(1, 5, 0),
      // by sex: women North 7, South 0; men North 5, South 3
      { i: 2, rk: 'female', ck: 'north', n: 7, g: 0 }, { i: 2, rk: 'male', ck: 'north', n: 5, g: 0 }, { i: 2, rk: 'male', ck: 'south', n: 3, g: 0 },
      { i: 2, rk: 'female', ck: null, n: 7, g: 1 }, { i: 2, rk: 'male', ck: null, n: 8, g: 1 },
      { i: 2, rk: null, ck: 'north', n: 12, g: 2 }, { i: 2, rk: null, ck: 'south', n: 3, g: 2 }, { i: 2, rk: null, ck: null, n: 15, g: 3 },
      // ages of 11 cases in the North (sum 330) and 3 in the South (sum 45)
      ...average(5, [11, 330], [3, 45]),
      // days to close: 5 closed cases in the North, 4 of them with both dates (sum 30): too few values
      ...average(6, [4, 30], [0, 0]),
    ];
    const table = assembleReportTable(plan, counts);
    expect(table.rows.find((r) => r.key === 'cases')?.cells).toEqual(['*', '<5', 0]);
    expect(table.derived.map((d) => [d.key, d.format, ...d.cells, d.total])).toEqual([
      // The North's 12 cases are hidden to protect the South's 3, and a rate over 3 would give the 3 away: no
      // rate in either region; 5 closed of all 15 is published.
      ['closure_rate', 'percent', '*', '*', null, 33.3],
      // women: 7 of the North's 12 (hidden), none in the South of 3 (small), 7 of 15 in all
      ['female_share', 'percent', '*', '*', null, 46.7],
      // average age over the cases: the North's and South's case counts are hidden; 375 / 14 in all
      ['average_age', 'decimal', '*', '*', null, 26.79],
      // days to close over closed cases: North 5 closed but only 4 with both dates (below 5): hidden
      ['days_to_close', 'decimal', '*', null, null, '*'],
    ]);
  });

  it('publishes every figure of a table whose counts are all at or above the threshold', () => {
    const { plan } = buildReportQuery({ config, report: REPORT, params: {}, scopeSql: 'true', param: () => '$1' });
    const row = (i: number, n: number, rk = ''): ReportCountRow[] => [
      { i, rk, ck: '', n, g: 0 }, { i, rk, ck: null, n, g: 1 },
    ];
    const counts: ReportCountRow[] = [
      ...row(0, 20), { i: 0, rk: null, ck: '', n: 20, g: 2 }, { i: 0, rk: null, ck: null, n: 20, g: 3 },
      ...row(1, 6), { i: 1, rk: null, ck: '', n: 6, g: 2 }, { i: 1, rk: null, ck: null, n: 6, g: 3 },
      ...row(2, 12, 'female'), ...row(2, 8, 'male'), { i: 2, rk: null, ck: '', n: 20, g: 2 }, { i: 2, rk: null, ck: null, n: 20, g: 3 },
      { i: 5, rk: '', ck: '', n: 19, s: 570, g: 0 }, { i: 5, rk: '', ck: null, n: 19, s: 570, g: 1 },
      { i: 6, rk: '', ck: '', n: 6, s: 61, g: 0 }, { i: 6, rk: '', ck: null, n: 6, s: 61, g: 1 },
    ];
    const table = assembleReportTable(plan, counts);
    expect(table.suppressed).toBe(false);
    expect(table.derived.map((d) => [d.key, ...d.cells, d.total])).toEqual([
      ['closure_rate', 30, 30],
      ['female_share', 60, 60],
      ['average_age', 30, 30],
      ['days_to_close', 10.17, 10.17],
    ]);
  });
});
