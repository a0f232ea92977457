import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { as, login, newGroup, newUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type FormsBody = { forms: Array<{ key: string; fields: Array<{ key: string; readOnly: boolean; fields?: Array<{ key: string }> }> }> };

function fieldPaths(body: FormsBody): string[] {
  return body.forms.flatMap((f) => f.fields.flatMap((field) => [field.key, ...(field.fields ?? []).map((c) => `${field.key}.${c.key}`)]));
}

/** What each shipped role can and cannot reach on the forms API and the admin API. */
describe('shipped roles', () => {
  let t: TestApp;
  const apis: Record<string, Api> = {};
  let identifying: Record<string, string[]>;

  beforeAll(async () => {
    t = await startTestApp();
    const ds = t.app.get(DataSource);
    const group = await newGroup(ds);
    for (const role of ['gbv_caseworker', 'gbv_supervisor', 'gbv_manager', 'cp_caseworker', 'cp_supervisor', 'cp_manager', 'system_admin', 'steering_committee']) {
      const user = await newUser(ds, { roles: [role], groups: [group.code] });
      apis[role] = as(t, await login(t, user.username, user.password));
    }
    const compiled = t.app.get(ActiveConfigService).current();
    identifying = {
      'gbv.case': [...compiled.recordType('gbv', 'case').identifyingFields],
      'gbv.incident': [...compiled.recordType('gbv', 'incident').identifyingFields],
      'cp.case': [...compiled.recordType('cp', 'case').identifyingFields],
    };
  });
  afterAll(async () => {
    await t.close();
  });

  const forms = (role: string, module: string, recordType: string) => apis[role].get(`/api/v1/forms?module=${module}&recordType=${recordType}`);

  it('a GBV caseworker reads and writes every GBV form, identifying fields included, and sees no CP form', async () => {
    const res = await forms('gbv_caseworker', 'gbv', 'case').expect(200);
    expect(fieldPaths(res.body)).toEqual(expect.arrayContaining(identifying['gbv.case']));
    expect(res.body.forms.flatMap((f: FormsBody['forms'][0]) => f.fields).find((f: { key: string }) => f.key === 'name').readOnly).toBe(false);
    await forms('gbv_caseworker', 'cp', 'case').expect(404);
    const modules = await apis.gbv_caseworker.get('/api/v1/modules').expect(200);
    expect(modules.body.items.map((m: { key: string }) => m.key)).toEqual(['gbv']);
  });

  it.each([['case'], ['incident']])('a GBV supervisor gets %s forms without a single identifying field, read-only', async (recordType) => {
    const res = await forms('gbv_supervisor', 'gbv', recordType).expect(200);
    const paths = fieldPaths(res.body);
    expect(paths.length).toBeGreaterThan(20);
    for (const field of identifying[`gbv.${recordType}`]) expect(paths).not.toContain(field);
    expect(JSON.stringify(res.body)).not.toMatch(/"key":"name"/);
    expect(res.body.forms.every((f: FormsBody['forms'][0]) => f.fields.every((field) => field.readOnly))).toBe(true);
  });

  it('a CP supervisor reads identifying CP fields (CP practice), read-only', async () => {
    const res = await forms('cp_supervisor', 'cp', 'case').expect(200);
    expect(fieldPaths(res.body)).toEqual(expect.arrayContaining(identifying['cp.case']));
    expect(res.body.forms.every((f: FormsBody['forms'][0]) => f.fields.every((field) => field.readOnly))).toBe(true);
  });

  it('a CP caseworker reads and writes CP forms and sees no GBV form', async () => {
    const res = await forms('cp_caseworker', 'cp', 'case').expect(200);
    expect(fieldPaths(res.body)).toEqual(expect.arrayContaining(identifying['cp.case']));
    await forms('cp_caseworker', 'gbv', 'incident').expect(404);
  });

  it.each([['gbv_manager'], ['cp_manager'], ['system_admin'], ['steering_committee']])('%s gets no case data: no module, no form', async (role) => {
    const modules = await apis[role].get('/api/v1/modules').expect(200);
    expect(modules.body.items).toEqual([]);
    for (const [module, recordType] of [['gbv', 'case'], ['gbv', 'incident'], ['cp', 'case'], ['cp', 'tracing_request']]) {
      await forms(role, module, recordType).expect(404);
    }
  });

  it('a denied record type looks exactly like a missing one', async () => {
    const denied = await forms('gbv_manager', 'gbv', 'case').expect(404);
    const missing = await forms('gbv_manager', 'gbv', 'no_such_type').expect(404);
    const strip = (body: { error: Record<string, unknown> }) => ({ ...body.error, requestId: undefined });
    expect(strip(denied.body)).toEqual(strip(missing.body));
    expect(Object.keys(denied.headers).sort()).toEqual(Object.keys(missing.headers).sort());
  });

  it('every signed-in role may read lookups and locations (no case data in them)', async () => {
    for (const api of Object.values(apis)) {
      await api.get('/api/v1/lookups/gender').expect(200);
      await api.get('/api/v1/locations').expect(200);
    }
  });

  it.each([
    ['system_admin', 200],
    ['steering_committee', 403],
    ['gbv_caseworker', 403],
    ['gbv_supervisor', 403],
    ['gbv_manager', 403],
    ['cp_caseworker', 403],
    ['cp_supervisor', 403],
    ['cp_manager', 403],
  ])('%s on the admin API (users, agencies, groups, audit): %i', async (role, status) => {
    for (const url of ['/api/v1/users', '/api/v1/agencies', '/api/v1/user-groups', '/api/v1/audit']) {
      const res = await apis[role].get(url);
      expect([url, res.status]).toEqual([url, status]);
      if (status === 403) expect(res.body.error.code).toBe('forbidden');
    }
  });

  it('audits permission denials', async () => {
    await apis.gbv_caseworker.get('/api/v1/users').expect(403);
    const audit = await apis.system_admin.get('/api/v1/audit?action=permission.denied').expect(200);
    expect(audit.body.items.length).toBeGreaterThan(0);
    expect(audit.body.items[0]).toMatchObject({ outcome: 'denied', objectType: 'user' });
  });
});
