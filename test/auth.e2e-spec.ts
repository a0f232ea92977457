import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { DataSource } from 'typeorm';
import { as, login, newUser, strongPassword } from './support/factories.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/** Addresses are told apart by X-Forwarded-For (the app trusts a proxy on loopback, as a deployment would). */
function from(t: TestApp, ip: string) {
  return { login: (username: string, password: string) => t.http().post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ username, password }) };
}

function totpCode(secret: string, username: string, timestamp = Date.now()): string {
  return new TOTP({ issuer: 'Haven', label: username, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp });
}

describe('sign-in, sessions and second factor', () => {
  let t: TestApp;
  let ds: DataSource;
  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  it('signs in with an opaque token, answers /me, and refuses the token after logout', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    const res = await t.http().post('/api/v1/auth/login').send({ username: user.username.toUpperCase(), password: user.password }).expect(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, secondFactorRequired: false, user: { username: user.username, roles: ['gbv_caseworker'] } });
    expect(res.body.accessToken).toMatch(/^hvn_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(res.body)).not.toMatch(/password_hash|\$argon2/);
    const stored = await ds.query(`SELECT encode(token_hash, 'hex') AS h FROM session WHERE user_id = $1`, [user.id]);
    expect(stored[0].h).not.toContain(res.body.accessToken);
    const api = as(t, res.body.accessToken);
    await api.get('/api/v1/auth/me').expect(200);
    await api.post('/api/v1/auth/logout').expect(204);
    const after = await api.get('/api/v1/auth/me').expect(401);
    expect(after.body.error.code).toBe('unauthenticated');
    const audit = await ds.query(`SELECT action FROM audit_log WHERE actor_id = $1 ORDER BY id`, [user.id]);
    expect(audit.map((r: { action: string }) => r.action)).toEqual(['auth.login', 'auth.logout']);
  });

  it('answers a wrong password and an unknown username identically', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    const wrong = await from(t, '10.1.0.1').login(user.username, 'not-the-password-at-all');
    const unknown = await from(t, '10.1.0.2').login('nobody-by-this-name', 'not-the-password-at-all');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect(wrong.body.error.code).toBe(unknown.body.error.code);
  });

  it.each([
    ['no token', undefined],
    ['a malformed token', 'Bearer abc'],
    ['a well-formed unknown token', `Bearer hvn_${'A'.repeat(43)}`],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('refuses %s with 401', async (_name, header) => {
    const req = t.http().get('/api/v1/auth/me');
    const res = await (header ? req.set('Authorization', header) : req);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('locks a (username, address) pair after 6 failures without locking the owner out elsewhere, and the lock expires', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    const attacker = from(t, '10.2.0.1');
    for (let i = 0; i < 6; i++) expect((await attacker.login(user.username, `wrong-password-${i}`)).status).toBe(401);
    const locked = await attacker.login(user.username, user.password);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // The real user, from their own address, still gets in.
    expect((await from(t, '10.2.0.2').login(user.username, user.password)).status).toBe(200);
    // Thirty minutes later the pair is free again.
    await ds.query(`UPDATE login_attempt SET at = at - interval '31 minutes' WHERE username = $1`, [user.username.toLowerCase()]);
    expect((await attacker.login(user.username, user.password)).status).toBe(200);
    const audit = await ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.login_locked' AND object_id = $1`, [user.username.toLowerCase()]);
    expect(audit[0].n).toBe(1);
  });

  it('blocks an address that sprays many usernames', async () => {
    const sprayer = from(t, '10.3.0.1');
    for (let i = 0; i < 30; i++) await sprayer.login(`sprayed-user-${i}`, 'Winter2026!');
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    expect((await sprayer.login(user.username, user.password)).status).toBe(429);
    expect((await from(t, '10.3.0.2').login(user.username, user.password)).status).toBe(200);
  });

  it('slows a wave of failures from many addresses down but never locks the owner out', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    for (let i = 0; i < 11; i++) expect((await from(t, `10.4.${i}.1`).login(user.username, 'wave-of-wrong-passwords')).status).toBe(401);
    const started = Date.now();
    const owner = await from(t, '10.4.200.1').login(user.username, user.password);
    expect(owner.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('ends a session after 60 minutes without use and after 12 hours in all', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    const idle = await login(t, user.username, user.password);
    const long = await login(t, user.username, user.password);
    await as(t, idle).get('/api/v1/auth/me').expect(200);
    const idleHash = createHash('sha256').update(idle).digest();
    await ds.query(`UPDATE session SET last_used_at = now() - interval '61 minutes' WHERE token_hash = $1`, [idleHash]);
    // Written behind the app's back: tell every instance's session cache, as a revocation would.
    await ds.query(`SELECT pg_notify('haven_sessions', $1)`, [`user:${user.id}`]);
    await new Promise((r) => setTimeout(r, 100));
    await as(t, idle).get('/api/v1/auth/me').expect(401);
    await as(t, long).get('/api/v1/auth/me').expect(200);
    await ds.query(`UPDATE session SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
    await ds.query(`SELECT pg_notify('haven_sessions', $1)`, [`user:${user.id}`]);
    await new Promise((r) => setTimeout(r, 100));
    await as(t, long).get('/api/v1/auth/me').expect(401);
  });

  it('rejects a disabled user mid-session', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    const token = await login(t, user.username, user.password);
    await as(t, token).get('/api/v1/auth/me').expect(200);
    // Changed by plain SQL: the app hears of it through the database's notice (its own connection), within moments.
    await ds.query(`UPDATE app_user SET disabled = true WHERE id = $1`, [user.id]);
    expect(await eventually(async () => (await as(t, token).get('/api/v1/auth/me')).status === 401)).toBe(true);
    expect((await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password })).status).toBe(401);
  });

  it('rejects the users of a disabled agency, mid-session and at sign-in', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    const token = await login(t, user.username, user.password);
    await ds.query(`UPDATE agency SET disabled = true WHERE lower(code) = lower($1)`, [user.agency]);
    expect(await eventually(async () => (await as(t, token).get('/api/v1/auth/me')).status === 401)).toBe(true);
    expect((await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password })).status).toBe(401);
  });

  it('lists every password policy problem at once and keeps the old password', async () => {
    const user = await newUser(ds, { username: 'policyuser', roles: ['gbv_caseworker'] });
    const api = as(t, await login(t, user.username, user.password));
    const res = await api.post('/api/v1/auth/password', { currentPassword: 'wrong', newPassword: 'policyuser' }).expect(400);
    const codes = res.body.error.issues.map((i: { code: string; path: string }) => `${i.code} ${i.path}`);
    expect(codes).toEqual(expect.arrayContaining(['wrong_password /currentPassword', 'too_short /newPassword', 'contains_username /newPassword']));
    const common = await api.post('/api/v1/auth/password', { currentPassword: user.password, newPassword: '1qaz2wsx3edc' }).expect(400);
    expect(common.body.error.issues.map((i: { code: string }) => i.code)).toContain('common_password');
    await api.get('/api/v1/auth/me').expect(200);
  });

  it('forces a password change when required, then revokes every session', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'], mustChangePassword: true });
    const token = await login(t, user.username, user.password);
    const api = as(t, token);
    const blocked = await api.get('/api/v1/modules').expect(403);
    expect(blocked.body.error.issues[0].code).toBe('password_change_required');
    await api.get('/api/v1/auth/me').expect(200);
    const newPassword = strongPassword();
    await api.post('/api/v1/auth/password', { currentPassword: user.password, newPassword }).expect(200);
    await api.get('/api/v1/auth/me').expect(401);
    const fresh = as(t, await login(t, user.username, newPassword));
    await fresh.get('/api/v1/modules').expect(200);
    expect((await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password })).status).toBe(401);
  });

  it('enrols an authenticator, demands it at sign-in, and accepts each recovery code once', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'], secondFactor: false });
    const api = as(t, await login(t, user.username, user.password));
    const enrol = await api.post('/api/v1/auth/totp/enrol').expect(200);
    expect(enrol.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/Haven:/);
    await api.post('/api/v1/auth/totp/verify', { code: '000000' }).expect(400);
    const enrolledAt = Date.now();
    const enrolCode = totpCode(enrol.body.secret, user.username, enrolledAt);
    const verified = await api.post('/api/v1/auth/totp/verify', { code: enrolCode }).expect(200);
    expect(verified.body.recoveryCodes).toHaveLength(10);

    const first = await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(200);
    expect(first.body.secondFactorRequired).toBe(true);
    const pending = as(t, first.body.accessToken);
    const held = await pending.get('/api/v1/auth/me').expect(401);
    expect(held.body.error.issues[0].code).toBe('second_factor_required');
    await pending.post('/api/v1/auth/second-factor', { code: '123456' }).expect(400);
    // Codes are single-use: the enrolment's code is spent; the next time step's code (one step of drift) is not.
    const replay = await pending.post('/api/v1/auth/second-factor', { code: enrolCode }).expect(400);
    expect(replay.body.error.issues[0].code).toBe('invalid_code');
    const nextCode = totpCode(enrol.body.secret, user.username, enrolledAt + 30_000);
    await pending.post('/api/v1/auth/second-factor', { code: nextCode }).expect(200);
    await pending.get('/api/v1/auth/me').expect(200);
    const again = await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(200);
    await as(t, again.body.accessToken).post('/api/v1/auth/second-factor', { code: nextCode }).expect(400);

    const recovery = verified.body.recoveryCodes[0];
    const second = await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(200);
    await as(t, second.body.accessToken).post('/api/v1/auth/second-factor', { code: recovery }).expect(200);
    const third = await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(200);
    await as(t, third.body.accessToken).post('/api/v1/auth/second-factor', { code: recovery }).expect(400);
  });

  it('throttles code guesses across sign-ins: a right password alone does not reset the failures', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'], secondFactor: true });
    const attacker = from(t, '10.5.0.1');
    for (let round = 0; round < 3; round++) {
      const signedIn = await attacker.login(user.username, user.password);
      expect(signedIn.body.secondFactorRequired).toBe(true);
      for (const code of ['000000', '111111']) {
        await t.http().post('/api/v1/auth/second-factor').set('X-Forwarded-For', '10.5.0.1').set('Authorization', `Bearer ${signedIn.body.accessToken}`).send({ code }).expect(400);
      }
    }
    expect((await attacker.login(user.username, user.password)).status).toBe(429);
  });

  it('throttles re-authentication with the current password, and turning the second factor off spends no code on a wrong password', async () => {
    const user = await newUser(ds, { roles: ['gbv_caseworker'], secondFactor: false });
    const api = as(t, await login(t, user.username, user.password));
    const enrol = await api.post('/api/v1/auth/totp/enrol').expect(200);
    const recovery = (await api.post('/api/v1/auth/totp/verify', { code: totpCode(enrol.body.secret, user.username) }).expect(200)).body.recoveryCodes as string[];
    const wrong = await api.post('/api/v1/auth/totp/disable', { password: 'not-the-password', code: recovery[0] }).expect(400);
    expect(wrong.body.error.issues.map((i: { code: string }) => i.code)).toEqual(['wrong_password']);
    // The recovery code was not spent: it still signs in.
    const signedIn = await t.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(200);
    await as(t, signedIn.body.accessToken).post('/api/v1/auth/second-factor', { code: recovery[0] }).expect(200);
    expect((await ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.totp_disable_failed' AND actor_id = $1`, [user.id]))[0].n).toBe(1);
    // Wrong current passwords count like failed sign-ins: after six (since the last success), attempts are refused.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await api.post('/api/v1/auth/password', { currentPassword: `wrong-${i}`, newPassword: 'A-new-Passphrase-2026' })).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 429]);
  });

  it('refuses unknown properties in the sign-in body', async () => {
    const res = await t.http().post('/api/v1/auth/login').send({ username: 'a', password: 'b', roles: ['system_admin'] }).expect(400);
    expect(res.body.error.issues).toEqual([expect.objectContaining({ code: 'unknown_field', path: '/roles' })]);
  });
});
