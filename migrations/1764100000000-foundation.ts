import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users (with argon2id hashes) and the append-only audit log. Audit rows can be added, never changed or
 * removed: a trigger refuses UPDATE and DELETE for every role, the application's included.
 */
export class Foundation1764100000000 implements MigrationInterface {
  name = 'Foundation1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE app_user (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL,
        password_hash text NOT NULL,
        full_name text NOT NULL DEFAULT '',
        roles text[] NOT NULL DEFAULT '{}',
        disabled boolean NOT NULL DEFAULT false,
        must_change_password boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX app_user_username_key ON app_user (lower(username))`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid,
        actor text,
        action text NOT NULL,
        object_type text,
        object_id text,
        outcome text NOT NULL DEFAULT 'allowed',
        client_ip text,
        request_id text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at)`);
    await q.query(`CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id)`);
    await q.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at)`);
    await q.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP FUNCTION audit_log_append_only()`);
    await q.query(`DROP TABLE app_user`);
  }
}
