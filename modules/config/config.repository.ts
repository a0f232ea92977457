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

/** SQL over `config_bundle` and `config_active`. Stored bundles are immutable; only state and activation move. */
export class ConfigRepository {
  constructor(private readonly db: EntityManager) {}

  async activeBundles(): Promise<StoredBundle[]> {
    const rows: Array<{ hash: string; bundle_key: string; version: string; state: BundleState; files: BundleFiles }> = await this.db.query(
      `SELECT b.hash, b.bundle_key, b.version, b.state, b.files
         FROM config_active a JOIN config_bundle b ON b.hash = a.hash
        ORDER BY b.bundle_key`,
    );
    return rows.map((r) => ({ hash: r.hash, key: r.bundle_key, version: r.version, state: r.state, files: r.files }));
  }

  async activeHashes(): Promise<Map<string, string>> {
    const rows: Array<{ bundle_key: string; hash: string }> = await this.db.query(`SELECT bundle_key, hash FROM config_active`);
    return new Map(rows.map((r) => [r.bundle_key, r.hash]));
  }

  /** Stores a bundle (idempotent: the same content is the same hash). */
  async store(bundle: StoredBundle, createdBy: string, description?: string): Promise<void> {
    await this.db.query(
      `INSERT INTO config_bundle (hash, bundle_key, version, state, files, description, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (hash) DO NOTHING`,
      [bundle.hash, bundle.key, bundle.version, bundle.state, bundle.files, description ?? null, createdBy],
    );
  }

  async activate(key: string, hash: string, by: string): Promise<void> {
    await this.db.query(
      `INSERT INTO config_active (bundle_key, hash, activated_by) VALUES ($1, $2, $3)
       ON CONFLICT (bundle_key) DO UPDATE SET previous_hash = config_active.hash, hash = EXCLUDED.hash,
         activated_at = now(), activated_by = EXCLUDED.activated_by`,
      [key, hash, by],
    );
    await this.db.query(`UPDATE config_bundle SET state = 'active', activated_at = now() WHERE hash = $1`, [hash]);
  }
}
