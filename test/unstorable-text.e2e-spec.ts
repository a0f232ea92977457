/**
 * Text PostgreSQL cannot store (NUL, unpaired surrogates) in any JSON body or URL path: a 400 `invalid_character`
 * naming each place, on every route (it used to reach the database: a 500, or a surrogate silently replaced).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newUser, strongPassword } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('text that cannot be stored', () => {
  let t: TestApp;
  let ds: DataSource;
  let admin: ReturnType<typeof as>;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'HOME' });
    const user = await newUser(ds, { agency: 'HOME', roles: ['system_admin'] });
    admin = as(t, await login(t, user.username, user.password));
  });
  afterAll(async () => {
    await t?.close();
  });

  const issuesOf = (res: { status: number; body: { error?: { code: string; issues: Array<{ code: string; path: string }> } } }) => [
    res.status,
    res.body.error?.code,
    res.body.error?.issues.map((i) => `${i.code}@${i.path}`),
  ];

  it('refuses NUL and unpaired surrogates in bodies, values and names alike, listing each', async () => {
    const login = await t.http().post('/api/v1/auth/login').send({ username: 'a\u0000b', password: 'x' });
    expect(issuesOf(login)).toEqual([400, 'validation_failed', ['invalid_character@/username']]);

    const user = { username: 'new.person', password: strongPassword(), code: 'NP1', agency: 'HOME', roles: ['gbv_caseworker'] };
    for (const fullName of ['x\u0000', 'x\ud800y', 'x\udc00']) {
      const res = await admin.post('/api/v1/users', { ...user, fullName });
      expect(issuesOf(res)).toEqual([400, 'validation_failed', ['invalid_character@/fullName']]);
    }
    const both = await admin.post('/api/v1/agencies', { code: 'NEW', name: 'n\u0000', ['k\ud800']: 1 });
    expect(issuesOf(both)).toEqual([400, 'validation_failed', ['invalid_character@/name', 'invalid_character@/k\ud800']]);
    const group = await admin.post('/api/v1/user-groups', { code: 'g1', name: 'n\u0000', agency: 'HOME' });
    expect(issuesOf(group)).toEqual([400, 'validation_failed', ['invalid_character@/name']]);
    expect((await ds.query(`SELECT count(*)::int AS n FROM app_user WHERE username = 'new.person'`))[0].n).toBe(0);
    // Paired surrogates (emoji) are text like any other.
    await admin.post('/api/v1/users', { ...user, fullName: 'Amina 🌿' }).expect(201);
  });

  it('refuses a NUL in the URL path', async () => {
    for (const url of ['/api/v1/users/a%00b', '/api/v1/agencies/A%00']) {
      expect(issuesOf(await admin.get(url))).toEqual([400, 'validation_failed', ['invalid_character@']]);
    }
  });
});
