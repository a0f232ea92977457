import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { RECORD_COLUMNS, toRecordRow, type RecordRow } from '../records/record.types.js';
import { UUID } from '../common/uuid.js';

/**
 * SQL of referrals, transfers and transfer requests (`record_transition`), the shares they grant (`record_share`)
 * and the links referrals across modules make (`record_link`). State changes are conditional updates
 * (`… WHERE status = ANY(from)`): with the record row locked first, one of two concurrent actions wins and the
 * other finds the transition no longer in the state it needs.
 */

export type TransitionKind = 'referral' | 'transfer' | 'transfer_request';
export type TransitionStatus = 'pending' | 'accepted' | 'declined' | 'rejected' | 'revoked' | 'done';

export interface TransitionRow {
  id: string;
  kind: TransitionKind;
  recordId: string;
  recordType: string;
  module: string;
  displayId: string;
  status: TransitionStatus;
  fromUser: string | null;
  fromUsername: string | null;
  fromAgency: string | null;
  toUser: string | null;
  toUsername: string | null;
  toAgency: string | null;
  service: string | null;
  notes: string | null;
  responseNote: string | null;
  consentOverridden: boolean;
  consentOverrideReason: string | null;
  sharedForms: string[] | null;
  targetModule: string | null;
  createdRecordId: string | null;
  createdAt: Date;
  respondedAt: Date | null;
  completedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewTransition {
  kind: TransitionKind;
  recordId: string;
  fromUser: string;
  fromAgency: string | null;
  toUser: string;
  toAgency: string | null;
  service?: string | null;
  notes: string | null;
  consentOverridden?: boolean;
  consentOverrideReason?: string | null;
  sharedForms?: readonly string[] | null;
  targetModule?: string | null;
}

const COLUMNS = `t.id, t.kind, t.record_id, r.record_type, r.module, r.display_id, t.status, t.from_user, fu.username AS from_username,
  t.from_agency, t.to_user, tu.username AS to_username, t.to_agency, t.service, t.notes, t.response_note, t.consent_overridden,
  t.consent_override_reason, t.shared_forms, t.target_module, t.created_record_id, t.created_at, t.responded_at, t.completed_at, t.revoked_at`;
const FROM = `record_transition t JOIN record r ON r.id = t.record_id
  LEFT JOIN app_user fu ON fu.id = t.from_user LEFT JOIN app_user tu ON tu.id = t.to_user`;

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

function toRow(r: Record<string, unknown>): TransitionRow {
  return {
    id: r.id as string,
    kind: r.kind as TransitionKind,
    recordId: r.record_id as string,
    recordType: r.record_type as string,
    module: r.module as string,
    displayId: r.display_id as string,
    status: r.status as TransitionStatus,
    fromUser: (r.from_user as string | null) ?? null,
    fromUsername: (r.from_username as string | null) ?? null,
    fromAgency: (r.from_agency as string | null) ?? null,
    toUser: (r.to_user as string | null) ?? null,
    toUsername: (r.to_username as string | null) ?? null,
    toAgency: (r.to_agency as string | null) ?? null,
    service: (r.service as string | null) ?? null,
    notes: (r.notes as string | null) ?? null,
    responseNote: (r.response_note as string | null) ?? null,
    consentOverridden: r.consent_overridden === true,
    consentOverrideReason: (r.consent_override_reason as string | null) ?? null,
    sharedForms: (r.shared_forms as string[] | null) ?? null,
    targetModule: (r.target_module as string | null) ?? null,
    createdRecordId: (r.created_record_id as string | null) ?? null,
    createdAt: new Date(r.created_at as string),
    respondedAt: date(r.responded_at),
    completedAt: date(r.completed_at),
    revokedAt: date(r.revoked_at),
  };
}

/** Which timestamp column a new status sets. */
const STAMP: Partial<Record<TransitionStatus, string>> = {
  accepted: 'responded_at',
  declined: 'responded_at',
  rejected: 'responded_at',
  done: 'completed_at',
  revoked: 'revoked_at',
};

@Injectable()
export class TransitionsRepository {
  constructor(private readonly ds: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  async find(id: string, kinds: readonly TransitionKind[], tx?: EntityManager): Promise<TransitionRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const rows: Record<string, unknown>[] = await (tx ?? this.ds).query(`SELECT ${COLUMNS} FROM ${FROM} WHERE t.id = $1 AND t.kind = ANY($2::text[])`, [id, kinds]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async insert(tx: EntityManager, t: NewTransition): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO record_transition (kind, record_id, status, from_user, from_agency, to_user, to_agency, service, notes, consent_overridden,
                                      consent_override_reason, shared_forms, target_module)
       VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11::text[], $12) RETURNING id`,
      [
        t.kind,
        t.recordId,
        t.fromUser,
        t.fromAgency,
        t.toUser,
        t.toAgency,
        t.service ?? null,
        t.notes,
        t.consentOverridden ?? false,
        t.consentOverrideReason ?? null,
        t.sharedForms === undefined || t.sharedForms === null ? null : [...t.sharedForms],
        t.targetModule ?? null,
      ],
    );
    return (rows[0] as { id: string }).id;
  }

  /** Moves a transition from one of `from` to `to`; undefined when it is no longer in one of `from`. */
  async move(tx: EntityManager, id: string, from: readonly TransitionStatus[], to: TransitionStatus, extra: { responseNote?: string | null; createdRecordId?: string } = {}): Promise<TransitionRow | undefined> {
    const stamp = STAMP[to];
    const rows: Record<string, unknown>[] = await tx.query(
      `WITH t AS (
         UPDATE record_transition SET status = $3${stamp === undefined ? '' : `, ${stamp} = now()`},
                response_note = coalesce($4, response_note), created_record_id = coalesce($5::uuid, created_record_id)
          WHERE id = $1 AND status = ANY($2::text[])
         RETURNING *
       )
       SELECT ${COLUMNS} FROM t JOIN record r ON r.id = t.record_id
         LEFT JOIN app_user fu ON fu.id = t.from_user LEFT JOIN app_user tu ON tu.id = t.to_user`,
      [id, from, to, extra.responseNote ?? null, extra.createdRecordId ?? null],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** Open transitions of a kind on a record to a user (the duplicates a new one would make). */
  async open(tx: EntityManager, recordId: string, kind: TransitionKind, statuses: readonly TransitionStatus[], user?: { from?: string; to?: string }): Promise<TransitionRow[]> {
    const rows: Record<string, unknown>[] = await tx.query(
      `SELECT ${COLUMNS} FROM ${FROM}
        WHERE t.record_id = $1 AND t.kind = $2 AND t.status = ANY($3::text[])
          AND ($4::uuid IS NULL OR t.from_user = $4) AND ($5::uuid IS NULL OR t.to_user = $5)
        ORDER BY t.created_at`,
      [recordId, kind, statuses, user?.from ?? null, user?.to ?? null],
    );
    return rows.map(toRow);
  }

  async ofRecord(recordId: string, kinds: readonly TransitionKind[], onlyUser?: string): Promise<TransitionRow[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM ${FROM}
        WHERE t.record_id = $1 AND t.kind = ANY($2::text[]) AND ($3::uuid IS NULL OR t.from_user = $3 OR t.to_user = $3)
        ORDER BY t.created_at, t.id`,
      [recordId, kinds, onlyUser ?? null],
    );
    return rows.map(toRow);
  }

  async ofUser(userId: string, kinds: readonly TransitionKind[], status: string | null, direction: 'incoming' | 'outgoing' | null): Promise<TransitionRow[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM ${FROM}
        WHERE t.kind = ANY($2::text[]) AND ($3::text IS NULL OR t.status = $3)
          AND (($4::text IS DISTINCT FROM 'outgoing' AND t.to_user = $1) OR ($4::text IS DISTINCT FROM 'incoming' AND t.from_user = $1))
        ORDER BY t.created_at DESC, t.id LIMIT 500`,
      [userId, kinds, status, direction],
    );
    return rows.map(toRow);
  }

  /** Grants (or grants again) a share of the record to the user. */
  async share(tx: EntityManager, recordId: string, userId: string, kind: 'referral' | 'transfer', grantedBy: string): Promise<void> {
    await tx.query(
      `INSERT INTO record_share (record_id, user_id, kind, granted_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (record_id, user_id, kind) DO UPDATE SET revoked_at = NULL, granted_at = now(), granted_by = EXCLUDED.granted_by`,
      [recordId, userId, kind, grantedBy],
    );
  }

  /**
   * Revokes the user's live share of that kind. A referral share stays while another accepted or done referral
   * of the record to the same user does.
   */
  async unshare(tx: EntityManager, recordId: string, userId: string, kind: 'referral' | 'transfer'): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `WITH s AS (
         UPDATE record_share SET revoked_at = now()
          WHERE record_id = $1 AND user_id = $2 AND kind = $3 AND revoked_at IS NULL
            AND ($3 <> 'referral' OR NOT EXISTS (
                  SELECT 1 FROM record_transition t WHERE t.record_id = $1 AND t.to_user = $2 AND t.kind = 'referral' AND t.status IN ('accepted', 'done')))
         RETURNING 1
       ) SELECT count(*)::int AS n FROM s`,
      [recordId, userId, kind],
    );
    return ((rows[0] as { n: number }).n ?? 0) > 0;
  }

  async link(tx: EntityManager, recordId: string, linkedId: string, createdBy: string): Promise<void> {
    await tx.query(`INSERT INTO record_link (record_id, linked_record_id, kind, created_by) VALUES ($1, $2, 'referral', $3)`, [recordId, linkedId, createdBy]);
  }

  /** A record by id and type key, unlocked. */
  async record(id: string, recordType: string): Promise<RecordRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT ${RECORD_COLUMNS} FROM record r JOIN app_user o ON o.id = r.owner_id WHERE r.id = $1 AND r.record_type = $2`,
      [id, recordType],
    );
    return rows[0] === undefined ? undefined : toRecordRow(rows[0]);
  }

  async userByName(username: string, tx?: EntityManager): Promise<{ id: string; username: string; disabled: boolean } | undefined> {
    const rows: { id: string; username: string; disabled: boolean }[] = await (tx ?? this.ds).query(
      `SELECT u.id, u.username, (u.disabled OR coalesce(a.disabled, false)) AS disabled
         FROM app_user u LEFT JOIN agency a ON a.id = u.agency_id WHERE lower(u.username) = lower($1)`,
      [username],
    );
    return rows[0];
  }

  async usernameOf(id: string, tx: EntityManager): Promise<string | null> {
    const rows: { username: string }[] = await tx.query(`SELECT username FROM app_user WHERE id = $1`, [id]);
    return rows[0]?.username ?? null;
  }
}
