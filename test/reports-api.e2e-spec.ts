/**
 * Aggregate reports over HTTP on a seeded data set with exact expected numbers: the GBVIMS statistics (consent
 * for reporting only, disabled incidents left out, incidents reported to another GBVIMS agency counted apart,
 * primary perpetrators only), the case-management KPIs (approvals and referrals from the workflow tables), small
 * cells that cannot be recomputed from the published totals, rates and averages derived from published counts
 * only, who may run them and on which records, the date filter, bad parameters, CSV and XLSX.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newGroup, newUser, type TestUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type Row = { key: string; label: string; cells: (number | string)[]; total: number | string };
type Derived = { key: string; format: string; cells: (number | string | null)[]; total: number | string | null };
type Table = {
  columns: { key: string; label: string }[];
  rows: Row[];
  totals: { indicator: string; cells: (number | string)[]; total: number | string }[];
  derived: Derived[];
  suppressed: boolean;
  threshold: number;
};

const GBV = '/api/v1/reports/gbvims_statistics';
const KPIS = '/api/v1/reports/case_management_kpis';

/** `[cells…, total]` of one row. */
const row = (table: Table, key: string) => {
  const found = table.rows.find((r) => r.key === key);
  if (found === undefined) throw new Error(`no row ${key} in ${table.rows.map((r) => r.key).join(', ')}`);
  return [...found.cells, found.total];
};
/** `[cells…, total]` of one rate or average. */
const derived = (table: Table, key: string) => {
  const found = table.derived.find((d) => d.key === key);
  if (found === undefined) throw new Error(`no derived figure ${key} in ${table.derived.map((d) => d.key).join(', ')}`);
  return [...found.cells, found.total];
};
const totals = (table: Table, indicator: string) => {
  const found = table.totals.find((r) => r.indicator === indicator)!;
  return [...found.cells, found.total];
};

describe('aggregate reports', () => {
  let t: TestApp;
  let ds: DataSource;
  const api: Record<'manager' | 'supervisor' | 'worker' | 'otherManager' | 'cpManager' | 'kpiManager', Api> = {} as never;
  const users: Record<string, TestUser> = {};

  /** A GBV incident with consent for reporting, as the seeded set needs it. */
  const incident = (owner: TestUser, data: Record<string, unknown>, extra: { disabled?: boolean } = {}) =>
    newRecord(ds, { module: 'gbv', recordType: 'incident', owner, data: { consent_reporting: true, gbv_reported_elsewhere: 'no', ...data }, ...extra });
  const perpetrators = (...rows: [string, string][]) => rows.map(([kind, sex], i) => ({ _id: `p${i}`, primary_perpetrator: kind, perpetrator_sex: sex }));

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'HOME' });
    await newAgency(ds, { code: 'OTHER' });
    await newAgency(ds, { code: 'KPI' });
    await newGroup(ds, { code: 'home-gbv', agency: 'HOME' });
    const specs = {
      manager: { roles: ['gbv_manager'], agency: 'HOME', groups: [] },
      supervisor: { roles: ['gbv_supervisor'], agency: 'HOME', groups: ['home-gbv'] },
      worker: { roles: ['gbv_caseworker'], agency: 'HOME', groups: ['home-gbv'] },
      loner: { roles: ['gbv_caseworker'], agency: 'HOME', groups: [] },
      otherManager: { roles: ['gbv_manager'], agency: 'OTHER', groups: [] },
      otherWorker: { roles: ['gbv_caseworker'], agency: 'OTHER', groups: [] },
      cpManager: { roles: ['cp_manager'], agency: 'HOME', groups: [] },
      kpiManager: { roles: ['gbv_manager'], agency: 'KPI', groups: [] },
      kpiWorker: { roles: ['gbv_caseworker'], agency: 'KPI', groups: [] },
    } as const;
    for (const [name, spec] of Object.entries(specs)) {
      users[name] = await newUser(ds, { username: `rep.${name}`, agency: spec.agency, groups: [...spec.groups], roles: [...spec.roles] });
      if (name in { manager: 1, supervisor: 1, worker: 1, otherManager: 1, cpManager: 1, kpiManager: 1 }) {
        api[name as keyof typeof api] = as(t, await login(t, users[name]!.username, users[name]!.password));
      }
    }
    const w = users.worker!;
    // 1–7: women of 20 raped in January (county XX01), reported within 3 days; a primary male and a secondary
    // female perpetrator each.
    for (let i = 0; i < 7; i++) {
      await incident(w, {
        sex: 'female', age: 20, date_of_first_report: '2026-01-10', incident_date: '2026-01-08', gbv_sexual_violence_type: 'rape',
        incident_location: 'XX01D01C01', elapsed_reporting_time: '0_3_days', alleged_perpetrator: perpetrators(['primary', 'male'], ['secondary', 'female']),
      });
    }
    // 8–10: boys of 15, sexual assault in February (county XX02), reported after a month; one primary male perpetrator.
    for (let i = 0; i < 3; i++) {
      await incident(w, {
        sex: 'male', age: 15, date_of_first_report: '2026-02-05', incident_date: '2025-12-01', gbv_sexual_violence_type: 'sexual_assault',
        incident_location: 'XX02D01', elapsed_reporting_time: 'over_1_month', alleged_perpetrator: perpetrators(['primary', 'male']),
      });
    }
    // 11: also reported to another GBVIMS agency: counted only in its own row.
    await incident(w, { sex: 'female', age: 30, date_of_first_report: '2026-02-20', gbv_sexual_violence_type: 'physical_assault', gbv_reported_elsewhere: 'gbvims-org' });
    // 12: no consent for reporting; 13: disabled — neither is counted anywhere.
    await incident(w, { sex: 'female', age: 25, date_of_first_report: '2026-01-10', consent_reporting: false });
    await incident(w, { sex: 'female', age: 25, date_of_first_report: '2026-01-10' }, { disabled: true });
    // 14: owned in the agency outside the supervisor's group; no age, no location.
    await incident(users.loner!, { sex: 'female', date_of_first_report: '2026-03-01', gbv_sexual_violence_type: 'denial_of_resources_opportunities_or_services' });
    // 15–16: another agency.
    for (let i = 0; i < 2; i++) await incident(users.otherWorker!, { sex: 'female', age: 20, date_of_first_report: '2026-01-10' });

    // Cases for the KPIs: six in HOME, two closed; action plans approved on three; referrals 0, 0, 0, 1, 2, 3.
    const referrals = [0, 0, 0, 1, 2, 3];
    for (let i = 0; i < 6; i++) {
      const c = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: w, status: i < 2 ? 'closed' : 'open', data: { sex: 'female', age: 20 } });
      if (i < 3) await ds.query(`INSERT INTO record_approval (record_id, approval_type, status) VALUES ($1, 'action_plan', 'approved')`, [c.id]);
      if (i === 3) await ds.query(`INSERT INTO record_approval (record_id, approval_type, status) VALUES ($1, 'action_plan', 'pending')`, [c.id]);
      for (let k = 0; k < referrals[i]!; k++) await ds.query(`INSERT INTO record_transition (kind, record_id, status) VALUES ('referral', $1, 'pending')`, [c.id]);
    }
    await newRecord(ds, { module: 'gbv', recordType: 'case', owner: w, disabled: true, data: {} });

    // Rates and averages: ten cases of the KPI agency opened on 1 March, the first five closed after 2, 4, 6, 8
    // and 10 days (a closure is the history row that set the status); referrals 2, 1, 1 and seven times none.
    const kpiReferrals = [2, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 10; i++) {
      const c = await newRecord(ds, {
        module: 'gbv', recordType: 'case', owner: users.kpiWorker!, status: i < 5 ? 'closed' : 'open', createdAt: '2026-03-01T10:00:00Z', data: { sex: 'female' },
      });
      if (i < 5) {
        await ds.query(`INSERT INTO record_history (record_id, version, at, action, changes) VALUES ($1, 2, $2, 'update', $3)`, [
          c.id, new Date(Date.parse('2026-03-01T10:00:00Z') + (2 * i + 2) * 86_400_000).toISOString(), JSON.stringify([{ path: '$status', from: 'open', to: 'closed' }]),
        ]);
      }
      for (let k = 0; k < kpiReferrals[i]!; k++) await ds.query(`INSERT INTO record_transition (kind, record_id, status) VALUES ('referral', $1, 'pending')`, [c.id]);
    }

    // CP: six cases of the HOME agency — four girls of 8 in district XX01D01 with two concerns each, two boys of 16
    // (one closed as transferred) in XX02D01; one service referral to a health service and one not referred.
    const cpWorker = await newUser(ds, { username: 'rep.cpworker', agency: 'HOME', roles: ['cp_caseworker'] });
    for (let i = 0; i < 4; i++) {
      await newRecord(ds, {
        module: 'cp', recordType: 'case', owner: cpWorker,
        data: { sex: 'female', age: 8, location_current: 'XX01D01', registration_date: '2026-04-02', protection_concerns: ['trafficked_smuggled', 'sexually_exploited'] },
      });
    }
    for (let i = 0; i < 2; i++) {
      await newRecord(ds, {
        module: 'cp', recordType: 'case', owner: cpWorker, status: i === 0 ? 'closed' : 'open',
        data: {
          sex: 'male', age: 16, location_current: 'XX02D01', registration_date: '2026-05-20', ...(i === 0 ? { closure_reason: 'transferred' } : {}),
          services_section: [{ _id: 's1', service_type: 'health_medical_service', service_referral: 'referred' }, { _id: 's2', service_type: 'education_service', service_referral: 'service_provided_by_your_agency' }],
        },
      });
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lists the reports a manager may run, in their locale', async () => {
    const res = await api.manager.get('/api/v1/reports?locale=fr').expect(200);
    expect(res.body.map((r: { key: string }) => r.key).sort()).toEqual(['case_management_kpis', 'gbvims_statistics']);
    const gbv = res.body.find((r: { key: string }) => r.key === 'gbvims_statistics');
    expect(gbv.label).toBe('Statistiques GBVIMS');
    expect(gbv.threshold).toBe(5);
    expect(gbv.dateFields).toEqual(['date_of_first_report', 'incident_date']);
    expect(gbv.groupBy.map((g: { key: string }) => g.key)).toContain('report_month');
    expect(gbv.groupBy.map((g: { key: string }) => g.key)).not.toContain('perpetrator_sex');
    // The CP manager sees the CP report only.
    const cp = await api.cpManager.get('/api/v1/reports').expect(200);
    expect(cp.body.map((r: { key: string }) => r.key)).toEqual(['cp_case_indicators']);
    await api.cpManager.get(GBV).expect(404);
  });

  it('GBVIMS statistics: exact numbers for the manager (their agency), small cells suppressed', async () => {
    const res = await api.manager.get(GBV).expect(200);
    const table = res.body as Table;
    expect(table.columns).toEqual([{ key: 'all', label: 'All' }]);
    expect(table.suppressed).toBe(true);
    expect(table.threshold).toBe(5);
    expect(row(table, 'incidents')).toEqual([11, 11]);
    expect(row(table, 'reported_to_other_gbvims_agency')).toEqual(['<5', '<5']);
    expect(row(table, 'sexual_violence')).toEqual([10, 10]);
    // By sex: the 3 boys are "<5"; the 8 women are hidden too (the section total 11 would give them away).
    expect(row(table, 'survivors_by_sex.female')).toEqual(['*', '*']);
    expect(row(table, 'survivors_by_sex.male')).toEqual(['<5', '<5']);
    expect(row(table, 'survivors_by_sex.other')).toEqual([0, 0]);
    expect(row(table, 'survivors_by_sex._none')).toEqual([0, 0]);
    expect(totals(table, 'survivors_by_sex')).toEqual([11, 11]);
    // By age: two small cells (3 of 12–17, 1 not recorded) protect each other; 7 of 18–25 shows.
    expect(row(table, 'survivors_by_age.12_17')).toEqual(['<5', '<5']);
    expect(row(table, 'survivors_by_age.18_25')).toEqual([7, 7]);
    expect(row(table, 'survivors_by_age.26_40')).toEqual([0, 0]);
    expect(row(table, 'survivors_by_age._none')).toEqual(['<5', '<5']);
    expect(totals(table, 'survivors_by_age')).toEqual([11, 11]);
    // By county (admin level 1 of the incident location).
    expect(row(table, 'incidents_by_county.XX01')).toEqual([7, 7]);
    expect(row(table, 'incidents_by_county.XX02')).toEqual(['<5', '<5']);
    expect(row(table, 'incidents_by_county.XX03')).toEqual([0, 0]);
    expect(row(table, 'incidents_by_county._none')).toEqual(['<5', '<5']);
    // Primary perpetrators only: ten men; the seven secondary women are not counted.
    expect(row(table, 'primary_perpetrators_by_sex.male')).toEqual([10, 10]);
    expect(row(table, 'primary_perpetrators_by_sex.female')).toEqual([0, 0]);
    expect(row(table, 'elapsed_reporting_time.0_3_days')).toEqual([7, 7]);
  });

  it('no published total lets a reader recompute a suppressed cell', async () => {
    const table = (await api.manager.get(GBV).expect(200)).body as Table;
    for (const t of table.totals) {
      const rows = table.rows.filter((r) => r.key.startsWith(`${t.indicator}.`));
      // Column by column and for the row totals: a relation hiding exactly one entry would reveal it.
      const lines = [...t.cells.map((total, c) => [total, ...rows.map((r) => r.cells[c])]), [t.total, ...rows.map((r) => r.total)]];
      for (const line of lines) expect([t.indicator, line.filter((v) => typeof v === 'string').length]).not.toEqual([t.indicator, 1]);
      for (const r of rows) expect([r.key, [...r.cells, r.total].filter((v) => typeof v === 'string').length]).not.toEqual([r.key, 1]);
    }
  });

  it('groups columns by month of first report, with true totals', async () => {
    const table = (await api.manager.get(`${GBV}?groupBy=report_month`).expect(200)).body as Table;
    expect(table.columns.map((c) => c.key)).toEqual(['2026-01', '2026-02', '2026-03', '_none']);
    expect(row(table, 'incidents')).toEqual([7, '<5', '<5', 0, 11]);
    // The one woman of March is small; her row then hides its other count (7 in January), January's column total
    // (7) would give that away and is hidden too, and so is the women's row total (8), which the men's small total
    // (3) would otherwise reveal from the grand total 11.
    expect(row(table, 'survivors_by_sex.female')).toEqual(['*', 0, '<5', 0, '*']);
    expect(row(table, 'survivors_by_sex.male')).toEqual([0, '<5', 0, 0, '<5']);
    expect(totals(table, 'survivors_by_sex')).toEqual(['*', '<5', '<5', 0, 11]);
  });

  it('filters on a date range (inclusive) of the chosen date field', async () => {
    const feb = (await api.manager.get(`${GBV}?from=2026-02-01&to=2026-02-28`).expect(200)).body as Table;
    expect(row(feb, 'incidents')).toEqual(['<5', '<5']);
    expect(row(feb, 'reported_to_other_gbvims_agency')).toEqual(['<5', '<5']);
    const byIncidentDate = (await api.manager.get(`${GBV}?from=2026-01-01&to=2026-01-31&dateField=incident_date`).expect(200)).body as Table;
    expect(row(byIncidentDate, 'incidents')).toEqual([7, 7]);
    const january = (await api.manager.get(`${GBV}?from=2026-01-10&to=2026-01-10`).expect(200)).body as Table;
    expect(row(january, 'incidents')).toEqual([7, 7]);
  });

  it('scopes the data: the supervisor counts their groups, another agency only its own, a caseworker nothing', async () => {
    const sup = (await api.supervisor.get(GBV).expect(200)).body as Table;
    expect(row(sup, 'incidents')).toEqual([10, 10]);
    const other = (await api.otherManager.get(GBV).expect(200)).body as Table;
    expect(row(other, 'incidents')).toEqual(['<5', '<5']);
    expect(row(other, 'survivors_by_age.18_25')).toEqual(['<5', '<5']);
    // Narrowing to another agency inside one's own scope finds nothing.
    const narrowed = (await api.manager.get(`${GBV}?agency=OTHER`).expect(200)).body as Table;
    expect(row(narrowed, 'incidents')).toEqual([0, 0]);
    const res = await api.worker.get(GBV).expect(403);
    expect(res.body.error.code).toBe('forbidden');
    await api.worker.get('/api/v1/reports').expect(403);
  });

  it('refuses bad parameters with every problem listed, and unknown reports as 404', async () => {
    const res = await api.manager.get(`${GBV}?from=2026-13-01&to=yesterday&groupBy=perpetrator_sex&format=pdf&colour=red&agency=a%20b`).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.issues.map((i: { path: string; code: string }) => [i.path, i.code]).sort()).toEqual(
      [['/agency', 'invalid_value'], ['/colour', 'unknown_parameter'], ['/format', 'invalid_value'], ['/from', 'invalid_date'], ['/groupBy', 'invalid_value'], ['/to', 'invalid_date']].sort(),
    );
    const range = await api.manager.get(`${GBV}?from=2026-03-01&to=2026-02-01&dateField=name`).expect(400);
    expect(range.body.error.issues.map((i: { path: string; code: string }) => [i.path, i.code])).toEqual([['/to', 'invalid_range'], ['/dateField', 'invalid_value']]);
    await api.manager.get('/api/v1/reports/no_such_report').expect(404);
    await api.manager.get('/api/v1/reports/Bad-Key').expect(404);
  });

  it('audits each run with its key and parameters, never a count', async () => {
    await api.manager.get(`${GBV}?groupBy=report_quarter&from=2026-01-01`).expect(200);
    const [audit] = await ds.query(`SELECT actor, object_id, details FROM audit_log WHERE action = 'report.run' ORDER BY id DESC LIMIT 1`);
    expect(audit).toEqual({ actor: 'rep.manager', object_id: 'gbvims_statistics', details: { params: { groupBy: 'report_quarter', from: '2026-01-01' }, format: 'json', suppressed: true } });
  });

  it('KPIs count cases, incidents, approvals and referrals', async () => {
    const table = (await api.manager.get(KPIS).expect(200)).body as Table;
    expect(row(table, 'cases')).toEqual([6, 6]);
    // Incidents of the agency, disabled left out (consent is a GBVIMS statistics rule, not a KPI one).
    expect(row(table, 'incidents')).toEqual([13, 13]);
    expect(row(table, 'action_plans_approved')).toEqual(['<5', '<5']);
    expect(row(table, 'cases_closed')).toEqual(['<5', '<5']);
    expect(row(table, 'cases_by_referrals.0')).toEqual(['<5', '<5']);
    expect(row(table, 'cases_by_referrals.1')).toEqual(['<5', '<5']);
    expect(row(table, 'cases_by_referrals.3_or_more')).toEqual(['<5', '<5']);
    expect(totals(table, 'cases_by_referrals')).toEqual([6, 6]);
    const byStatus = (await api.manager.get(`${KPIS}?groupBy=status`).expect(200)).body as Table;
    expect(byStatus.columns).toEqual([{ key: 'closed', label: 'Closed' }, { key: 'open', label: 'Registration' }, { key: '_none', label: 'Not recorded' }]);
    expect(row(byStatus, 'cases')).toEqual(['<5', '<5', 0, 6]);
  });

  it('KPI rates and averages: computed from published counts, hidden where a count they derive from is small', async () => {
    const table = (await api.kpiManager.get(KPIS).expect(200)).body as Table;
    expect(row(table, 'cases')).toEqual([10, 10]);
    expect(row(table, 'cases_closed')).toEqual([5, 5]);
    expect(derived(table, 'case_closure_rate')).toEqual([50, 50]);
    // (2 + 4 + 6 + 8 + 10) / 5 days; (2 + 1 + 1) / 10 referrals.
    expect(derived(table, 'time_from_case_open_to_close')).toEqual([6, 6]);
    expect(derived(table, 'average_referrals')).toEqual([0.4, 0.4]);
    expect(derived(table, 'action_plans_completed_share')).toEqual([0, 0]);
    // Nothing to divide by: no case needs a safety plan, and no follow-up records a goal.
    expect(derived(table, 'safety_plans_completed_share')).toEqual([null, null]);
    expect(derived(table, 'goal_met_safety')).toEqual([null, null]);

    const byStatus = (await api.kpiManager.get(`${KPIS}?groupBy=status`).expect(200)).body as Table;
    expect(byStatus.columns.map((c) => c.key)).toEqual(['closed', 'open', '_none']);
    expect(derived(byStatus, 'case_closure_rate')).toEqual([100, 0, null, 50]);
    expect(derived(byStatus, 'time_from_case_open_to_close')).toEqual([6, null, null, 6]);

    // The HOME agency: 2 of 6 cases closed. A rate over a small count must not appear, nor an average over it;
    // the average referrals over the 6 cases is published: (1 + 2 + 3) / 6.
    const home = (await api.manager.get(KPIS).expect(200)).body as Table;
    expect(row(home, 'cases_closed')).toEqual(['<5', '<5']);
    expect(derived(home, 'case_closure_rate')).toEqual(['*', '*']);
    expect(derived(home, 'time_from_case_open_to_close')).toEqual(['*', '*']);
    expect(derived(home, 'average_referrals')).toEqual([1, 1]);
    // By status the closed column holds 2 cases (a denominator below the threshold): no rate there.
    const homeByStatus = (await api.manager.get(`${KPIS}?groupBy=status`).expect(200)).body as Table;
    expect(row(homeByStatus, 'cases')).toEqual(['<5', '<5', 0, 6]);
    expect(derived(homeByStatus, 'case_closure_rate')).toEqual(['*', '*', null, '*']);
    expect(derived(homeByStatus, 'average_referrals')).toEqual(['*', '*', null, 1]);

    const csv = await api.kpiManager.get(`${KPIS}?format=csv`).expect(200);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines).toContain('Case closure rate (cases closed out of the number of cases),,50,50');
    expect(lines).toContain('Share of cases needing a safety plan that have a completed one,,,');
  });

  it('CP case indicators: by concern (multi-select), age band, district', async () => {
    const table = (await api.cpManager.get('/api/v1/reports/cp_case_indicators').expect(200)).body as Table;
    expect(row(table, 'cases')).toEqual([6, 6]);
    expect(row(table, 'cases_closed')).toEqual(['<5', '<5']);
    expect(derived(table, 'case_closure_rate')).toEqual(['*', '*']);
    // A multi-select counts a case under each of its values; the section total counts cases once.
    expect(row(table, 'cases_by_protection_concern.trafficked_smuggled')).toEqual([...row(table, 'cases_by_protection_concern.sexually_exploited')]);
    expect(totals(table, 'cases_by_protection_concern')).toEqual([6, 6]);
    expect(row(table, 'cases_by_protection_concern._none')).toEqual(['<5', '<5']);
    expect(row(table, 'cases_by_age.6_11')).toEqual(['<5', '<5']);
    expect(row(table, 'cases_by_age.12_17')).toEqual(['<5', '<5']);
    expect(row(table, 'cases_by_district.XX01D01')).toEqual(['<5', '<5']);
    expect(row(table, 'service_referrals.health_medical_service')).toEqual(['<5', '<5']);
    expect(row(table, 'service_referrals.education_service')).toEqual([0, 0]);
    const byYear = (await api.cpManager.get('/api/v1/reports/cp_case_indicators?groupBy=registration_quarter&from=2026-01-01&to=2026-12-31').expect(200)).body as Table;
    expect(byYear.columns.map((c) => c.key)).toEqual(['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4', '_none']);
    expect(row(byYear, 'cases')).toEqual([0, 6, 0, 0, 0, 6]);
  });

  it('runs every report with every column split', async () => {
    const reports = [
      [api.manager, 'gbvims_statistics'],
      [api.manager, 'case_management_kpis'],
      [api.cpManager, 'cp_case_indicators'],
    ] as const;
    for (const [who, key] of reports) {
      const listed = (await who.get('/api/v1/reports').expect(200)).body.find((r: { key: string }) => r.key === key);
      for (const { key: groupBy } of listed.groupBy as { key: string }[]) {
        const res = await who.get(`/api/v1/reports/${key}?groupBy=${groupBy}&from=2025-06-01&to=2026-12-31`);
        expect([key, groupBy, res.status]).toEqual([key, groupBy, 200]);
      }
    }
  });

  it('downloads CSV and XLSX with the same table, formula-safe', async () => {
    await ds.query(`UPDATE agency SET name = '=HYPERLINK("http://x")' WHERE code = 'HOME'`);
    const csv = await api.manager.get(`${GBV}?format=csv&groupBy=agency`).expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="gbvims_statistics.csv"');
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines[0]).toBe(`Indicator,Value,"'=HYPERLINK(""http://x"")",Not recorded,Total`);
    expect(lines).toContain('Incidents (not reported to another GBVIMS agency),,11,0,11');
    expect(lines).toContain('Survivors by sex,Male,<5,0,<5');

    const xlsx = await api.manager
      .get(`${GBV}?format=xlsx&locale=fr`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual([undefined, 'Indicateur', 'Valeur', 'Tous', 'Total']);
    const values = sheet.getSheetValues().slice(2).map((r) => (r as unknown[]).slice(1));
    expect(values).toContainEqual(['Incidents (non déclarés à une autre organisation GBVIMS)', '', 11, 11]);
    expect(values).toContainEqual(['Survivants par sexe', 'Masculin', '<5', '<5']);
  });
});
