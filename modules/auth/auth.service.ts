import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { HavenError } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { systemSettings } from '../config/system-settings.js';
import { checkPassword } from '../users/password-policy.js';
import { hashPassword, verifyPassword } from '../users/passwords.js';
import { checkLoginThrottle, recordLoginAttempt } from './login-throttle.js';
import type { Principal } from './principal.js';
import { PrincipalLoader, type UserFacts } from './principal.loader.js';
import { SessionService } from './session.service.js';
import { newRecoveryCodes, newTotpSecret, recoveryCodeHash, totpStep, totpUri } from './totp.js';

export interface RequestMeta {
  clientIp: string;
  requestId: string | null;
}

const WRONG_CREDENTIALS = 'The username or password is not right.';

/** Public view of the signed-in user (never hashes, secrets or codes). */
export function describeUser(user: UserFacts, principal?: Principal) {
  return {
    id: user.id,
    username: user.username,
    fullName: user.fullName,
    code: user.code,
    email: user.email,
    locale: user.locale,
    agency: user.agencyCode,
    groups: user.groupCodes,
    roles: user.roles,
    mustChangePassword: user.mustChangePassword,
    secondFactorEnabled: user.totpEnabled,
    secondFactorRequired: principal?.ability.secondFactorRequired ?? false,
    lastLoginAt: user.lastLoginAt,
  };
}

@Injectable()
export class AuthService {
  /** A hash of a random password, checked when the username is unknown so the timing reveals nothing. */
  private readonly dummyHash: Promise<string> = hashPassword(`dummy-${Math.random()}-${Date.now()}`);

  constructor(
    private readonly ds: DataSource,
    private readonly sessions: SessionService,
    private readonly loader: PrincipalLoader,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
  ) {}

  private settings() {
    return systemSettings(this.config.current());
  }

  async login(usernameInput: string, password: string, meta: RequestMeta) {
    const username = usernameInput.trim().toLowerCase();
    const policy = this.settings().loginThrottling;
    const verdict = await checkLoginThrottle(this.ds.manager, username, meta.clientIp, policy);
    if (verdict.kind !== 'allowed') {
      await this.audit.record({
        actor: username,
        action: verdict.kind === 'pair_locked' ? 'auth.login_locked' : 'auth.login_address_blocked',
        objectType: 'user',
        objectId: username,
        outcome: 'denied',
        clientIp: meta.clientIp,
        requestId: meta.requestId,
      });
      throw new HavenError('rate_limited', 'Too many failed sign-in attempts. Try again later.', [], { retryAfterSeconds: verdict.retryAfterSeconds });
    }
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));

    const rows: Array<{ id: string; password_hash: string; disabled: boolean }> = await this.ds.query(
      `SELECT u.id, u.password_hash, u.disabled OR coalesce(a.disabled, false) AS disabled
         FROM app_user u LEFT JOIN agency a ON a.id = u.agency_id WHERE lower(u.username) = $1`,
      [username],
    );
    const found = rows[0];
    // The hash check runs for unknown names too: the answer's timing does not tell whether a username exists.
    const passwordOk = await verifyPassword(found?.password_hash ?? (await this.dummyHash), password);
    if (!found || !passwordOk || found.disabled) {
      await recordLoginAttempt(this.ds.manager, username, meta.clientIp, false);
      await this.audit.record({
        actorId: found?.id ?? null,
        actor: username,
        action: 'auth.login_failed',
        objectType: 'user',
        objectId: username,
        outcome: 'denied',
        clientIp: meta.clientIp,
        requestId: meta.requestId,
        details: { reason: !found ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'disabled' },
      });
      throw new HavenError('unauthenticated', WRONG_CREDENTIALS);
    }
    const user = (await this.loader.user(found.id))!;
    return this.ds.transaction(async (tx) => {
      // With a second factor, the sign-in succeeds only once the code is right: recording a success now would reset
      // the failures of this (username, address) pair and let code guesses go on, a few per password entry.
      if (!user.totpEnabled) await recordLoginAttempt(tx, username, meta.clientIp, true);
      const { token, session, expiresIn } = await this.sessions.create(user.id, meta.clientIp, user.totpEnabled, tx);
      if (!user.totpEnabled) await tx.query(`UPDATE app_user SET last_login_at = now() WHERE id = $1`, [user.id]);
      await this.audit.record(
        { actorId: user.id, actor: user.username, action: user.totpEnabled ? 'auth.login_password_ok' : 'auth.login', objectType: 'session', objectId: session.id, clientIp: meta.clientIp, requestId: meta.requestId },
        tx,
      );
      const principal = this.loader.principal(user, session.id);
      return {
        accessToken: token,
        tokenType: 'Bearer',
        expiresIn,
        secondFactorRequired: user.totpEnabled,
        user: describeUser(user, principal),
      };
    });
  }

  async secondFactor(principal: Principal, code: string, meta: RequestMeta) {
    const username = principal.username.toLowerCase();
    await this.reauthThrottle(principal, meta);
    const ok = await this.checkSecondFactor(principal.userId, principal.username, code);
    if (!ok) {
      await recordLoginAttempt(this.ds.manager, username, meta.clientIp, false);
      await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.second_factor_failed', objectType: 'session', objectId: principal.sessionId, outcome: 'denied', clientIp: meta.clientIp, requestId: meta.requestId });
      throw HavenError.validation([{ code: 'invalid_code', path: '/code', message: 'The code is not right (or was already used).' }], 'The code is not right.');
    }
    await this.sessions.completeSecondFactor(principal.sessionId);
    await this.ds.query(`UPDATE app_user SET last_login_at = now() WHERE id = $1`, [principal.userId]);
    await recordLoginAttempt(this.ds.manager, username, meta.clientIp, true);
    await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.login', objectType: 'session', objectId: principal.sessionId, clientIp: meta.clientIp, requestId: meta.requestId, details: { secondFactor: ok } });
    return { secondFactorRequired: false };
  }

  /**
   * A TOTP code, each accepted once (its time step must be later than the last accepted one, set atomically), or a
   * recovery code (consumed atomically). Returns which kind matched.
   */
  private async checkSecondFactor(userId: string, username: string, code: string): Promise<'totp' | 'recovery' | false> {
    const [row] = await this.ds.query(`SELECT totp_secret, totp_enabled FROM app_user WHERE id = $1`, [userId]);
    if (!row?.totp_enabled || !row.totp_secret) return false;
    const step = totpStep(row.totp_secret, username, code.trim());
    if (step !== undefined) return (await this.useTotpStep(this.ds.manager, userId, step)) ? 'totp' : false;
    // Wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count], not rows.
    const [used] = await this.ds.query(
      `WITH used AS (
         UPDATE app_user SET recovery_codes = array_remove(recovery_codes, $2) WHERE id = $1 AND $2 = ANY(recovery_codes) RETURNING id
       ) SELECT count(*)::int AS n FROM used`,
      [userId, recoveryCodeHash(code)],
    );
    return used.n > 0 ? 'recovery' : false;
  }

  /** Marks a TOTP time step used; false when it (or a later one) was used already: a replayed code. */
  private async useTotpStep(db: EntityManager, userId: string, step: number): Promise<boolean> {
    const [used] = await db.query(
      `WITH used AS (
         UPDATE app_user SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id
       ) SELECT count(*)::int AS n FROM used`,
      [userId, step],
    );
    return used.n > 0;
  }

  /**
   * Re-authentication of a signed-in user (current password, second factor) goes through the sign-in throttle: a
   * stolen token must not be a way to guess the password or codes at full speed.
   */
  private async reauthThrottle(principal: Principal, meta: RequestMeta): Promise<void> {
    const verdict = await checkLoginThrottle(this.ds.manager, principal.username.toLowerCase(), meta.clientIp, this.settings().loginThrottling);
    if (verdict.kind !== 'allowed') throw new HavenError('rate_limited', 'Too many failed attempts. Try again later.', [], { retryAfterSeconds: verdict.retryAfterSeconds });
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
  }

  async logout(principal: Principal, meta: RequestMeta): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.sessions.revoke(principal.sessionId, 'logout', tx);
      await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.logout', objectType: 'session', objectId: principal.sessionId, clientIp: meta.clientIp, requestId: meta.requestId }, tx);
    });
  }

  async changePassword(principal: Principal, currentPassword: string, newPassword: string, meta: RequestMeta) {
    await this.reauthThrottle(principal, meta);
    const [row] = await this.ds.query(`SELECT password_hash FROM app_user WHERE id = $1`, [principal.userId]);
    const issues = [];
    if (!(await verifyPassword(row.password_hash, currentPassword))) {
      await recordLoginAttempt(this.ds.manager, principal.username.toLowerCase(), meta.clientIp, false);
      issues.push({ code: 'wrong_password', path: '/currentPassword', message: 'The current password is not right.' });
    }
    issues.push(...checkPassword(newPassword, principal.username, this.settings().passwordPolicy).map((i) => ({ ...i, path: '/newPassword' })));
    if (currentPassword === newPassword) issues.push({ code: 'same_password', path: '/newPassword', message: 'Choose a password different from the current one.' });
    if (issues.length) {
      await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.password_change_failed', objectType: 'user', objectId: principal.username, outcome: 'denied', clientIp: meta.clientIp, requestId: meta.requestId, details: { codes: issues.map((i) => i.code) } });
      throw HavenError.validation(issues, 'The password was not changed.');
    }
    const hash = await hashPassword(newPassword);
    await this.ds.transaction(async (tx) => {
      await tx.query(`UPDATE app_user SET password_hash = $2, must_change_password = false, password_changed_at = now(), updated_at = now() WHERE id = $1`, [principal.userId, hash]);
      await this.sessions.revokeUser(principal.userId, 'password_changed', tx);
      await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.password_changed', objectType: 'user', objectId: principal.username, clientIp: meta.clientIp, requestId: meta.requestId }, tx);
    });
    return { passwordChanged: true, signInAgain: true };
  }

  async enrolTotp(principal: Principal, meta: RequestMeta) {
    const [row] = await this.ds.query(`SELECT totp_enabled FROM app_user WHERE id = $1`, [principal.userId]);
    if (row.totp_enabled) throw new HavenError('conflict', 'A second factor is already enabled; disable it first to enrol a new one.');
    const secret = newTotpSecret();
    await this.ds.query(`UPDATE app_user SET totp_secret = $2, updated_at = now() WHERE id = $1`, [principal.userId, secret]);
    await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.totp_enrol_started', objectType: 'user', objectId: principal.username, clientIp: meta.clientIp, requestId: meta.requestId });
    return { secret, otpauthUri: totpUri(secret, principal.username) };
  }

  async verifyTotpEnrolment(principal: Principal, code: string, meta: RequestMeta) {
    const [row] = await this.ds.query(`SELECT totp_secret, totp_enabled FROM app_user WHERE id = $1`, [principal.userId]);
    if (row.totp_enabled) throw new HavenError('conflict', 'The second factor is already enabled.');
    if (!row.totp_secret) throw new HavenError('conflict', 'Start the enrolment first (POST /api/v1/auth/totp/enrol).');
    const step = totpStep(row.totp_secret, principal.username, code.trim());
    if (step === undefined) {
      throw HavenError.validation([{ code: 'invalid_code', path: '/code', message: 'The code is not right; check the clock of the device.' }], 'The code is not right.');
    }
    const { codes, hashes } = newRecoveryCodes();
    await this.ds.transaction(async (tx) => {
      // The enrolment's code counts as used: it cannot sign in afterwards.
      await tx.query(`UPDATE app_user SET totp_enabled = true, recovery_codes = $2, totp_last_step = $3, updated_at = now() WHERE id = $1`, [principal.userId, hashes, step]);
      await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.totp_enabled', objectType: 'user', objectId: principal.username, clientIp: meta.clientIp, requestId: meta.requestId }, tx);
    });
    return { secondFactorEnabled: true, recoveryCodes: codes };
  }

  async disableTotp(principal: Principal, password: string, code: string | undefined, meta: RequestMeta) {
    if (principal.ability.secondFactorRequired) throw new HavenError('forbidden', 'Your role requires a second factor; it cannot be turned off.');
    await this.reauthThrottle(principal, meta);
    const [row] = await this.ds.query(`SELECT password_hash, totp_enabled FROM app_user WHERE id = $1`, [principal.userId]);
    // The code is looked at only after the password is right: a recovery code is never spent, nor a code's validity
    // told, on a wrong password.
    let failed: { code: 'wrong_password' | 'invalid_code'; path: string; message: string } | undefined;
    if (!(await verifyPassword(row.password_hash, password))) failed = { code: 'wrong_password', path: '/password', message: 'The password is not right.' };
    else if (row.totp_enabled && !(code && (await this.checkSecondFactor(principal.userId, principal.username, code)))) {
      failed = { code: 'invalid_code', path: '/code', message: 'A current code (or a recovery code) is needed.' };
    }
    if (failed) {
      await recordLoginAttempt(this.ds.manager, principal.username.toLowerCase(), meta.clientIp, false);
      await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.totp_disable_failed', objectType: 'user', objectId: principal.username, outcome: 'denied', clientIp: meta.clientIp, requestId: meta.requestId, details: { code: failed.code } });
      throw HavenError.validation([failed], 'The second factor was not turned off.');
    }
    await this.ds.transaction(async (tx) => {
      await tx.query(`UPDATE app_user SET totp_enabled = false, totp_secret = NULL, recovery_codes = '{}', updated_at = now() WHERE id = $1`, [principal.userId]);
      await this.audit.record({ actorId: principal.userId, actor: principal.username, action: 'auth.totp_disabled', objectType: 'user', objectId: principal.username, clientIp: meta.clientIp, requestId: meta.requestId }, tx);
    });
    return { secondFactorEnabled: false };
  }

  async me(principal: Principal) {
    const user = await this.loader.user(principal.userId);
    if (!user) throw new HavenError('unauthenticated', 'Sign in first.');
    return describeUser(user, principal);
  }
}
