import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { FieldChange } from './merge.js';
import { RECORD_COLUMNS, type RecordFlag, type RecordRow, toRecordRow } from './record.types.js';
import type { AuditContext } from './records.repository.js';

/**
 * A change to what a record carries besides (or with) its data: workflow state, flags, owner, who it is shared
 * with. Workflow, approvals, flags, assignment, referrals and transfers all write through `apply`, which bumps
 * the version and writes the row, its history row and its audit row in one statement — inside the caller's
 * transaction, after the caller locked the row (`RecordsRepository.lock`).
 *
 * History paths of such events start with `$` (`$status`, `$flags/<flagId>`, `$owner`, `$approval/<type>`,
 * `$referral/<id>`, `$transfer/<id>`, `$share/<username>`): they are not configured fields, their values are
 * keys, usernames and comments (never field values), and the history view shows them to whoever may see the
 * record's history. Data changes made by the same event (a workflow side effect setting fields) use ordinary
 * field paths and are redacted like any edit.
 */
export interface RecordEvent {
  readonly recordId: string;
  /** The version the locked row has. */
  readonly expectedVersion: number;
  /** History action (`transition`, `flag`, `assign`, …); the audit action is `record.<action>`. */
  readonly action: string;
  readonly changes: readonly FieldChange[];
  readonly auditDetails: Readonly<Record<string, unknown>>;
  readonly status?: string;
  readonly flags?: readonly RecordFlag[];
  /** New owner: agency and groups are snapshotted from the user in the same statement. */
  readonly ownerId?: string;
  /** Recompute `shared_with` from the live `record_share` rows (after inserting or revoking one). */
  readonly refreshShares?: boolean;
  /** New data and field versions (already merged and validated by the caller). */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly fieldVersions?: Readonly<Record<string, number>>;
  readonly bundleHash?: string;
}

const APPLY_EVENT = `
  WITH owner AS (
    SELECT u.id, a.code AS agency,
           coalesce((SELECT array_agg(g.code ORDER BY g.code) FROM app_user_group ug JOIN user_group g ON g.id = ug.group_id
                      WHERE ug.user_id = u.id AND NOT g.disabled), '{}') AS groups
      FROM app_user u LEFT JOIN agency a ON a.id = u.agency_id
     WHERE u.id = $7::uuid
  ), r AS (
    UPDATE record SET
      version = version + 1, updated_by = $3, updated_at = now(),
      status = coalesce($5, status),
      flags = coalesce($6::jsonb, flags),
      flagged = CASE WHEN $6::jsonb IS NULL THEN flagged
                     ELSE EXISTS (SELECT 1 FROM jsonb_array_elements($6::jsonb) f WHERE f->>'unflaggedAt' IS NULL) END,
      owner_id = coalesce((SELECT id FROM owner), owner_id),
      owner_agency = CASE WHEN $7::uuid IS NULL THEN owner_agency ELSE (SELECT agency FROM owner) END,
      owner_groups = CASE WHEN $7::uuid IS NULL THEN owner_groups ELSE (SELECT groups FROM owner) END,
      shared_with = CASE WHEN $8 THEN ARRAY(SELECT DISTINCT s.user_id FROM record_share s WHERE s.record_id = $1 AND s.revoked_at IS NULL ORDER BY 1)
                         ELSE shared_with END,
      data = coalesce($9::jsonb, data),
      field_versions = coalesce($10::jsonb, field_versions),
      bundle_hash = coalesce($11, bundle_hash)
     WHERE id = $1 AND version = $2
    RETURNING *
  ), h AS (
    INSERT INTO record_history (record_id, version, actor_id, action, changes)
    SELECT r.id, r.version, $3, $4, $12::jsonb FROM r
  ), a AS (
    INSERT INTO audit_log (actor_id, actor, action, object_type, object_id, client_ip, request_id, details)
    SELECT $3, $13, 'record.' || $4, 'record', r.id::text, $14, $15, $16::jsonb FROM r
  )
  SELECT ${RECORD_COLUMNS} FROM r JOIN app_user o ON o.id = r.owner_id`;

@Injectable()
export class RecordEventsRepository {
  async apply(tx: EntityManager, e: RecordEvent, audit: AuditContext): Promise<RecordRow> {
    const rows: Record<string, unknown>[] = await tx.query(APPLY_EVENT, [
      e.recordId,
      e.expectedVersion,
      audit.actorId,
      e.action,
      e.status ?? null,
      e.flags === undefined ? null : JSON.stringify(e.flags),
      e.ownerId ?? null,
      e.refreshShares === true,
      e.data === undefined ? null : JSON.stringify(e.data),
      e.fieldVersions === undefined ? null : JSON.stringify(e.fieldVersions),
      e.bundleHash ?? null,
      JSON.stringify(e.changes),
      audit.actor,
      audit.clientIp,
      audit.requestId,
      JSON.stringify(e.auditDetails),
    ]);
    // The row is locked by this transaction: a different version means a caller that did not lock it first.
    if (rows[0] === undefined) throw new Error(`record ${e.recordId} changed under its lock (or the new owner does not exist)`);
    return toRecordRow(rows[0]);
  }
}
