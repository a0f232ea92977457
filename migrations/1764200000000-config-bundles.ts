import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Configuration bundles, stored by content hash, and which one is active per bundle key. A stored bundle is
 * immutable: its files never change (a change is a new hash). The governance lifecycle (submit, approve,
 * activate, roll back) moves `state` and `config_active`.
 */
export class ConfigBundles1764200000000 implements MigrationInterface {
  name = 'ConfigBundles1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE config_bundle (
        hash char(64) PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
        bundle_key text NOT NULL,
        version text NOT NULL,
        state text NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'active', 'rejected', 'superseded')),
        files jsonb NOT NULL,
        description text,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text,
        activated_at timestamptz
      )`);
    await q.query(`CREATE INDEX config_bundle_key_idx ON config_bundle (bundle_key, created_at)`);
    await q.query(`
      CREATE TABLE config_active (
        bundle_key text PRIMARY KEY,
        hash char(64) NOT NULL REFERENCES config_bundle (hash),
        previous_hash char(64) REFERENCES config_bundle (hash),
        activated_at timestamptz NOT NULL DEFAULT now(),
        activated_by text
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE config_active`);
    await q.query(`DROP TABLE config_bundle`);
  }
}
