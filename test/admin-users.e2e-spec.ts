import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newGroup, newUser, strongPassword, type TestUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { withClient } from './support/test-database.js';

const SECRET_KEYS = ['password', 'passwordHash', 'password_hash', 'totpSecret', 'totp_secret', 'recoveryCodes', 'recovery_codes'];

describe('admin API: users', () => {
  let t: TestApp;
  let ds: DataSource;
  let admin: TestUser;
  let adminToken: string;
  let api: ReturnType<typeof as>;
  let agency: string;
  let otherAgency: string;
  let groupA: string;
  let groupB: string;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    agency = (await newAgency(ds, { code: 'IRC' })).code;
    otherAgency = (await newAgency(ds, { code: 'UNFPA' })).code;
    groupA = (await newGroup(ds, { code: 'irc-north', agency })).code;
    groupB = (await newGroup(ds, { code: 'irc-south', agency })).code;
    admin = await newUser(ds, { username: 'root.admin', roles: ['system_admin'], agency: null });
    adminToken = await login(t, admin.username, admin.password);
    api = as(t, adminToken);
  });
  afterAll(async () => {
    await t.close();
  });

  /** The admin audit rows about one user (sign-in rows left out). */
  const auditRows = (objectId: string) =>
    withClient(t.db.url, async (c) => (await c.query(`SELECT action, actor, details FROM audit_log WHERE object_id = $1 AND action LIKE 'user.%' ORDER BY id`, [objectId])).rows);

  describe('create', () => {
    it('creates a user who can sign in, audited, without any secret in the answer', async () => {
      const password = strongPassword();
      const res = await api
        .post('/api/v1/users', {
          username: 'Amina.K',
          password,
          fullName: 'Amina Khalil',
          code: 'CW-017',
          agency: 'irc',
          groups: [groupA, groupB.toUpperCase()],
          roles: ['gbv_caseworker'],
          locale: 'fr',
          email: 'amina@example.org',
        })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        username: 'Amina.K',
        fullName: 'Amina Khalil',
        code: 'CW-017',
        email: 'amina@example.org',
        locale: 'fr',
        agency: 'IRC',
        groups: ['irc-north', 'irc-south'],
        roles: ['gbv_caseworker'],
        disabled: false,
        mustChangePassword: false,
        secondFactorEnabled: false,
        lastLoginAt: null,
        passwordChangedAt: expect.any(String),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(password);
      expect(await auditRows('Amina.K')).toEqual([
        { action: 'user.create', actor: 'root.admin', details: { fields: ['agency', 'code', 'email', 'fullName', 'groups', 'locale', 'roles', 'username'] } },
      ]);
      const token = await login(t, 'amina.k', password);
      const me = await as(t, token).get('/api/v1/auth/me').expect(200);
      expect(me.body).toMatchObject({ username: 'Amina.K', agency: 'IRC', roles: ['gbv_caseworker'] });
      const got = await api.get('/api/v1/users/AMINA.K').expect(200);
      expect(got.body.lastLoginAt).toEqual(expect.any(String));
      for (const key of SECRET_KEYS) expect(got.body).not.toHaveProperty(key);
    });

    it('refuses a username taken in another case (409 on /username), and writes nothing', async () => {
      await newUser(ds, { username: 'fatima.r', agency });
      const res = await api
        .post('/api/v1/users', { username: 'FATIMA.R', password: strongPassword(), fullName: 'Other', code: 'X1', agency, roles: ['gbv_caseworker'] })
        .expect(409);
      expect(res.body.error.code).toBe('conflict');
      expect(res.body.error.issues).toEqual([expect.objectContaining({ code: 'duplicate', path: '/username' })]);
      const rows = await withClient(t.db.url, (c) => c.query(`SELECT count(*)::int AS n FROM app_user WHERE lower(username) = 'fatima.r'`));
      expect(rows.rows[0].n).toBe(1);
    });

    it('lists every unknown agency, group and role at its pointer', async () => {
      const res = await api
        .post('/api/v1/users', {
          username: 'someone.new',
          password: strongPassword(),
          fullName: 'Someone',
          code: 'X2',
          agency: 'NO-SUCH-AGENCY',
          groups: [groupA, 'no-such-group', 'nor-this-one'],
          roles: ['no_such_role', 'gbv_caseworker'],
          locale: 'xx',
        })
        .expect(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.issues.map((i: { code: string; path: string }) => [i.path, i.code])).toEqual([
        ['/locale', 'unknown_locale'],
        ['/agency', 'unknown_agency'],
        ['/groups/1', 'unknown_group'],
        ['/groups/2', 'unknown_group'],
        ['/roles/0', 'unknown_role'],
      ]);
    });

    it('lists every password policy failure', async () => {
      const res = await api
        .post('/api/v1/users', { username: 'pass', password: 'password', fullName: 'P', code: 'X3', agency, roles: ['gbv_caseworker'] })
        .expect(400);
      expect(res.body.error.issues).toEqual([
        expect.objectContaining({ path: '/password', code: 'too_short' }),
        expect.objectContaining({ path: '/password', code: 'contains_username' }),
        expect.objectContaining({ path: '/password', code: 'common_password' }),
      ]);
    });

    it('refuses unknown and missing properties, each at its pointer', async () => {
      const res = await api.post('/api/v1/users', { username: 'x y', fullName: '', roles: 'admin', isAdmin: true, mustChangePassword: false }).expect(400);
      const paths = res.body.error.issues.map((i: { path: string }) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['/username', '/password', '/fullName', '/agency', '/roles', '/isAdmin', '/mustChangePassword']));
      expect(res.body.error.issues.find((i: { path: string }) => i.path === '/isAdmin').code).toBe('unknown_field');
    });

    it('refuses a disabled agency or group for a new user', async () => {
      const closed = await newAgency(ds, { disabled: true });
      const oldGroup = await newGroup(ds, { agency, disabled: true });
      const res = await api
        .post('/api/v1/users', { username: 'late.joiner', password: strongPassword(), fullName: 'L', code: 'X4', agency: closed.code, groups: [oldGroup.code], roles: ['gbv_caseworker'] })
        .expect(400);
      expect(res.body.error.issues.map((i: { code: string; path: string }) => [i.path, i.code])).toEqual([
        ['/agency', 'disabled_agency'],
        ['/groups/0', 'disabled_group'],
      ]);
    });
  });

  describe('change', () => {
    it('changes profile fields and audits their names only', async () => {
      const user = await newUser(ds, { agency, roles: ['gbv_caseworker'], email: 'old@example.org' });
      const res = await api.patch(`/api/v1/users/${user.username}`, { fullName: 'New Name', email: 'new@example.org', locale: 'en' }).expect(200);
      expect(res.body).toMatchObject({ fullName: 'New Name', email: 'new@example.org', locale: 'en' });
      const rows = await auditRows(user.username);
      expect(rows).toEqual([{ action: 'user.update', actor: 'root.admin', details: { fields: ['email', 'fullName'] } }]);
      expect(JSON.stringify(rows)).not.toContain('example.org');
    });

    it('changing roles, groups or agency ends the user\'s sessions at once', async () => {
      for (const change of [{ roles: ['gbv_supervisor'] }, { groups: [groupB] }, { agency: otherAgency }]) {
        const user = await newUser(ds, { agency, roles: ['gbv_caseworker'], groups: [groupA] });
        const token = await login(t, user.username, user.password);
        await as(t, token).get('/api/v1/auth/me').expect(200);
        const res = await api.patch(`/api/v1/users/${user.username}`, change).expect(200);
        expect(res.body).toMatchObject(Object.fromEntries(Object.entries(change).map(([k, v]) => [k, v])));
        await as(t, token).get('/api/v1/auth/me').expect(401);
        expect((await auditRows(user.username)).map((r) => r.details)).toEqual([{ fields: Object.keys(change) }]);
      }
    });

    it('a change to nothing writes nothing and keeps sessions', async () => {
      const user = await newUser(ds, { agency, roles: ['gbv_caseworker'], groups: [groupA] });
      const token = await login(t, user.username, user.password);
      await api.patch(`/api/v1/users/${user.username}`, { roles: ['gbv_caseworker'], groups: [groupA.toUpperCase()], agency: agency.toLowerCase() }).expect(200);
      await as(t, token).get('/api/v1/auth/me').expect(200);
      expect(await auditRows(user.username)).toEqual([]);
    });

    it('refuses unknown references on a change, with pointers', async () => {
      const user = await newUser(ds, { agency, roles: ['gbv_caseworker'] });
      const res = await api.patch(`/api/v1/users/${user.username}`, { groups: ['nope'], roles: ['gbv_caseworker', 'nope'] }).expect(400);
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['/groups/0', '/roles/1']);
    });

    it('refuses changes to one\'s own roles, groups, agency or disabled flag (403, one issue each)', async () => {
      const res = await api.patch(`/api/v1/users/${admin.username}`, { roles: ['gbv_caseworker'], groups: [groupA], agency, disabled: true, fullName: 'Me' }).expect(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(res.body.error.issues.map((i: { path: string; code: string }) => [i.path, i.code])).toEqual([
        ['/agency', 'not_on_self'],
        ['/groups', 'not_on_self'],
        ['/roles', 'not_on_self'],
        ['/disabled', 'not_on_self'],
      ]);
      const me = await api.get(`/api/v1/users/${admin.username}`).expect(200);
      expect(me.body).toMatchObject({ roles: ['system_admin'], agency: null, groups: [], disabled: false, fullName: 'Test root.admin' });
      const ok = await api.patch(`/api/v1/users/${admin.username}`, { fullName: 'Root Admin', locale: 'fr' }).expect(200);
      expect(ok.body).toMatchObject({ fullName: 'Root Admin', locale: 'fr' });
      await api.get('/api/v1/auth/me').expect(200);
    });

    it('refuses null for a required field and an unknown field', async () => {
      const user = await newUser(ds, { agency, roles: ['gbv_caseworker'] });
      const res = await api.patch(`/api/v1/users/${user.username}`, { fullName: null, username: 'renamed', mustChangePassword: true }).expect(400);
      expect([...new Set(res.body.error.issues.map((i: { path: string }) => i.path))].sort()).toEqual(['/fullName', '/mustChangePassword', '/username']);
    });

    it('is a 404 for an unknown user', async () => {
      await api.patch('/api/v1/users/nobody-at-all', { fullName: 'X' }).expect(404);
      await api.get('/api/v1/users/nobody-at-all').expect(404);
      await api.post('/api/v1/users/nobody-at-all/disable').expect(404);
    });
  });

  describe('disable, enable, reset', () => {
    it('disabling ends the user\'s sessions at once; enabling lets them sign in again', async () => {
      const user = await newUser(ds, { agency, roles: ['gbv_caseworker'] });
      const token = await login(t, user.username, user.password);
      await as(t, token).get('/api/v1/auth/me').expect(200);
      const res = await api.post(`/api/v1/users/${user.username}/disable`).expect(200);
      expect(res.body.disabled).toBe(true);
      const after = await as(t, token).get('/api/v1/auth/me').expect(401);
      expect(after.body.error.code).toBe('unauthenticated');
      await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(401);
      await api.post(`/api/v1/users/${user.username}/enable`).expect(200);
      await login(t, user.username, user.password);
      expect((await auditRows(user.username)).map((r) => r.action)).toEqual(['user.disable', 'user.enable']);
    });

    it('PATCH disabled: true does the same', async () => {
      const user = await newUser(ds, { agency, roles: ['gbv_caseworker'] });
      const token = await login(t, user.username, user.password);
      await api.patch(`/api/v1/users/${user.username}`, { disabled: true }).expect(200);
      await as(t, token).get('/api/v1/auth/me').expect(401);
    });

    it('nobody disables or resets themselves through the admin routes', async () => {
      const res = await api.post(`/api/v1/users/${admin.username}/disable`).expect(403);
      expect(res.body.error.issues[0].code).toBe('not_on_self');
      await api.post(`/api/v1/users/${admin.username}/reset-password`, { password: strongPassword() }).expect(403);
      await api.get('/api/v1/auth/me').expect(200);
    });

    it('a reset password must be changed at the next sign-in, and ends the user\'s sessions', async () => {
      const user = await newUser(ds, { agency, roles: ['gbv_caseworker'] });
      const token = await login(t, user.username, user.password);
      const weak = await api.post(`/api/v1/users/${user.username}/reset-password`, { password: user.username }).expect(400);
      expect(weak.body.error.issues.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['contains_username']));
      await as(t, token).get('/api/v1/auth/me').expect(200);

      const fresh = strongPassword();
      const res = await api.post(`/api/v1/users/${user.username}/reset-password`, { password: fresh }).expect(200);
      expect(res.body.mustChangePassword).toBe(true);
      expect(JSON.stringify(res.body)).not.toContain(fresh);
      await as(t, token).get('/api/v1/auth/me').expect(401);
      await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(401);
      const signIn = await t.http().post('/api/v1/auth/login').send({ username: user.username, password: fresh }).expect(200);
      expect(signIn.body.user.mustChangePassword).toBe(true);
      const restricted = await as(t, signIn.body.accessToken).get('/api/v1/modules').expect(403);
      expect(restricted.body.error.issues[0].code).toBe('password_change_required');
      expect(await auditRows(user.username)).toEqual([{ action: 'user.reset_password', actor: 'root.admin', details: { fields: ['password'] } }]);
    });
  });

  describe('list', () => {
    let listAgency: string;
    beforeAll(async () => {
      listAgency = (await newAgency(ds, { code: 'LIST-AG' })).code;
      const g = await newGroup(ds, { code: 'list-grp', agency: listAgency });
      await newUser(ds, { username: 'list.a', agency: listAgency, roles: ['gbv_caseworker'], groups: [g.code], fullName: 'Zainab Ali', code: 'CW-100' });
      await newUser(ds, { username: 'list.b', agency: listAgency, roles: ['gbv_supervisor'], groups: [g.code] });
      await newUser(ds, { username: 'list.c', agency: listAgency, roles: ['gbv_caseworker'], disabled: true, email: 'c@lists.example.org' });
    });
    const names = (body: { items: Array<{ username: string }> }) => body.items.map((u) => u.username);

    it('filters by agency, group, role, disabled and text', async () => {
      expect(names((await api.get('/api/v1/users?agency=list-ag').expect(200)).body)).toEqual(['list.a', 'list.b', 'list.c']);
      expect(names((await api.get('/api/v1/users?group=LIST-GRP').expect(200)).body)).toEqual(['list.a', 'list.b']);
      expect(names((await api.get('/api/v1/users?agency=LIST-AG&role=gbv_caseworker').expect(200)).body)).toEqual(['list.a', 'list.c']);
      expect(names((await api.get('/api/v1/users?agency=LIST-AG&disabled=true').expect(200)).body)).toEqual(['list.c']);
      expect(names((await api.get('/api/v1/users?agency=LIST-AG&disabled=false').expect(200)).body)).toEqual(['list.a', 'list.b']);
      expect(names((await api.get('/api/v1/users?q=zainab').expect(200)).body)).toEqual(['list.a']);
      expect(names((await api.get('/api/v1/users?q=cw-100').expect(200)).body)).toEqual(['list.a']);
      expect(names((await api.get('/api/v1/users?q=lists.example').expect(200)).body)).toEqual(['list.c']);
      expect(names((await api.get('/api/v1/users?q=100%25').expect(200)).body)).toEqual([]);
      expect((await api.get('/api/v1/users?agency=no-such').expect(200)).body).toEqual({ items: [], total: 0, page: 1, pageSize: 20 });
    });

    it('pages', async () => {
      const res = await api.get('/api/v1/users?agency=LIST-AG&page=2&pageSize=2').expect(200);
      expect(res.body).toMatchObject({ total: 3, page: 2, pageSize: 2 });
      expect(names(res.body)).toEqual(['list.c']);
      for (const item of res.body.items) for (const key of SECRET_KEYS) expect(item).not.toHaveProperty(key);
      const past = await api.get('/api/v1/users?agency=LIST-AG&page=9&pageSize=2').expect(200);
      expect(past.body).toMatchObject({ items: [], total: 3 });
    });

    it.each(['pageSize=101', 'pageSize=0', 'page=0', 'page=x', 'disabled=maybe', 'sort=username'])('refuses ?%s', async (query) => {
      const res = await api.get(`/api/v1/users?${query}`).expect(400);
      expect(res.body.error.issues[0].path).toBe(`/${query.split('=')[0]}`);
    });
  });

  describe('permissions', () => {
    let caseworkerToken: string;
    beforeAll(async () => {
      const caseworker = await newUser(ds, { agency, roles: ['gbv_caseworker'] });
      caseworkerToken = await login(t, caseworker.username, caseworker.password);
    });

    it.each([
      ['get', '/api/v1/users'],
      ['get', '/api/v1/users/root.admin'],
      ['post', '/api/v1/users'],
      ['patch', '/api/v1/users/root.admin'],
      ['post', '/api/v1/users/root.admin/disable'],
      ['post', '/api/v1/users/root.admin/enable'],
      ['post', '/api/v1/users/root.admin/reset-password'],
      ['get', '/api/v1/agencies'],
      ['get', '/api/v1/agencies/IRC'],
      ['get', '/api/v1/agencies/IRC/logo'],
      ['post', '/api/v1/agencies'],
      ['patch', '/api/v1/agencies/IRC'],
      ['get', '/api/v1/user-groups'],
      ['get', '/api/v1/user-groups/irc-north'],
      ['post', '/api/v1/user-groups'],
      ['patch', '/api/v1/user-groups/irc-north'],
      ['get', '/api/v1/audit'],
    ] as const)('a caseworker gets 403 on %s %s', async (method, url) => {
      const res = await as(t, caseworkerToken)[method](url, method === 'get' ? undefined : { fullName: 'x' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    });

    it('without a token every admin route is a 401', async () => {
      await t.http().get('/api/v1/users').expect(401);
      await t.http().post('/api/v1/agencies').send({ code: 'X', name: 'X' }).expect(401);
      await t.http().get('/api/v1/audit').expect(401);
    });

    it('the caseworker may not change even their own profile through the admin routes', async () => {
      const me = await as(t, caseworkerToken).get('/api/v1/auth/me').expect(200);
      await as(t, caseworkerToken).patch(`/api/v1/users/${me.body.username}`, { fullName: 'Me' }).expect(403);
    });
  });

  it('documents the request bodies in OpenAPI', async () => {
    const doc = (await t.http().get('/api/docs-json').expect(200)).body;
    for (const path of ['/api/v1/users', '/api/v1/users/{username}', '/api/v1/users/{username}/reset-password', '/api/v1/agencies', '/api/v1/user-groups', '/api/v1/audit']) {
      expect(doc.paths).toHaveProperty([path]);
    }
    const create = doc.paths['/api/v1/users'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateUserBody');
    expect(Object.keys(doc.components.schemas.CreateUserBody.properties)).toEqual(
      expect.arrayContaining(['username', 'password', 'fullName', 'code', 'agency', 'groups', 'roles', 'locale', 'email']),
    );
    expect(doc.components.schemas.UserView.properties).not.toHaveProperty('passwordHash');
  });
});
