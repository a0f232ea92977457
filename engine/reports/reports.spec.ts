import { describe, expect, it } from '@jest/globals';
import { compileOrThrow, loadIssues, makeBundle } from '../testing/bundle-factory.js';
import { assembleReportTable, type ReportCountRow } from './report-table.js';
import { buildReportQuery, periodsBetween } from './report-query.js';
import { validateReportParams } from './report-params.js';
import type { ReportDefinition } from '../bundle/schema/report.js';

const FIELDS = [
  { key: 'sex', type: 'select', label: 'Sex', options: [{ value: 'female', label: 'Female' }, { value: 'male', label: 'Male' }] },
  { key: 'age', type: 'number', label: 'Age' },
  { key: 'consent', type: 'yes_no', label: 'Consent' },
  { key: 'seen_on', type: 'date', label: 'Seen on' },
  { key: 'place', type: 'location', label: 'Place' },
  { key: 'name', type: 'text', label: 'Name', identifying: true },
  { key: 'note', type: 'text', label: 'Note' },
  {
    key: 'people',
    type: 'subform',
    label: 'People',
    fields: [
      { key: 'role', type: 'radio', label: 'Role', options: [{ value: 'main', label: 'Main' }, { value: 'other', label: 'Other' }] },
      { key: 'person_sex', type: 'select', label: 'Sex', options: [{ value: 'female', label: 'Female' }, { value: 'male', label: 'Male' }] },
    ],
  },
];
const LOCATIONS = {
  places: {
    adminLevels: [{ level: 0, key: 'country', label: 'Country' }, { level: 1, key: 'region', label: 'Region' }],
    locations: [
      { code: 'C', level: 0, name: 'Country' },
      { code: 'R1', level: 1, name: 'North', parent: 'C' },
      { code: 'R2', level: 1, name: 'South', parent: 'C' },
    ],
  },
};

const GOOD: ReportDefinition = {
  key: 'stats',
  label: 'Statistics',
  module: 'm',
  recordType: 'case',
  where: { and: [{ var: 'consent' }, { '!': { var: '$disabled' } }] },
  dateFields: ['seen_on'],
  disaggregations: [
    { key: 'sex', label: 'Sex', field: 'sex' },
    { key: 'age', label: 'Age', field: 'age', bands: [{ key: '0_17', label: 'Children', max: 17 }, { key: '18_older', label: 'Adults', min: 18 }] },
    { key: 'region', label: 'Region', field: 'place', adminLevel: 'region' },
    { key: 'month', label: 'Month', field: 'seen_on', period: 'month' },
    { key: 'person_sex', label: 'Sex of the person', field: 'row.person_sex' },
  ],
  indicators: [
    { key: 'cases', label: 'Cases' },
    { key: 'by_sex', label: 'Cases by sex', by: 'sex' },
    { key: 'main_people', label: 'Main people by sex', rows: 'people', where: { '==': [{ var: 'row.role' }, 'main'] }, by: 'person_sex' },
  ],
};

const bundle = (report: unknown, translations = {}) =>
  makeBundle({ fields: FIELDS, locations: LOCATIONS, files: { 'reports/stats.json': report }, translations });

describe('report definitions in the bundle', () => {
  it('loads a good report', () => {
    expect(loadIssues(bundle(GOOD))).toEqual([]);
  });

  it('refuses, with every problem at once, what the report subset and the fields do not allow', () => {
    const bad = {
      ...GOOD,
      where: { and: [{ if: [true, true] }, { '==': [{ var: 'name' }, 'X'] }] },
      dateFields: ['sex'],
      disaggregations: [
        { key: 'sex', label: 'Sex', field: 'note' },
        { key: 'age', label: 'Age', field: 'sex', bands: [{ key: 'a', label: 'A', min: 5, max: 1 }] },
        { key: 'region', label: 'Region', field: 'place', adminLevel: 'province' },
        { key: 'month', label: 'Month', field: 'age', period: 'month' },
        { key: 'person_sex', label: 'Sex of the person', field: 'row.nobody' },
      ],
      indicators: [
        { key: 'cases', label: 'Cases', by: 'nothing' },
        { key: 'people', label: 'People', rows: 'sex' },
        { key: 'main_people', label: 'Main people', rows: 'people', by: 'person_sex', where: { '==': [{ var: 'row.role' }, 'boss'] } },
        { key: 'rows_on_records', label: 'X', by: 'person_sex', count: 'rows' },
      ],
    };
    const issues = loadIssues(bundle(bad)).map((i) => [i.file, i.pointer, i.code]);
    expect(issues).toEqual([
      ['reports/stats.json', '/where/and/0/if', 'report_unsupported_operator'],
      ['reports/stats.json', '/where/and/1/==/0', 'identifying_in_report'],
      ['reports/stats.json', '/dateFields/0', 'report_type_mismatch'],
      ['reports/stats.json', '/disaggregations/0/field', 'report_invalid_disaggregation'],
      ['reports/stats.json', '/disaggregations/1/bands', 'report_invalid_disaggregation'],
      ['reports/stats.json', '/disaggregations/2/adminLevel', 'unknown_admin_level'],
      ['reports/stats.json', '/disaggregations/3/period', 'report_invalid_disaggregation'],
      ['reports/stats.json', '/indicators/0/by', 'report_unknown_disaggregation'],
      ['reports/stats.json', '/indicators/1/rows', 'unknown_subform'],
      ['reports/stats.json', '/indicators/2/where/==/1', 'report_unknown_option'],
      ['reports/stats.json', '/disaggregations/4/field', 'unknown_field'],
      ['reports/stats.json', '/indicators/3/count', 'report_invalid_condition'],
      ['reports/stats.json', '/indicators/3/by', 'report_unknown_disaggregation'],
    ]);
  });

  it('refuses unknown record types and malformed files', () => {
    expect(loadIssues(bundle({ ...GOOD, recordType: 'incident' })).map((i) => [i.pointer, i.code])).toEqual([['/recordType', 'unknown_record_type']]);
    expect(loadIssues(bundle({ ...GOOD, threshold: 1, colour: 'red' })).map((i) => [i.pointer, i.code])).toEqual([
      ['/colour', 'unknown_property'],
      ['/threshold', 'too_small'],
    ]);
    expect(loadIssues(bundle(GOOD, { fr: { 'report.stats.indicator.nope.label': 'Non' } })).map((i) => i.code)).toEqual(['unknown_translation_key']);
  });
});

describe('a report run, planned and assembled (no database)', () => {
  const config = compileOrThrow(bundle(GOOD, { fr: { 'report.stats.label': 'Statistiques', 'report.stats.indicator.by_sex.label': 'Cas par sexe' } }));

  it('binds every value as a parameter', () => {
    const values: unknown[] = [];
    const { sql } = buildReportQuery({
      config,
      report: GOOD,
      params: { from: '2026-01-01', to: '2026-03-31', groupBy: 'region', agency: 'AG' },
      scopeSql: 'true',
      param: (v) => (values.push(v), `$${values.length}`),
    });
    expect(values).toEqual(expect.arrayContaining(['m', 'case', '2026-01-01', '2026-03-31', 'AG', JSON.stringify({ R1: 'R1', R2: 'R2' })]));
    expect(sql).not.toContain('2026-01-01');
    expect(sql).toContain('GROUPING SETS ((rk, ck), (rk), (ck), ())');
    expect(sql).toContain("jsonb_array_elements(CASE WHEN jsonb_typeof(r.data->'people') = 'array'");
  });

  it('assembles the table from counts, localized, with the small cells hidden', () => {
    const { plan } = buildReportQuery({ config, report: GOOD, params: { groupBy: 'region' }, scopeSql: 'true', param: () => '$1', locale: 'fr' });
    const counts: ReportCountRow[] = [
      // cases: North 9, South 3, grand 12
      { i: 0, rk: '', ck: 'R1', n: 9, g: 0 }, { i: 0, rk: '', ck: 'R2', n: 3, g: 0 }, { i: 0, rk: '', ck: null, n: 12, g: 1 },
      { i: 0, rk: null, ck: 'R1', n: 9, g: 2 }, { i: 0, rk: null, ck: 'R2', n: 3, g: 2 }, { i: 0, rk: null, ck: null, n: 12, g: 3 },
      // by sex: female 9 (North 6, South 3), male 3 (North 3)
      { i: 1, rk: 'female', ck: 'R1', n: 6, g: 0 }, { i: 1, rk: 'female', ck: 'R2', n: 3, g: 0 }, { i: 1, rk: 'male', ck: 'R1', n: 3, g: 0 },
      { i: 1, rk: 'female', ck: null, n: 9, g: 1 }, { i: 1, rk: 'male', ck: null, n: 3, g: 1 },
      { i: 1, rk: null, ck: 'R1', n: 9, g: 2 }, { i: 1, rk: null, ck: 'R2', n: 3, g: 2 }, { i: 1, rk: null, ck: null, n: 12, g: 3 },
      // main people: none
      { i: 2, rk: null, ck: null, n: 0, g: 3 },
    ];
    const table = assembleReportTable(plan, counts);
    expect(table.label).toBe('Statistiques');
    expect(table.columns).toEqual([{ key: 'R1', label: 'North' }, { key: 'R2', label: 'South' }, { key: '_none', label: 'Not recorded' }]);
    expect(table.rows.map((r) => [r.key, r.label, ...r.cells, r.total])).toEqual([
      // One row: its column totals are its cells, so the 9 beside the 3 would give the 3 away with the total 12.
      ['cases', 'Cases', '*', '<5', 0, 12],
      // 3 women in the South and 3 men in all: hidden with the counts that would reveal them (6, 9 and the 9 of
      // the North's column total below).
      ['by_sex.female', 'Female', '*', '<5', 0, '*'],
      ['by_sex.male', 'Male', '<5', 0, 0, '<5'],
      ['by_sex._none', 'Not recorded', 0, 0, 0, 0],
      ['main_people.female', 'Female', 0, 0, 0, 0],
      ['main_people.male', 'Male', 0, 0, 0, 0],
      ['main_people._none', 'Not recorded', 0, 0, 0, 0],
    ]);
    expect(table.totals.map((t) => [t.indicator, ...t.cells, t.total])).toEqual([
      ['by_sex', '*', '<5', 0, 12],
      ['main_people', 0, 0, 0, 0],
    ]);
    expect(table.indicators.map((i) => i.label)).toEqual(['Cases', 'Cas par sexe', 'Main people by sex']);
    expect(table.suppressed).toBe(true);
  });

  it('lists every period of a date range', () => {
    expect(periodsBetween('month', '2025-11-20', '2026-02-01')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(periodsBetween('quarter', '2025-11-20', '2026-04-01')).toEqual(['2025-Q4', '2026-Q1', '2026-Q2']);
    expect(periodsBetween('year', '2024-12-31', '2026-01-01')).toEqual(['2024', '2025', '2026']);
  });

  it('validates query parameters, every problem at once', () => {
    const { issues } = validateReportParams(GOOD, { from: '2026-02-30', to: ['a', 'b'], groupBy: 'person_sex', format: 'pdf', page: '2' });
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      ['/page', 'unknown_parameter'],
      ['/from', 'invalid_date'],
      ['/to', 'invalid_type'],
      ['/groupBy', 'invalid_value'],
      ['/format', 'invalid_value'],
    ]);
    expect(validateReportParams(GOOD, { from: '2026-01-01', groupBy: 'month', format: 'csv' })).toEqual({
      params: { from: '2026-01-01', groupBy: 'month' },
      format: 'csv',
      issues: [],
    });
  });
});
