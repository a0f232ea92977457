import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newUser, strongPassword, type TestUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

interface Row {
  id: string;
  at: string;
  actor: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

describe('admin API: audit log', () => {
  let t: TestApp;
  let ds: DataSource;
  let api: ReturnType<typeof as>;
  let admin: TestUser;
  let started: string;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    admin = await newUser(ds, { username: 'auditor.admin', roles: ['system_admin'], agency: null });
    api = as(t, await login(t, admin.username, admin.password));
    started = new Date(Date.now() - 1000).toISOString();
    const agency = (await newAgency(ds, { code: 'AUD-AG' })).code;
    await api.post('/api/v1/users', { username: 'audited.one', password: strongPassword(), fullName: 'One', code: 'A1', agency, roles: ['gbv_caseworker'] }).expect(201);
    await api.patch('/api/v1/users/audited.one', { fullName: 'One Renamed' }).expect(200);
    await api.post('/api/v1/users/audited.one/disable').expect(200);
    await api.post('/api/v1/agencies', { code: 'AUD-AG-2', name: 'Second' }).expect(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const search = async (query: string): Promise<Row[]> => (await api.get(`/api/v1/audit?${query}`).expect(200)).body.items;

  it('answers rows newest first in the documented shape', async () => {
    const res = await api.get('/api/v1/audit?user=auditor.admin&pageSize=3').expect(200);
    expect(res.body).toMatchObject({ page: 1, pageSize: 3, total: expect.any(Number) });
    expect(res.body.total).toBeGreaterThanOrEqual(5);
    expect(res.body.items.map((r: Row) => r.action)).toEqual(['agency.create', 'user.disable', 'user.update']);
    expect(res.body.items[0]).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      actor: 'auditor.admin',
      action: 'agency.create',
      objectType: 'agency',
      objectId: 'AUD-AG-2',
      outcome: 'allowed',
      clientIp: expect.any(String),
      requestId: expect.any(String),
      details: { fields: ['code', 'name'] },
    });
  });

  it('filters by record and object type, action (exact or prefix) and actor (any case)', async () => {
    expect((await search('record=audited.one&objectType=user')).map((r) => r.action)).toEqual(['user.disable', 'user.update', 'user.create']);
    expect((await search('action=user.update')).map((r) => [r.objectId, r.details])).toEqual([['audited.one', { fields: ['fullName'] }]]);
    expect((await search('action=user.*&user=AUDITOR.ADMIN')).map((r) => r.action)).toEqual(['user.disable', 'user.update', 'user.create']);
    expect(await search('user=nobody')).toEqual([]);
    expect((await search('objectType=agency')).map((r) => r.objectId)).toEqual(['AUD-AG-2']);
  });

  it('filters by time range', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await search(`from=${started}&record=audited.one`)).length).toBe(3);
    expect(await search(`from=${later}&record=audited.one`)).toEqual([]);
    expect(await search(`to=${started}&record=audited.one`)).toEqual([]);
    expect((await search(`from=${started.slice(0, 10)}&to=${later}&record=audited.one`)).length).toBe(3);
  });

  it.each([
    ['from=yesterday', '/from', 'invalid_date'],
    ['to=2025-02-30', '/to', 'invalid_date'],
    ['from=2025-03-01T00:00:00Z&to=2025-02-01T00:00:00Z', '/to', 'invalid_range'],
    ['from=2025-03-01&to=2025-03-01', '/to', 'invalid_range'],
    ['pageSize=101', '/pageSize', 'too_large'],
    ['page=100000000000000000000', '/page', 'too_large'],
    ['actor=x', '/actor', 'unknown_field'],
  ])('refuses ?%s with an issue at %s', async (query, path, code) => {
    const res = await api.get(`/api/v1/audit?${query}`).expect(400);
    expect(res.body.error.issues).toEqual([expect.objectContaining({ path, code })]);
  });

  it('is refused to users without the audit permission, and the refusal is itself audited', async () => {
    const caseworker = await newUser(ds, { roles: ['gbv_caseworker'] });
    const token = await login(t, caseworker.username, caseworker.password);
    await as(t, token).get('/api/v1/audit').expect(403);
    const denied = await search(`user=${caseworker.username}&action=permission.denied`);
    expect(denied).toEqual([expect.objectContaining({ outcome: 'denied', objectType: 'audit' })]);
  });
});
