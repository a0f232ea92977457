import type { EntityManager } from 'typeorm';
import type { BundleFiles } from './bundle-files.js';

export type BundleState = 'draft' | 'submitted' | 'approved' | 'active' | 'rejected' | 'superseded';

export interface StoredBundle {
  hash: string;
  key: string;
  version: string;
  state: BundleState;
  files: BundleFiles;
}

/** A stored bundle with its governance facts (no files). */
export interface BundleRecord {
  hash: string;
  key: string;
  version: string;
  state: BundleState;
  description: string | null;
  createdAt: Date;
  createdBy: string | null;
  activatedAt: Date | null;
  reviewRound: number;
  submittedAt: Date | null;
  submittedBy: string | null;
  submittedByName: string | null;
  migrationNote: string | null;
  breaking: unknown[];
  stateChangedAt: Date;
}

export interface ReviewRecord {
  hash: string;
  round: number;
  decision: 'approve' | 'reject';
  userId: string;
  username: string;
  comment: string;
  at: Date;
  /** The reviewer's roles now; null when their account is disabled or gone (their approval no longer counts). */
  reviewerRoles: string[] | null;
}

export interface ActiveRecord {
  key: string;
  hash: string;
  previousHash: string | null;
  activatedAt: Date;
  activatedBy: string | null;
  version: string;
}

export type ActivationAction = 'baseline' | 'activate' | 'rollback';

const BUNDLE_COLUMNS = `b.hash, b.bundle_key, b.version, b.state, b.description, b.created_at, b.created_by, b.activated_at, b.review_round,
  b.submitted_at, b.submitted_by, b.submitted_by_name, b.migration_note, b.breaking, b.state_changed_at`;

function toBundle(r: Record<string, unknown>): BundleRecord {
  return {
    hash: (r.hash as string).trim(),
    key: r.bundle_key as string,
    version: r.version as string,
    state: r.state as BundleState,
    description: (r.description as string | null) ?? null,
    createdAt: new Date(r.created_at as string),
    createdBy: (r.created_by as string | null) ?? null,
    activatedAt: r.activated_at ? new Date(r.activated_at as string) : null,
    reviewRound: r.review_round as number,
    submittedAt: r.submitted_at ? new Date(r.submitted_at as string) : null,
    submittedBy: (r.submitted_by as string | null) ?? null,
    submittedByName: (r.submitted_by_name as string | null) ?? null,
    migrationNote: (r.migration_note as string | null) ?? null,
    breaking: (r.breaking as unknown[]) ?? [],
    stateChangedAt: new Date(r.state_changed_at as string),
  };
}

/**
 * SQL over `config_bundle`, `config_active`, `config_bundle_review` and `config_activation`. Stored bundles are
 * immutable (a trigger holds their files); only state, submissions and activation move.
 */
export class ConfigRepository {
  constructor(private readonly db: EntityManager) {}

  async activeBundles(): Promise<StoredBundle[]> {
    const rows: Array<{ hash: string; bundle_key: string; version: string; state: BundleState; files: BundleFiles }> = await this.db.query(
      `SELECT b.hash, b.bundle_key, b.version, b.state, b.files
         FROM config_active a JOIN config_bundle b ON b.hash = a.hash
        ORDER BY b.bundle_key`,
    );
    return rows.map((r) => ({ hash: r.hash.trim(), key: r.bundle_key, version: r.version, state: r.state, files: r.files }));
  }

  async activeHashes(): Promise<Map<string, string>> {
    const rows: Array<{ bundle_key: string; hash: string }> = await this.db.query(`SELECT bundle_key, hash FROM config_active`);
    return new Map(rows.map((r) => [r.bundle_key, r.hash.trim()]));
  }

  async activeRecords(key?: string): Promise<ActiveRecord[]> {
    const rows: Array<Record<string, unknown>> = await this.db.query(
      `SELECT a.bundle_key, a.hash, a.previous_hash, a.activated_at, a.activated_by, b.version
         FROM config_active a JOIN config_bundle b ON b.hash = a.hash
        WHERE $1::text IS NULL OR a.bundle_key = $1
        ORDER BY a.bundle_key`,
      [key ?? null],
    );
    return rows.map((r) => ({
      key: r.bundle_key as string,
      hash: (r.hash as string).trim(),
      previousHash: r.previous_hash ? (r.previous_hash as string).trim() : null,
      activatedAt: new Date(r.activated_at as string),
      activatedBy: (r.activated_by as string | null) ?? null,
      version: r.version as string,
    }));
  }

  /** Stores a bundle (idempotent: the same content is the same hash). Returns whether it was new. */
  async store(bundle: StoredBundle, createdBy: string, description?: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO config_bundle (hash, bundle_key, version, state, files, description, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (hash) DO NOTHING
       RETURNING hash`,
      [bundle.hash, bundle.key, bundle.version, bundle.state, bundle.files, description ?? null, createdBy],
    );
    return rows.length > 0;
  }

  async get(hash: string, options: { lock?: boolean } = {}): Promise<BundleRecord | undefined> {
    const rows: Array<Record<string, unknown>> = await this.db.query(
      `SELECT ${BUNDLE_COLUMNS} FROM config_bundle b WHERE b.hash = $1${options.lock ? ' FOR UPDATE' : ''}`,
      [hash],
    );
    return rows[0] ? toBundle(rows[0]) : undefined;
  }

  async files(hash: string): Promise<BundleFiles | undefined> {
    const rows: Array<{ files: BundleFiles }> = await this.db.query(`SELECT files FROM config_bundle WHERE hash = $1`, [hash]);
    return rows[0]?.files;
  }

  async list(filter: { key?: string; state?: BundleState; limit: number; offset: number }): Promise<{ items: BundleRecord[]; total: number }> {
    const where = `($1::text IS NULL OR b.bundle_key = $1) AND ($2::text IS NULL OR b.state = $2)`;
    const [{ total }]: Array<{ total: number }> = await this.db.query(`SELECT count(*)::int AS total FROM config_bundle b WHERE ${where}`, [filter.key ?? null, filter.state ?? null]);
    const rows: Array<Record<string, unknown>> = await this.db.query(
      `SELECT ${BUNDLE_COLUMNS} FROM config_bundle b WHERE ${where} ORDER BY b.created_at DESC, b.hash LIMIT $3 OFFSET $4`,
      [filter.key ?? null, filter.state ?? null, filter.limit, filter.offset],
    );
    return { items: rows.map(toBundle), total };
  }

  /** Reviews of the given bundles' CURRENT rounds, oldest first. */
  async reviews(hashes: readonly string[]): Promise<ReviewRecord[]> {
    if (hashes.length === 0) return [];
    const rows: Array<Record<string, unknown>> = await this.db.query(
      `SELECT r.hash, r.round, r.decision, r.user_id, r.username, r.comment, r.at,
              CASE WHEN u.id IS NULL OR u.disabled THEN NULL ELSE u.roles END AS reviewer_roles
         FROM config_bundle_review r JOIN config_bundle b ON b.hash = r.hash AND b.review_round = r.round
         LEFT JOIN app_user u ON u.id = r.user_id
        WHERE r.hash = ANY($1::char(64)[])
        ORDER BY r.at, r.id`,
      [hashes],
    );
    return rows.map((r) => ({
      hash: (r.hash as string).trim(),
      round: r.round as number,
      decision: r.decision as 'approve' | 'reject',
      userId: r.user_id as string,
      username: r.username as string,
      comment: r.comment as string,
      at: new Date(r.at as string),
      reviewerRoles: (r.reviewer_roles as string[] | null) ?? null,
    }));
  }

  /** Adds a review to the bundle's current round; false when that user already reviewed this round. */
  async addReview(hash: string, round: number, decision: 'approve' | 'reject', userId: string, username: string, comment: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO config_bundle_review (hash, round, decision, user_id, username, comment) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (hash, round, user_id) DO NOTHING RETURNING id`,
      [hash, round, decision, userId, username, comment],
    );
    return rows.length > 0;
  }

  /** Distinct approvers of the current round, never counting the submitter. */
  /**
   * Whether `managerId` created the account `username`, reset its password or changed its roles (the audit log's
   * record of it): such an account's approval could be its manager's own.
   */
  async accountManagedBy(managerId: string, username: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM audit_log
        WHERE object_type = 'user' AND object_id = $2 AND actor_id = $1 AND outcome = 'allowed'
          AND (action IN ('user.create', 'user.reset_password') OR (action = 'user.update' AND details->'fields' ? 'roles'))
        LIMIT 1`,
      [managerId, username],
    );
    return rows.length > 0;
  }

  async setState(hash: string, state: BundleState): Promise<void> {
    await this.db.query(`UPDATE config_bundle SET state = $2, state_changed_at = now() WHERE hash = $1`, [hash, state]);
  }

  /**
   * Bundles of `key` under review or approved, other than `except`: their reviews were of a change against a version
   * no longer active, so they become `superseded` (a new submission opens a new round). Returns their hashes.
   */
  async supersedePending(key: string, except: string): Promise<string[]> {
    const rows: { hash: string }[] = await this.db.query(
      `WITH s AS (
         UPDATE config_bundle SET state = 'superseded', state_changed_at = now()
          WHERE bundle_key = $1 AND hash <> $2 AND state IN ('submitted', 'approved') RETURNING hash
       ) SELECT hash FROM s ORDER BY hash`,
      [key, except],
    );
    return rows.map((r) => r.hash.trim());
  }

  async submit(hash: string, submission: { userId: string; username: string; description: string; migrationNote: string | null; breaking: unknown[] }): Promise<void> {
    await this.db.query(
      `UPDATE config_bundle
          SET state = 'submitted', state_changed_at = now(), review_round = review_round + 1, submitted_at = now(),
              submitted_by = $2, submitted_by_name = $3, description = $4, migration_note = $5, breaking = $6
        WHERE hash = $1`,
      [hash, submission.userId, submission.username, submission.description, submission.migrationNote, JSON.stringify(submission.breaking)],
    );
  }

  /**
   * Makes `hash` the active bundle of `key` and records it: `previous` becomes what a rollback returns to.
   * The caller marks the bundle that stops being active.
   */
  async activate(
    key: string,
    hash: string,
    by: string,
    history: { action: ActivationAction; previous: string | null; configHash?: string; bundleHashes?: Record<string, string>; actorId?: string | null },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO config_active (bundle_key, hash, previous_hash, activated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (bundle_key) DO UPDATE SET previous_hash = EXCLUDED.previous_hash, hash = EXCLUDED.hash,
         activated_at = now(), activated_by = EXCLUDED.activated_by`,
      [key, hash, history.previous, by],
    );
    await this.db.query(`UPDATE config_bundle SET state = 'active', state_changed_at = now(), activated_at = now() WHERE hash = $1`, [hash]);
    const bundleHashes = history.bundleHashes ?? Object.fromEntries(await this.activeHashes());
    await this.db.query(
      `INSERT INTO config_activation (bundle_key, hash, previous_hash, action, config_hash, bundle_hashes, actor_id, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [key, hash, history.previous, history.action, history.configHash ?? null, JSON.stringify(bundleHashes), history.actorId ?? null, by],
    );
  }

  /** The bundle that was active before `hash` became active for `key` (what a rollback from `hash` returns to). */
  async predecessor(key: string, hash: string): Promise<string | null> {
    const rows: Array<{ previous_hash: string | null }> = await this.db.query(
      `SELECT previous_hash FROM config_activation
        WHERE bundle_key = $1 AND hash = $2 AND action IN ('baseline', 'activate')
        ORDER BY id DESC LIMIT 1`,
      [key, hash],
    );
    return rows[0]?.previous_hash?.trim() ?? null;
  }

  /** Bundle hashes of a configuration hash (what records remember), from the activation history. */
  async bundlesOfConfig(configHash: string): Promise<Record<string, string> | undefined> {
    const rows: Array<{ bundle_hashes: Record<string, string> }> = await this.db.query(
      `SELECT bundle_hashes FROM config_activation WHERE config_hash = $1 ORDER BY id DESC LIMIT 1`,
      [configHash],
    );
    return rows[0]?.bundle_hashes;
  }
}
