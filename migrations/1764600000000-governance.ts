import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Configuration governance (docs/governance.md): submissions and steering-committee reviews of stored bundles,
 * the history of activations and rollbacks (which also maps a configuration hash — what records remember — to
 * its bundle hashes), and the versioned overlays through which system administrators localize lookups and the
 * location hierarchy. Reviews, activations and overlay versions are append-only; a stored bundle's files never
 * change.
 */
export class Governance1764600000000 implements MigrationInterface {
  name = 'Governance1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE config_bundle
        ADD COLUMN review_round integer NOT NULL DEFAULT 0,
        ADD COLUMN submitted_at timestamptz,
        ADD COLUMN submitted_by uuid REFERENCES app_user (id),
        ADD COLUMN submitted_by_name text,
        ADD COLUMN migration_note text,
        ADD COLUMN breaking jsonb NOT NULL DEFAULT '[]'::jsonb,
        ADD COLUMN state_changed_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`CREATE INDEX config_bundle_state_idx ON config_bundle (state, bundle_key)`);
    await q.query(`
      CREATE FUNCTION config_bundle_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.hash IS DISTINCT FROM OLD.hash OR NEW.bundle_key IS DISTINCT FROM OLD.bundle_key OR NEW.files IS DISTINCT FROM OLD.files THEN
          RAISE EXCEPTION 'a stored configuration bundle never changes (hash, key and files are fixed)';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER config_bundle_files_fixed BEFORE UPDATE ON config_bundle FOR EACH ROW EXECUTE FUNCTION config_bundle_immutable()`);

    await q.query(`
      CREATE TABLE config_bundle_review (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        hash char(64) NOT NULL REFERENCES config_bundle (hash),
        round integer NOT NULL,
        decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
        user_id uuid NOT NULL REFERENCES app_user (id),
        username text NOT NULL,
        comment text NOT NULL CHECK (length(btrim(comment)) > 0),
        at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (hash, round, user_id)
      )`);

    await q.query(`
      CREATE TABLE config_activation (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        bundle_key text NOT NULL,
        hash char(64) NOT NULL REFERENCES config_bundle (hash),
        previous_hash char(64) REFERENCES config_bundle (hash),
        action text NOT NULL CHECK (action IN ('baseline', 'activate', 'rollback')),
        config_hash char(64),
        bundle_hashes jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid REFERENCES app_user (id),
        actor text
      )`);
    await q.query(`CREATE INDEX config_activation_key_idx ON config_activation (bundle_key, id DESC)`);
    await q.query(`CREATE INDEX config_activation_config_idx ON config_activation (config_hash)`);
    await q.query(`
      INSERT INTO config_activation (bundle_key, hash, previous_hash, action, bundle_hashes, actor)
      SELECT a.bundle_key, a.hash, a.previous_hash, 'baseline', (SELECT jsonb_object_agg(bundle_key, hash) FROM config_active), a.activated_by
        FROM config_active a`);

    await q.query(`
      CREATE TABLE config_overlay (
        version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('lookup', 'locations')),
        target text NOT NULL,
        operation jsonb NOT NULL,
        state jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by uuid REFERENCES app_user (id),
        created_by_name text
      )`);
    await q.query(`CREATE INDEX config_overlay_target_idx ON config_overlay (kind, target, version DESC)`);

    await q.query(`
      CREATE FUNCTION config_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
      END $$`);
    for (const table of ['config_bundle_review', 'config_activation', 'config_overlay']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION config_append_only()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE config_overlay`);
    await q.query(`DROP TABLE config_activation`);
    await q.query(`DROP TABLE config_bundle_review`);
    await q.query(`DROP FUNCTION config_append_only()`);
    await q.query(`DROP TRIGGER config_bundle_files_fixed ON config_bundle`);
    await q.query(`DROP FUNCTION config_bundle_immutable()`);
    await q.query(`DROP INDEX config_bundle_state_idx`);
    await q.query(`
      ALTER TABLE config_bundle
        DROP COLUMN review_round, DROP COLUMN submitted_at, DROP COLUMN submitted_by, DROP COLUMN submitted_by_name,
        DROP COLUMN migration_note, DROP COLUMN breaking, DROP COLUMN state_changed_at`);
  }
}
