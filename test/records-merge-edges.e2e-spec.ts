/**
 * Edges of the write path found in review: a row removed and added again, read-only computed fields while their
 * `when` does not hold, computed fields the engine changes on its own, disabled records on the write routes, the
 * disable reason, and `If-Match`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { configsWith } from './support/configs.js';
import { as, login, newAgency, newGroup, newUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
const RECORDS = '/api/v1/records';
const NO_SUCH = '00000000-0000-4000-8000-000000000000';

describe('record writes: merge and access edges', () => {
  let t: TestApp;
  let ds: DataSource;
  let configs: Awaited<ReturnType<typeof configsWith>>;
  const api: Record<'worker' | 'supervisor' | 'admin' | 'cp', Api> = {} as never;
  let workerToken = '';

  beforeAll(async () => {
    configs = await configsWith({
      'gbv/roles/gbv_records_admin.json': {
        key: 'gbv_records_admin',
        label: 'Records administrator (test)',
        secondFactor: 'optional',
        records: [{ module: 'gbv', recordTypes: ['case', 'incident'], scope: 'agency', actions: ['read', 'update', 'disable', 'view_history'], forms: { '*': 'read_write' } }],
      },
    });
    t = await startTestApp({ HAVEN_CONFIG_DIR: configs.dir });
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'HOME' });
    await newGroup(ds, { code: 'home-gbv', agency: 'HOME' });
    const people: Array<[keyof typeof api, string]> = [
      ['worker', 'gbv_caseworker'],
      ['supervisor', 'gbv_supervisor'],
      ['admin', 'gbv_records_admin'],
      ['cp', 'cp_caseworker'],
    ];
    for (const [name, role] of people) {
      const user = await newUser(ds, { agency: 'HOME', groups: ['home-gbv'], roles: [role] });
      const token = await login(t, user.username, user.password);
      if (name === 'worker') workerToken = token;
      api[name] = as(t, token);
    }
  });

  afterAll(async () => {
    await t?.close();
    await configs?.remove();
  });

  const newCase = async (data: Record<string, unknown>) => (await api.worker.post(`${RECORDS}/case`, { module: 'gbv', data }).expect(201)).body;
  const storedData = async (id: string) => (await ds.query(`SELECT data FROM record WHERE id = $1`, [id]))[0].data as Record<string, unknown>;

  it('an edit of a row removed and added again since its base version is a conflict', async () => {
    const rec = await newCase({ action_plan_section: [{ _id: 'row1', service_provider: 'A' }] });
    const url = `${RECORDS}/case/${rec.id}`;
    await api.worker.patch(url, { version: 1, data: { action_plan_section: [{ _id: 'row1', _removed: true }] } }).expect(200);
    await api.worker.patch(url, { version: 2, data: { action_plan_section: [{ _id: 'row1', service_provider: 'B' }] } }).expect(200);
    const stale = await api.worker.patch(url, { version: 1, data: { action_plan_section: [{ _id: 'row1', service_provider: 'C' }] } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    expect(Object.keys(stale.body.error.details.fields)).toEqual(['action_plan_section/row1/service_provider']);
    expect((await storedData(rec.id)).action_plan_section).toEqual([{ _id: 'row1', service_provider: 'B' }]);
    await api.worker.patch(url, { version: 3, data: { action_plan_section: [{ _id: 'row1', service_provider: 'C' }] } }).expect(200);
  });

  it('a read-only computed field whose condition does not hold takes no value from the client', async () => {
    const rec = await newCase({ occupation: 'farmer' });
    const url = `${RECORDS}/case/${rec.id}`;
    for (const value of ['forged value', 12345, 'a\u0000b']) {
      const patched = await api.worker.patch(url, { version: 1, data: { survivor_is_minor: value } });
      expect(patched.status).toBe(400);
      expect(patched.body.error.issues).toEqual([expect.objectContaining({ code: 'computed_mismatch', path: '/data/survivor_is_minor' })]);
      const created = await api.worker.post(`${RECORDS}/case`, { module: 'gbv', data: { survivor_is_minor: value } });
      expect(created.status).toBe(400);
      expect(created.body.error.issues.map((i: { code: string; path: string }) => `${i.code}@${i.path}`)).toEqual(['computed_mismatch@/data/survivor_is_minor']);
    }
    expect((await storedData(rec.id)).survivor_is_minor).toBeUndefined();
    // With the condition holding, the value is computed; once it no longer holds, the value is cleared.
    const aged = await api.worker.patch(url, { version: 1, data: { age: 15 } }).expect(200);
    expect(aged.body.data.survivor_is_minor).toBe(true);
    const cleared = await api.worker.patch(url, { version: 2, data: { age: null } }).expect(200);
    expect(cleared.body.data.survivor_is_minor ?? null).toBeNull();
  });

  it('a computed field the edit recomputes conflicts when someone changed it since the base version', async () => {
    // `name` is computed from the first name and surname once both are given; until then it is typed in.
    const rec = (await api.cp.post(`${RECORDS}/case`, { module: 'cp', data: { registration_date: '2026-01-01', sex: 'female', name_first: 'Amina', name: 'Amina (surname unknown)' } }).expect(201)).body;
    const url = `${RECORDS}/case/${rec.id}`;
    await api.cp.patch(url, { version: 1, data: { name: 'Amina Hassan (corrected)' } }).expect(200);
    const stale = await api.cp.patch(url, { version: 1, data: { name_last: 'Yusuf' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details.fields).toEqual({ name: 'Amina Hassan (corrected)' });
    expect((await storedData(rec.id)).name).toBe('Amina Hassan (corrected)');
    // Based on the current version, the recomputation is the edit's own choice.
    await api.cp.patch(url, { version: 2, data: { name_last: 'Yusuf' } }).expect(200);
  });

  it('the disable reason is checked for characters the database cannot hold, and shown in the history', async () => {
    const rec = await newCase({ occupation: 'farmer' });
    const url = `${RECORDS}/case/${rec.id}`;
    for (const reason of ['dup\u0000x', 'lone \ud800 surrogate']) {
      const res = await api.admin.post(`${url}/disable`, { reason });
      expect(res.status).toBe(400);
      expect(res.body.error.issues).toEqual([expect.objectContaining({ code: 'invalid_character', path: '/reason' })]);
    }
    await api.admin.post(`${url}/disable`, { reason: 'Entered twice' }).expect(200);
    await api.admin.post(`${url}/enable`, { reason: 'Not a duplicate after all' }).expect(200);
    const history = await api.admin.get(`${url}/history`).expect(200);
    const events = history.body.items.filter((i: { action: string }) => i.action === 'disable' || i.action === 'enable');
    expect(events.map((i: { action: string; changes: unknown }) => [i.action, i.changes])).toEqual([
      ['disable', [{ path: '$disabled', from: false, to: true, reason: 'Entered twice' }]],
      ['enable', [{ path: '$disabled', from: true, to: false, reason: 'Not a duplicate after all' }]],
    ]);
  });

  it('a disabled record is not found on the write routes by those who may not disable it, like a missing one', async () => {
    const rec = await newCase({ occupation: 'farmer' });
    const url = `${RECORDS}/case/${rec.id}`;
    await api.admin.post(`${url}/disable`, { reason: 'Entered twice' }).expect(200);
    const missing = await api.supervisor.patch(`${RECORDS}/case/${NO_SUCH}`, { version: 1, data: { occupation: 'x' } });
    expect(missing.status).toBe(404);
    for (const res of [
      await api.supervisor.get(url),
      await api.supervisor.patch(url, { version: 2, data: { occupation: 'x' } }),
      await api.supervisor.post(`${url}/enable`, {}),
      await api.supervisor.post(`${url}/disable`, { reason: 'x' }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe(missing.body.error.code);
    }
  });

  it('If-Match takes a version from 1 with balanced quotes', async () => {
    const rec = await newCase({ occupation: 'farmer' });
    const url = `${RECORDS}/case/${rec.id}`;
    const auth = { Authorization: `Bearer ${workerToken}`, 'Content-Type': 'application/json' };
    for (const header of ['"0"', '0', '"1', '1"', 'W/"1', '""', '"01x"']) {
      const res = await t.http().patch(url).set({ ...auth, 'If-Match': header }).send({ data: { occupation: 'fisher' } });
      expect([header, res.status, res.body.error?.issues?.[0]?.path]).toEqual([header, 400, '/version']);
    }
    const ok = await t.http().patch(url).set({ ...auth, 'If-Match': 'W/"1"' }).send({ data: { occupation: 'fisher' } });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
  });
});
