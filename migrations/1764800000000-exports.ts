import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exports as background jobs (docs/exports.md). The queue itself is pg-boss (its own schema, created by pg-boss at
 * start); these tables are Haven's view of an export:
 *
 * - `export_job`: one row per request: who asked, what (format, record type, module, the validated filter, locale,
 *   labels, template), the state the API reports, progress, and the attempt that owns the job. A run starts by
 *   taking a new `attempt`; progress and completion are written only by the run holding the current attempt, so
 *   a run that pg-boss gave up on (expired, crashed) can never overwrite the work of its retry.
 * - `export_file`: the finished file in chunks of bytea, inserted in ONE transaction with the job's `done` state:
 *   a file is complete or absent, and any app instance can serve it. Deleted when the job expires.
 * - `export_template`: a user's named choice of forms and fields for an export.
 */
export class Exports1764800000000 implements MigrationInterface {
  name = 'Exports1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE export_job (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        requested_by uuid NOT NULL REFERENCES app_user (id),
        format text NOT NULL,
        module text NOT NULL,
        record_type text NOT NULL,
        filter jsonb NOT NULL DEFAULT '{}'::jsonb,
        locale text NOT NULL,
        labels boolean NOT NULL DEFAULT true,
        template_key text,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'expired')),
        attempt integer NOT NULL DEFAULT 0,
        rows_done integer NOT NULL DEFAULT 0,
        rows_total integer,
        rows_written integer,
        error_code text,
        error_message text,
        file_name text,
        content_type text,
        file_size bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        expires_at timestamptz
      )`);
    await q.query(`CREATE INDEX export_job_requester_idx ON export_job (requested_by, created_at DESC)`);
    await q.query(`CREATE INDEX export_job_expiry_idx ON export_job (expires_at) WHERE status = 'done'`);
    await q.query(`
      CREATE TABLE export_file (
        job_id uuid NOT NULL REFERENCES export_job (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        bytes bytea NOT NULL,
        PRIMARY KEY (job_id, seq)
      )`);
    // Stored as they are: an .xlsx is compressed already, and compressing a large CSV in the server would cost the
    // database more CPU than the few hours the file is kept are worth.
    await q.query(`ALTER TABLE export_file ALTER COLUMN bytes SET STORAGE EXTERNAL`);
    await q.query(`
      CREATE TABLE export_template (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES app_user (id),
        key text NOT NULL,
        name text NOT NULL,
        module text NOT NULL,
        record_type text NOT NULL,
        forms text[] NOT NULL DEFAULT '{}',
        fields text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (owner_id, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE export_template`);
    await q.query(`DROP TABLE export_file`);
    await q.query(`DROP TABLE export_job`);
  }
}
