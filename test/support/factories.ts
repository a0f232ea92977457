import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Secret, TOTP } from 'otpauth';
import type { DataSource } from 'typeorm';
import { hashPassword } from '../../modules/users/passwords.js';
import type { TestApp } from './test-app.js';

/**
 * Intent-named factories that insert admin data straight into the database (bypassing the API under test),
 * and `login`, which signs in over HTTP and returns the bearer token. Every value not given is unique per call.
 */

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/** A password no policy refuses (long, random, never a common password or anybody's username). */
export const strongPassword = () => `Tst-${randomBytes(12).toString('base64url')}`;

/** Roles whose definitions in ./configs require a second factor: their users get an authenticator. */
function rolesRequiringSecondFactor(configDir = path.resolve('configs')): Set<string> {
  const keys = new Set<string>();
  for (const bundle of fs.readdirSync(configDir, { withFileTypes: true })) {
    const rolesDir = path.join(configDir, bundle.name, 'roles');
    if (!bundle.isDirectory() || !fs.existsSync(rolesDir)) continue;
    for (const file of fs.readdirSync(rolesDir).filter((f) => f.endsWith('.json'))) {
      const role = JSON.parse(fs.readFileSync(path.join(rolesDir, file), 'utf8')) as { key: string; secondFactor?: string };
      if (role.secondFactor === 'required') keys.add(role.key);
    }
  }
  return keys;
}
const SECOND_FACTOR_ROLES = rolesRequiringSecondFactor();

export interface AgencyOptions {
  code?: string;
  name?: string;
  disabled?: boolean;
}

export async function newAgency(ds: DataSource, overrides: AgencyOptions = {}): Promise<{ id: string; code: string }> {
  const code = overrides.code ?? unique('AG');
  const [row] = await ds.query(`INSERT INTO agency (code, name, disabled) VALUES ($1, $2, $3) RETURNING id`, [
    code,
    overrides.name ?? `Agency ${code}`,
    overrides.disabled ?? false,
  ]);
  return { id: row.id, code };
}

export interface GroupOptions {
  code?: string;
  name?: string;
  /** Agency code; none for a group across agencies. */
  agency?: string;
  disabled?: boolean;
}

export async function newGroup(ds: DataSource, overrides: GroupOptions = {}): Promise<{ id: string; code: string }> {
  const code = overrides.code ?? unique('grp');
  const [row] = await ds.query(
    `INSERT INTO user_group (code, name, agency_id, disabled)
     VALUES ($1, $2, (SELECT id FROM agency WHERE lower(code) = lower($3)), $4) RETURNING id`,
    [code, overrides.name ?? `Group ${code}`, overrides.agency ?? null, overrides.disabled ?? false],
  );
  return { id: row.id, code };
}

export interface UserOptions {
  username?: string;
  password?: string;
  fullName?: string;
  code?: string | null;
  email?: string | null;
  locale?: string;
  roles?: string[];
  /** Agency code (created on the fly when it does not exist); null for none. */
  agency?: string | null;
  /** Group codes (they must exist). */
  groups?: string[];
  disabled?: boolean;
  mustChangePassword?: boolean;
  /** Enrol an authenticator (default: when a role requires a second factor). */
  secondFactor?: boolean;
}

export interface TestUser {
  id: string;
  username: string;
  password: string;
  agency: string | null;
}

/** Fixed so that `login` can answer the second-factor step. */
export const TEST_TOTP_SECRET = new Secret({ size: 20 }).base32;

export async function newUser(ds: DataSource, options: UserOptions = {}): Promise<TestUser> {
  const username = options.username ?? unique('user');
  const password = options.password ?? strongPassword();
  const roles = options.roles ?? [];
  const agency = options.agency === undefined ? (await newAgency(ds)).code : options.agency;
  if (agency !== null) {
    const [found] = await ds.query(`SELECT 1 FROM agency WHERE lower(code) = lower($1)`, [agency]);
    if (!found) await newAgency(ds, { code: agency });
  }
  const secondFactor = options.secondFactor ?? roles.some((r) => SECOND_FACTOR_ROLES.has(r));
  const [row] = await ds.query(
    `INSERT INTO app_user (username, password_hash, full_name, code, email, locale, roles, agency_id, disabled, must_change_password, totp_secret, totp_enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT id FROM agency WHERE lower(code) = lower($8)), $9, $10, $11, $12) RETURNING id`,
    [
      username,
      await hashPassword(password),
      options.fullName ?? `Test ${username}`,
      options.code ?? null,
      options.email ?? null,
      options.locale ?? 'en',
      roles,
      agency,
      options.disabled ?? false,
      options.mustChangePassword ?? false,
      secondFactor ? TEST_TOTP_SECRET : null,
      secondFactor,
    ],
  );
  if (options.groups?.length) {
    await ds.query(
      `INSERT INTO app_user_group (user_id, group_id) SELECT $1, id FROM user_group WHERE lower(code) = ANY($2::text[])`,
      [row.id, options.groups.map((g) => g.toLowerCase())],
    );
  }
  return { id: row.id, username, password, agency };
}

/** Signs in over HTTP (answering the second factor when asked) and returns the bearer token. */
export async function login(t: TestApp, username: string, password: string): Promise<string> {
  const res = await t.http().post('/api/v1/auth/login').send({ username, password });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  const token = res.body.accessToken as string;
  if (res.body.secondFactorRequired) {
    // Codes are single-use: a second sign-in within the same 30 s takes the next step's code (one step of drift is
    // accepted), a third waits for the next step.
    const generator = new TOTP({ issuer: 'Haven', label: username, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(TEST_TOTP_SECRET) });
    const answer = (timestamp: number) => t.http().post('/api/v1/auth/second-factor').set('Authorization', `Bearer ${token}`).send({ code: generator.generate({ timestamp }) });
    let done = await answer(Date.now());
    if (done.status === 400) done = await answer(Date.now() + 30_000);
    if (done.status === 400) {
      await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 100));
      done = await answer(Date.now() + 30_000);
    }
    if (done.status !== 200) throw new Error(`second factor ${username}: ${done.status} ${JSON.stringify(done.body)}`);
  }
  return token;
}

/** Requests with a bearer token: `as(t, token).get('/api/v1/users')`. */
export function as(t: TestApp, token: string) {
  const auth = { Authorization: `Bearer ${token}` };
  return {
    get: (url: string) => t.http().get(url).set(auth),
    post: (url: string, body?: object) => t.http().post(url).set(auth).send(body),
    patch: (url: string, body?: object) => t.http().patch(url).set(auth).send(body),
    delete: (url: string) => t.http().delete(url).set(auth),
  };
}
