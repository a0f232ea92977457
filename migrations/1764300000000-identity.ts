import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agencies, user groups, users' profile and second factor, sessions (opaque tokens stored as SHA-256 hashes)
 * and login attempts (for throttling). Usernames and codes are unique case-insensitively.
 */
export class Identity1764300000000 implements MigrationInterface {
  name = 'Identity1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agency (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL,
        name text NOT NULL,
        logo_content_type text,
        logo bytea,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX agency_code_key ON agency (lower(code))`);
    await q.query(`
      CREATE TABLE user_group (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL,
        name text NOT NULL,
        agency_id uuid REFERENCES agency (id),
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX user_group_code_key ON user_group (lower(code))`);
    await q.query(`
      ALTER TABLE app_user
        ADD COLUMN code text,
        ADD COLUMN email text,
        ADD COLUMN locale text NOT NULL DEFAULT 'en',
        ADD COLUMN agency_id uuid REFERENCES agency (id),
        ADD COLUMN last_login_at timestamptz,
        ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN totp_secret text,
        ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false,
        ADD COLUMN recovery_codes text[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      CREATE TABLE app_user_group (
        user_id uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        group_id uuid NOT NULL REFERENCES user_group (id),
        PRIMARY KEY (user_id, group_id)
      )`);
    await q.query(`CREATE INDEX app_user_group_group_idx ON app_user_group (group_id)`);
    await q.query(`
      CREATE TABLE session (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash bytea NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        second_factor_pending boolean NOT NULL DEFAULT false,
        revoked_at timestamptz,
        revoked_reason text,
        client_ip text
      )`);
    await q.query(`CREATE INDEX session_user_idx ON session (user_id) WHERE revoked_at IS NULL`);
    await q.query(`
      CREATE TABLE login_attempt (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        username text NOT NULL,
        client_ip text NOT NULL,
        success boolean NOT NULL
      )`);
    await q.query(`CREATE INDEX login_attempt_user_ip_idx ON login_attempt (username, client_ip, at)`);
    await q.query(`CREATE INDEX login_attempt_ip_idx ON login_attempt (client_ip, at)`);
    await q.query(`CREATE INDEX login_attempt_user_idx ON login_attempt (username, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_attempt`);
    await q.query(`DROP TABLE session`);
    await q.query(`DROP TABLE app_user_group`);
    await q.query(`ALTER TABLE app_user DROP COLUMN code, DROP COLUMN email, DROP COLUMN locale, DROP COLUMN agency_id,
      DROP COLUMN last_login_at, DROP COLUMN password_changed_at, DROP COLUMN totp_secret, DROP COLUMN totp_enabled, DROP COLUMN recovery_codes`);
    await q.query(`DROP TABLE user_group`);
    await q.query(`DROP TABLE agency`);
  }
}
