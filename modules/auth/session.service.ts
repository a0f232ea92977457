import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { NoticeListener } from '../database/notice-listener.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { systemSettings } from '../config/system-settings.js';
import { newToken, tokenHash, tokenHashHex } from './tokens.js';

export interface SessionRow {
  id: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  secondFactorPending: boolean;
}

const CHANNEL = 'haven_sessions';
/** How often a live session's last use is written back (the idle timeout is in minutes, not seconds). */
const TOUCH_EVERY_MS = 60_000;

/**
 * Sessions behind opaque bearer tokens. A session ends after `idleMinutes` without use, after `absoluteHours`
 * in all, or when revoked (logout, password change, disabling, role change). Resolved sessions are cached in
 * process; every revocation is broadcast with PostgreSQL NOTIFY and evicts the entry on every instance at
 * once. While the LISTEN connection is down the cache is bypassed, so a missed notice can never keep a
 * revoked session alive.
 */
@Injectable()
export class SessionService implements OnModuleInit, OnApplicationShutdown {
  private readonly cache = new Map<string, SessionRow>();
  private readonly notices: NoticeListener;

  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
    @Inject(HAVEN_RUNTIME) runtime: HavenRuntime,
  ) {
    this.notices = new NoticeListener({
      url: runtime.databaseUrl,
      channel: CHANNEL,
      name: 'haven-sessions',
      what: 'session notices (sessions are checked in the database on every request meanwhile)',
      onNotice: (payload) => this.onNotice(payload),
      onDown: () => this.cache.clear(),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.notices.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.notices.stop();
  }

  private onNotice(payload: string): void {
    const [kind, id] = payload.split(':');
    for (const [key, session] of this.cache) {
      if ((kind === 'user' && session.userId === id) || (kind === 'session' && session.id === id)) this.cache.delete(key);
    }
  }

  private limits() {
    return systemSettings(this.config.current()).sessions;
  }

  /** Starts a session and returns its token (shown once; only its hash is stored). */
  async create(userId: string, clientIp: string | null, secondFactorPending: boolean, manager: EntityManager = this.ds.manager): Promise<{ token: string; session: SessionRow; expiresIn: number }> {
    const token = newToken();
    const { absoluteHours, idleMinutes } = this.limits();
    const [row] = await manager.query(
      `INSERT INTO session (token_hash, user_id, expires_at, second_factor_pending, client_ip)
       VALUES ($1, $2, now() + make_interval(hours => $3), $4, $5)
       RETURNING id, user_id, created_at, last_used_at, expires_at, second_factor_pending`,
      [tokenHash(token), userId, absoluteHours, secondFactorPending, clientIp],
    );
    return { token, session: toSession(row), expiresIn: idleMinutes * 60 };
  }

  /** The live session behind a token, or undefined (unknown, revoked, idle too long, or past its end). */
  async resolve(token: string): Promise<SessionRow | undefined> {
    const key = tokenHashHex(token);
    const now = Date.now();
    const { idleMinutes } = this.limits();
    let session = this.notices.up ? this.cache.get(key) : undefined;
    if (!session) {
      const rows = await this.ds.query(
        `SELECT id, user_id, created_at, last_used_at, expires_at, second_factor_pending
           FROM session WHERE token_hash = $1 AND revoked_at IS NULL`,
        [Buffer.from(key, 'hex')],
      );
      if (rows.length === 0) return undefined;
      session = toSession(rows[0]);
    }
    if (session.expiresAt.getTime() <= now || session.lastUsedAt.getTime() + idleMinutes * 60_000 <= now) {
      this.cache.delete(key);
      await this.revoke(session.id, session.expiresAt.getTime() <= now ? 'expired' : 'idle');
      return undefined;
    }
    if (now - session.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      await this.ds.query(`UPDATE session SET last_used_at = now() WHERE id = $1`, [session.id]);
      session = { ...session, lastUsedAt: new Date(now) };
    }
    if (this.notices.up) this.cache.set(key, session);
    return session;
  }

  async completeSecondFactor(sessionId: string): Promise<void> {
    await this.ds.query(`UPDATE session SET second_factor_pending = false WHERE id = $1`, [sessionId]);
    await this.notify(`session:${sessionId}`);
  }

  async revoke(sessionId: string, reason: string, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.query(`UPDATE session SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`, [sessionId, reason]);
    await this.notify(`session:${sessionId}`, manager);
  }

  /** Ends every session of a user (disabling, password change or reset, role/group/agency change). */
  async revokeUser(userId: string, reason: string, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.query(`UPDATE session SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL`, [userId, reason]);
    await this.notify(`user:${userId}`, manager);
  }

  /** NOTIFY is delivered at commit, so a rolled-back revocation evicts nothing it should not. */
  private async notify(payload: string, manager: EntityManager = this.ds.manager): Promise<void> {
    this.onNotice(payload);
    await manager.query(`SELECT pg_notify($1, $2)`, [CHANNEL, payload]);
  }
}

function toSession(row: Record<string, unknown>): SessionRow {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    createdAt: new Date(row.created_at as string),
    lastUsedAt: new Date(row.last_used_at as string),
    expiresAt: new Date(row.expires_at as string),
    secondFactorPending: row.second_factor_pending as boolean,
  };
}
