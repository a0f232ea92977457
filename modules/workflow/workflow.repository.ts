import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AbilityUser, ApprovalStatus } from '../../engine/index.js';
import { RECORD_COLUMNS, toRecordRow, type RecordRow } from '../records/record.types.js';
import { UUID } from '../common/uuid.js';

/** One row of `record_approval` as the API shows it (usernames, not ids). */
export interface ApprovalRow {
  id: string;
  type: string;
  status: ApprovalStatus;
  requestedById: string | null;
  requestedBy: string | null;
  requestedAt: string;
  requestComment: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionComment: string | null;
}

/** A user who could act on a record (an assignee, an approver), with what building their ability needs. */
export interface CandidateUser extends AbilityUser {
  readonly email: string | null;
}

const APPROVAL_COLUMNS = `a.id, a.approval_type, a.status, a.requested_by, ru.username AS requested_by_name, a.requested_at, a.request_comment,
  du.username AS decided_by_name, a.decided_at, a.decision_comment`;

function toApproval(r: Record<string, unknown>): ApprovalRow {
  const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
  return {
    id: r.id as string,
    type: r.approval_type as string,
    status: r.status as ApprovalStatus,
    requestedById: (r.requested_by as string | null) ?? null,
    requestedBy: (r.requested_by_name as string | null) ?? null,
    requestedAt: iso(r.requested_at) as string,
    requestComment: (r.request_comment as string | null) ?? null,
    decidedBy: (r.decided_by_name as string | null) ?? null,
    decidedAt: iso(r.decided_at),
    decisionComment: (r.decision_comment as string | null) ?? null,
  };
}

/** Active users (their agency active too) with agency code, enabled group codes and roles. */
const CANDIDATES = `
  SELECT u.id, u.username, u.roles, u.email, a.code AS agency,
         coalesce((SELECT array_agg(g.code ORDER BY g.code) FROM app_user_group ug JOIN user_group g ON g.id = ug.group_id
                    WHERE ug.user_id = u.id AND NOT g.disabled), '{}') AS groups
    FROM app_user u LEFT JOIN agency a ON a.id = u.agency_id
   WHERE NOT u.disabled AND NOT coalesce(a.disabled, false)`;

function toCandidate(r: Record<string, unknown>): CandidateUser {
  return {
    id: r.id as string,
    username: r.username as string,
    roles: (r.roles as string[]) ?? [],
    agency: (r.agency as string | null) ?? null,
    groups: (r.groups as string[]) ?? [],
    email: (r.email as string | null) ?? null,
  };
}

/**
 * SQL of approvals, assignments and the people they involve. Every call takes the caller's transaction: the record
 * row is locked first (RecordsRepository.lock), so what is read here cannot change before the change commits.
 */

@Injectable()
export class WorkflowRepository {
  /** The record without locking it (reads: the transitions on offer, the approval history). */
  async find(tx: EntityManager, id: string, recordType: string): Promise<RecordRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const rows: Record<string, unknown>[] = await tx.query(
      `SELECT ${RECORD_COLUMNS} FROM record r JOIN app_user o ON o.id = r.owner_id WHERE r.id = $1 AND r.record_type = $2`,
      [id, recordType],
    );
    return rows[0] === undefined ? undefined : toRecordRow(rows[0]);
  }

  /** Approval requests of a record, oldest first. */
  async approvals(tx: EntityManager, recordId: string): Promise<ApprovalRow[]> {
    const rows: Record<string, unknown>[] = await tx.query(
      `SELECT ${APPROVAL_COLUMNS} FROM record_approval a
         LEFT JOIN app_user ru ON ru.id = a.requested_by LEFT JOIN app_user du ON du.id = a.decided_by
        WHERE a.record_id = $1 ORDER BY a.requested_at, a.id`,
      [recordId],
    );
    return rows.map(toApproval);
  }

  /** The latest request of each approval type (what guards and blocks look at). */
  async latestApprovals(tx: EntityManager, recordId: string): Promise<Map<string, ApprovalRow>> {
    const latest = new Map<string, ApprovalRow>();
    for (const row of await this.approvals(tx, recordId)) latest.set(row.type, row);
    return latest;
  }

  /** A decided request made stale by the record entering its stage again (`cancelled`: it no longer counts). */
  async cancelApproval(tx: EntityManager, approvalId: string): Promise<void> {
    await tx.query(`UPDATE record_approval SET status = 'cancelled' WHERE id = $1 AND status IN ('approved', 'rejected')`, [approvalId]);
  }

  /** A pending request; the partial unique index refuses a second one of the same type (23505). */
  async requestApproval(tx: EntityManager, recordId: string, type: string, userId: string, comment: string | null): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO record_approval (record_id, approval_type, status, requested_by, request_comment)
       VALUES ($1, $2, 'pending', $3, $4) RETURNING id`,
      [recordId, type, userId, comment],
    );
    return (rows[0] as { id: string }).id;
  }

  /** Decides a pending request; undefined when it is no longer pending (decided by someone else first). */
  async decide(tx: EntityManager, approvalId: string, decision: 'approved' | 'rejected', userId: string, comment: string | null): Promise<string | undefined> {
    const rows: { id: string }[] = await tx.query(
      `WITH d AS (
         UPDATE record_approval SET status = $2, decided_by = $3, decided_at = now(), decision_comment = $4
          WHERE id = $1 AND status = 'pending' RETURNING id)
       SELECT id FROM d`,
      [approvalId, decision, userId, comment],
    );
    return rows[0]?.id;
  }

  /** Active members of any of `groups` (the owner's supervisors are among them). */
  async groupMembers(tx: EntityManager, groups: readonly string[]): Promise<CandidateUser[]> {
    if (groups.length === 0) return [];
    const rows: Record<string, unknown>[] = await tx.query(
      `${CANDIDATES} AND EXISTS (SELECT 1 FROM app_user_group ug JOIN user_group g ON g.id = ug.group_id
                                 WHERE ug.user_id = u.id AND NOT g.disabled AND g.code = ANY($1::text[]))`,
      [groups],
    );
    return rows.map(toCandidate);
  }

  /** An active user by username (case-insensitive), or undefined. */
  async userByName(tx: EntityManager, username: string): Promise<CandidateUser | undefined> {
    const rows: Record<string, unknown>[] = await tx.query(`${CANDIDATES} AND lower(u.username) = lower($1)`, [username]);
    return rows[0] === undefined ? undefined : toCandidate(rows[0]);
  }

  /** The assignment as a `record_transition` row (done at once: assignment needs no acceptance). */
  async recordAssignment(tx: EntityManager, a: { recordId: string; fromUser: string; fromAgency: string | null; toUser: string; toAgency: string | null }): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO record_transition (kind, record_id, status, from_user, from_agency, to_user, to_agency, responded_at, completed_at)
       VALUES ('assignment', $1, 'done', $2, $3, $4, $5, now(), now()) RETURNING id`,
      [a.recordId, a.fromUser, a.fromAgency, a.toUser, a.toAgency],
    );
    return (rows[0] as { id: string }).id;
  }
}
