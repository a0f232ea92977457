import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Case workflow (docs/workflow.md): approvals, transitions between users (assignment, referral, transfer,
 * transfer request) and notifications. The record's workflow state is `record.status`, its flags `record.flags`;
 * who may read a record because of a transition is `record_share` (mirrored into `record.shared_with`).
 *
 * - `record_approval`: one row per request; at most one pending request per record and approval type.
 * - `record_transition`: one row per assignment, referral, transfer or transfer request, with its state and the
 *   consent decision. A referral names the service (a value of the bundle's service lookup) and the forms it
 *   shares; a cross-module referral names the receiving module and, once accepted, the record created there.
 * - `notification`: the in-app list (one row per recipient); `notification_email`: the e-mail outbox, sent by a
 *   worker after commit, retried with back-off. Both are written in the transaction of the change they report.
 */
export class Workflow1764700000000 implements MigrationInterface {
  name = 'Workflow1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE record_approval (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        record_id uuid NOT NULL REFERENCES record (id),
        approval_type text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
        requested_by uuid REFERENCES app_user (id),
        requested_at timestamptz NOT NULL DEFAULT now(),
        request_comment text,
        decided_by uuid REFERENCES app_user (id),
        decided_at timestamptz,
        decision_comment text
      )`);
    await q.query(`CREATE UNIQUE INDEX record_approval_pending_key ON record_approval (record_id, approval_type) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX record_approval_record_idx ON record_approval (record_id, requested_at)`);
    await q.query(`CREATE INDEX record_approval_status_idx ON record_approval (approval_type, status)`);
    await q.query(`
      CREATE TABLE record_transition (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('assignment', 'referral', 'transfer', 'transfer_request')),
        record_id uuid NOT NULL REFERENCES record (id),
        status text NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'rejected', 'revoked', 'done')),
        from_user uuid REFERENCES app_user (id),
        from_agency text,
        to_user uuid REFERENCES app_user (id),
        to_agency text,
        service text,
        notes text,
        response_note text,
        consent_overridden boolean NOT NULL DEFAULT false,
        consent_override_reason text,
        shared_forms text[],
        target_module text,
        created_record_id uuid REFERENCES record (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        responded_at timestamptz,
        completed_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX record_transition_record_idx ON record_transition (record_id, created_at)`);
    await q.query(`CREATE INDEX record_transition_to_idx ON record_transition (to_user, status)`);
    await q.query(`CREATE INDEX record_transition_from_idx ON record_transition (from_user, status)`);
    await q.query(`CREATE INDEX record_transition_kind_idx ON record_transition (kind, status, created_at)`);
    await q.query(`
      CREATE TABLE notification (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES app_user (id),
        event text NOT NULL,
        record_id uuid REFERENCES record (id),
        actor_id uuid REFERENCES app_user (id),
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz
      )`);
    await q.query(`CREATE INDEX notification_user_idx ON notification (user_id, created_at DESC)`);
    await q.query(`CREATE INDEX notification_unread_idx ON notification (user_id) WHERE read_at IS NULL`);
    await q.query(`
      CREATE TABLE notification_email (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        notification_id bigint NOT NULL REFERENCES notification (id),
        status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX notification_email_due_idx ON notification_email (next_attempt_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_email`);
    await q.query(`DROP TABLE notification`);
    await q.query(`DROP TABLE record_transition`);
    await q.query(`DROP TABLE record_approval`);
  }
}
