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

/** Columns selected for a RecordRow, with the owner's username joined (alias `r` for record, `o` for owner). */
export const RECORD_COLUMNS = `r.id, r.short_id, r.display_id, r.module, r.record_type, r.owner_id, o.username AS owner_username,
  r.owner_agency, r.owner_groups, r.shared_with, r.status, r.flags, r.disabled, r.version, r.bundle_hash, r.data,
  r.field_versions, r.created_at, r.updated_at`;

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

export function factsOf(row: Pick<RecordRow, 'module' | 'recordType' | 'ownerId' | 'ownerAgency' | 'ownerGroups' | 'sharedWith'>): RecordFacts {
  return { module: row.module, recordType: row.recordType, ownerId: row.ownerId, ownerAgency: row.ownerAgency, ownerGroups: row.ownerGroups, sharedWith: row.sharedWith };
}
