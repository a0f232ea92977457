import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { NoticeListener } from '../database/notice-listener.js';
import { PrincipalLoader, type UserFacts } from './principal.loader.js';

/** Sent by the triggers of migration 1764750000000-records-speed at the commit of any change to users' facts. */
const CHANNEL = 'haven_user_facts';
/** An entry is read again after this long even without a notice (a safety net, not the mechanism). */
const MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  readonly facts: UserFacts | undefined;
  readonly at: number;
}

/**
 * Users' facts (roles, agency, groups, disabled flags) for the auth guard, kept in memory so that a signed-in
 * request needs no database round trip before its own work. Database triggers NOTIFY every change to a user, their
 * group memberships, a group or an agency at commit (whoever makes it), and the notice evicts the entry on every
 * instance. While the LISTEN connection is down the cache is bypassed and cleared, so a missed notice can never
 * keep stale facts; a load that raced with a notice is not kept (generation check).
 */
@Injectable()
export class UserFactsCache implements OnModuleInit, OnApplicationShutdown {
  private readonly cache = new Map<string, Entry>();
  private readonly notices: NoticeListener;
  /** Bumped by every notice: a load started before a notice is not cached. */
  private generation = 0;

  constructor(
    private readonly loader: PrincipalLoader,
    @Inject(HAVEN_RUNTIME) runtime: HavenRuntime,
  ) {
    this.notices = new NoticeListener({
      url: runtime.databaseUrl,
      channel: CHANNEL,
      name: 'haven-user-facts',
      what: 'user change notices (users are read from the database on every request meanwhile)',
      onNotice: (payload) => this.onNotice(payload),
      onUp: () => this.evict(),
      onDown: () => this.evict(),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.notices.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.notices.stop();
    this.cache.clear();
  }

  /** The user's current facts (undefined for an unknown user), from memory when a notice would have evicted them. */
  async user(userId: string): Promise<UserFacts | undefined> {
    const now = Date.now();
    if (this.notices.up) {
      const hit = this.cache.get(userId);
      if (hit !== undefined && now - hit.at < MAX_AGE_MS) return hit.facts;
    }
    const generation = this.generation;
    const facts = await this.loader.user(userId);
    if (this.notices.up && generation === this.generation) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
      this.cache.set(userId, { facts, at: now });
    }
    return facts;
  }

  /** Forgets one user's facts (or everyone's). */
  evict(userId?: string): void {
    this.generation++;
    if (userId === undefined) this.cache.clear();
    else this.cache.delete(userId);
  }

  private onNotice(payload: string): void {
    if (payload.startsWith('user:')) this.evict(payload.slice(5));
    else this.evict();
  }
}
