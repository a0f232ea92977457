import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { configsWith } from './support/configs.js';
import { as, login, newAgency, newGroup, newUser, strongPassword } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The shipped bundles plus a role that administers users and groups of its holder's own agency only. */
const AGENCY_ADMIN = {
  key: 'agency_admin',
  label: 'Agency administrator',
  secondFactor: 'optional',
  admin: [
    { subject: 'user', actions: ['read', 'create', 'update', 'disable', 'reset_password'], scope: 'agency' },
    { subject: 'agency', actions: ['read'], scope: 'agency' },
    { subject: 'user_group', actions: ['read', 'create', 'update'], scope: 'agency' },
    { subject: 'audit', actions: ['read'], scope: 'agency' },
  ],
};

describe('admin API: agency-scoped administrators', () => {
  let t: TestApp;
  let ds: DataSource;
  let configs: Awaited<ReturnType<typeof configsWith>>;
  let api: ReturnType<typeof as>;
  let outsider: { username: string };

  beforeAll(async () => {
    configs = await configsWith({
      'core/roles/agency_admin.json': AGENCY_ADMIN,
    });
    t = await startTestApp({ HAVEN_CONFIG_DIR: configs.dir });
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'HOME' });
    await newAgency(ds, { code: 'AWAY' });
    await newGroup(ds, { code: 'home-team', agency: 'HOME' });
    await newGroup(ds, { code: 'away-team', agency: 'AWAY' });
    await newUser(ds, { username: 'home.worker', agency: 'HOME', roles: ['gbv_caseworker'], groups: ['home-team'] });
    outsider = await newUser(ds, { username: 'away.worker', agency: 'AWAY', roles: ['gbv_caseworker'], groups: ['away-team'] });
    const admin = await newUser(ds, { username: 'home.admin', agency: 'HOME', roles: ['agency_admin'] });
    api = as(t, await login(t, admin.username, admin.password));
  });
  afterAll(async () => {
    await t?.close();
    await configs?.remove();
  });

  it('sees only the users, groups and agency of their own agency', async () => {
    const users = await api.get('/api/v1/users').expect(200);
    expect(users.body.items.map((u: { username: string }) => u.username)).toEqual(['home.admin', 'home.worker']);
    expect((await api.get('/api/v1/users?agency=AWAY').expect(200)).body.total).toBe(0);
    expect((await api.get('/api/v1/user-groups').expect(200)).body.items.map((g: { code: string }) => g.code)).toEqual(['home-team']);
    expect((await api.get('/api/v1/agencies').expect(200)).body.items.map((a: { code: string }) => a.code)).toEqual(['HOME']);
  });

  it('gets a 404 for users, groups and agencies of other agencies, as for missing ones', async () => {
    const calls: Array<[method: 'get' | 'post' | 'patch', url: string, body?: object]> = [
      ['get', `/api/v1/users/${outsider.username}`],
      ['patch', `/api/v1/users/${outsider.username}`, { fullName: 'x' }],
      ['post', `/api/v1/users/${outsider.username}/disable`],
      ['post', `/api/v1/users/${outsider.username}/enable`],
      ['post', `/api/v1/users/${outsider.username}/reset-password`, { password: strongPassword() }],
      ['get', '/api/v1/user-groups/away-team'],
      ['patch', '/api/v1/user-groups/away-team', { name: 'x' }],
      ['get', '/api/v1/agencies/AWAY'],
    ];
    for (const [method, url, body] of calls) {
      const res = await api[method](url, body);
      expect([url, res.status, res.body.error?.code]).toEqual([url, 404, 'not_found']);
    }
    const missing = await api.get('/api/v1/users/no.such.user').expect(404);
    const hidden = await api.get(`/api/v1/users/${outsider.username}`).expect(404);
    expect(hidden.body.error.message.replace(outsider.username, 'X')).toBe(missing.body.error.message.replace('no.such.user', 'X'));
  });

  it('creates users in their own agency and groups only', async () => {
    const base = { password: strongPassword(), fullName: 'New', code: 'N1', roles: ['gbv_caseworker'] };
    const away = await api.post('/api/v1/users', { ...base, username: 'new.away', agency: 'AWAY', groups: ['away-team'] }).expect(400);
    expect(away.body.error.issues.map((i: { path: string; code: string }) => [i.path, i.code])).toEqual([
      ['/agency', 'unknown_agency'],
      ['/groups/0', 'unknown_group'],
    ]);
    const home = await api.post('/api/v1/users', { ...base, username: 'new.home', agency: 'HOME', groups: ['home-team'] }).expect(201);
    expect(home.body).toMatchObject({ agency: 'HOME', groups: ['home-team'] });
  });

  it('cannot hand out a role that reaches further than their own', async () => {
    const res = await api
      .post('/api/v1/users', { username: 'would.be.root', password: strongPassword(), fullName: 'X', code: 'N2', agency: 'HOME', roles: ['gbv_caseworker', 'system_admin'] })
      .expect(403);
    expect(res.body.error.issues).toEqual([expect.objectContaining({ path: '/roles/1', code: 'role_beyond_own_grants' })]);
    const promote = await api.patch('/api/v1/users/home.worker', { roles: ['system_admin'] }).expect(403);
    expect(promote.body.error.issues[0].path).toBe('/roles/0');
    await api.patch('/api/v1/users/home.worker', { roles: ['gbv_caseworker', 'agency_admin'] }).expect(200);
  });

  it('cannot reset the password of, disable or edit a user of their agency whose roles reach further than their own', async () => {
    await newUser(ds, { username: 'home.root', agency: 'HOME', roles: ['system_admin'] });
    const before = (await ds.query(`SELECT password_hash FROM app_user WHERE username = 'home.root'`))[0].password_hash;
    const calls: Array<[method: 'post' | 'patch', url: string, body?: object]> = [
      ['post', '/api/v1/users/home.root/reset-password', { password: strongPassword() }],
      ['post', '/api/v1/users/home.root/disable'],
      ['post', '/api/v1/users/home.root/enable'],
      ['patch', '/api/v1/users/home.root', { fullName: 'Taken over' }],
    ];
    for (const [method, url, body] of calls) {
      const res = await api[method](url, body);
      expect([url, res.status, res.body.error?.issues?.[0]?.code]).toEqual([url, 403, 'role_beyond_own_grants']);
    }
    const [row] = await ds.query(`SELECT full_name, disabled, password_hash FROM app_user WHERE username = 'home.root'`);
    expect(row).toEqual({ full_name: expect.not.stringContaining('Taken over'), disabled: false, password_hash: before });
    // Users within reach stay manageable.
    await api.post('/api/v1/users/home.worker/reset-password', { password: strongPassword() }).expect(200);
  });

  it('cannot move a user into another agency', async () => {
    const res = await api.patch('/api/v1/users/new.home', { agency: 'AWAY' }).expect(400);
    expect(res.body.error.issues).toEqual([expect.objectContaining({ path: '/agency', code: 'unknown_agency' })]);
  });

  it('may not create agencies, and may create groups only in their own agency', async () => {
    await api.post('/api/v1/agencies', { code: 'MINE', name: 'Mine' }).expect(403);
    const group = await api.post('/api/v1/user-groups', { code: 'home-new', name: 'New team' }).expect(201);
    expect(group.body.agency).toBe('HOME');
    await api.post('/api/v1/user-groups', { code: 'away-new', name: 'X', agency: 'AWAY' }).expect(400);
  });

  it('reads only the audit rows of people of their own agency', async () => {
    const rows = (await api.get('/api/v1/audit?pageSize=100').expect(200)).body.items as Array<{ actor: string }>;
    expect(rows.length).toBeGreaterThan(0);
    expect([...new Set(rows.map((r) => r.actor))]).toEqual(['home.admin']);
  });
});
