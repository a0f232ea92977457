import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generic records of any configured type. Typed columns hold what every record has; `data` holds the configured
 * fields. `field_versions` maps each changed field path to the record version that last changed it: the
 * field-level merge rule (PATCH now, offline sync later) compares it with the version an edit was based on.
 * Owner agency and groups are snapshots (updated on assignment, transfer and group changes) so that scope checks
 * are plain indexed conditions. History and audit rows are written in the same transaction as the change.
 */
export class Records1764400000000 implements MigrationInterface {
  name = 'Records1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE record (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        short_id text NOT NULL,
        display_id text NOT NULL,
        module text NOT NULL,
        record_type text NOT NULL,
        owner_id uuid NOT NULL REFERENCES app_user (id),
        owner_agency text,
        owner_groups text[] NOT NULL DEFAULT '{}',
        shared_with uuid[] NOT NULL DEFAULT '{}',
        status text NOT NULL,
        flags jsonb NOT NULL DEFAULT '[]'::jsonb,
        flagged boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false,
        version integer NOT NULL DEFAULT 1,
        bundle_hash char(64) NOT NULL,
        data jsonb NOT NULL,
        field_versions jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_by uuid REFERENCES app_user (id),
        updated_by uuid REFERENCES app_user (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX record_short_id_key ON record (short_id)`);
    await q.query(`CREATE INDEX record_type_owner_idx ON record (module, record_type, owner_id, created_at DESC)`);
    await q.query(`CREATE INDEX record_type_agency_idx ON record (module, record_type, owner_agency, created_at DESC)`);
    await q.query(`CREATE INDEX record_type_created_idx ON record (module, record_type, created_at DESC)`);
    await q.query(`CREATE INDEX record_owner_groups_idx ON record USING gin (owner_groups)`);
    await q.query(`CREATE INDEX record_shared_with_idx ON record USING gin (shared_with)`);
    await q.query(`
      CREATE TABLE record_share (
        record_id uuid NOT NULL REFERENCES record (id),
        user_id uuid NOT NULL REFERENCES app_user (id),
        kind text NOT NULL CHECK (kind IN ('assignment', 'referral', 'transfer')),
        granted_at timestamptz NOT NULL DEFAULT now(),
        granted_by uuid REFERENCES app_user (id),
        revoked_at timestamptz,
        PRIMARY KEY (record_id, user_id, kind)
      )`);
    await q.query(`CREATE INDEX record_share_user_idx ON record_share (user_id) WHERE revoked_at IS NULL`);
    await q.query(`
      CREATE TABLE record_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        record_id uuid NOT NULL REFERENCES record (id),
        version integer NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid REFERENCES app_user (id),
        action text NOT NULL,
        changes jsonb NOT NULL DEFAULT '[]'::jsonb
      )`);
    await q.query(`CREATE INDEX record_history_record_idx ON record_history (record_id, version)`);
    await q.query(`
      CREATE FUNCTION record_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'record_history is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER record_history_no_change BEFORE UPDATE OR DELETE ON record_history
      FOR EACH ROW EXECUTE FUNCTION record_history_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE record_history`);
    await q.query(`DROP FUNCTION record_history_append_only()`);
    await q.query(`DROP TABLE record_share`);
    await q.query(`DROP TABLE record`);
  }
}
