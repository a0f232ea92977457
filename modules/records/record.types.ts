import type { RecordFacts } from '../../engine/index.js';

/** A record row as stored (typed columns + configured data). */
export interface RecordRow {
  id: string;
  shortId: string;
  displayId: string;
  module: string;
  recordType: string;
  ownerId: string;
  ownerUsername: string;
  ownerAgency: string | null;
  ownerGroups: string[];
  sharedWith: string[];
  /** See RecordFacts.sharedForms (referral shares narrow what the receiver reads). */
  sharedForms?: Record<string, string[]>;
  status: string;
  flags: RecordFlag[];
  disabled: boolean;
  version: number;
  bundleHash: string;
  data: Record<string, unknown>;
  fieldVersions: Record<string, number>;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecordFlag {
  id: string;
  reason: string;
  date?: string | null;
  by: string;
  at: string;
  unflaggedAt?: string;
  unflagReason?: string;
}

/** What the API returns for a record (data redacted to what the caller may read). */
export interface RecordView {
  id: string;
  shortId: string;
  displayId: string;
  recordType: string;
  module: string;
  version: number;
  owner: string;
  agency: string | null;
  status: string;
  flags: RecordFlag[];
  disabled: boolean;
  bundleHash: string;
  createdAt: string;
  updatedAt: string;
  data: Record<string, unknown>;
  /** Values of fields a newer bundle removed (read-only; see docs/governance.md). */
  removedFields?: Array<{ path: string; rowId?: string; value: unknown; label?: string; type?: string }>;
}

/**
 * User id -> forms shared with that user, for users whose live shares of the record are all referrals (the forms
 * of their accepted or done referrals; RecordFacts.sharedForms). NULL for a record shared with nobody.
 */
const SHARE_FORMS = `CASE WHEN cardinality(r.shared_with) = 0 THEN NULL ELSE (
    SELECT jsonb_object_agg(s.user_id::text, coalesce((
             SELECT jsonb_agg(DISTINCT f.form) FROM record_transition t CROSS JOIN LATERAL unnest(t.shared_forms) AS f(form)
              WHERE t.record_id = r.id AND t.to_user = s.user_id AND t.kind = 'referral' AND t.status IN ('accepted', 'done')), '[]'::jsonb))
      FROM (SELECT user_id FROM record_share WHERE record_id = r.id AND revoked_at IS NULL GROUP BY user_id HAVING bool_and(kind = 'referral')) s
  ) END`;

/** Columns selected for a RecordRow, with the owner's username joined (alias `r` for record, `o` for owner). */
export const RECORD_COLUMNS = `r.id, r.short_id, r.display_id, r.module, r.record_type, r.owner_id, o.username AS owner_username,
  r.owner_agency, r.owner_groups, r.shared_with, r.status, r.flags, r.disabled, r.version, r.bundle_hash, r.data,
  r.field_versions, r.created_at, r.updated_at, ${SHARE_FORMS} AS share_forms`;

export function toRecordRow(r: Record<string, unknown>): RecordRow {
  return {
    id: r.id as string,
    shortId: r.short_id as string,
    displayId: r.display_id as string,
    module: r.module as string,
    recordType: r.record_type as string,
    ownerId: r.owner_id as string,
    ownerUsername: r.owner_username as string,
    ownerAgency: (r.owner_agency as string | null) ?? null,
    ownerGroups: (r.owner_groups as string[]) ?? [],
    sharedWith: (r.shared_with as string[]) ?? [],
    ...(r.share_forms == null ? {} : { sharedForms: r.share_forms as Record<string, string[]> }),
    status: r.status as string,
    flags: (r.flags as RecordFlag[]) ?? [],
    disabled: r.disabled as boolean,
    version: r.version as number,
    bundleHash: (r.bundle_hash as string).trim(),
    data: (r.data as Record<string, unknown>) ?? {},
    fieldVersions: (r.field_versions as Record<string, number>) ?? {},
    createdAt: new Date(r.created_at as string),
    updatedAt: new Date(r.updated_at as string),
  };
}

export function factsOf(row: Pick<RecordRow, 'module' | 'recordType' | 'ownerId' | 'ownerAgency' | 'ownerGroups' | 'sharedWith' | 'sharedForms'>): RecordFacts {
  const facts: RecordFacts = { module: row.module, recordType: row.recordType, ownerId: row.ownerId, ownerAgency: row.ownerAgency, ownerGroups: row.ownerGroups, sharedWith: row.sharedWith };
  return row.sharedForms === undefined ? facts : { ...facts, sharedForms: row.sharedForms };
}
