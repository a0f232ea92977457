import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { formatDisplayId, newShortId, type DisplayIdFormat } from '../../modules/records/short-id.js';
import { ActiveConfigService } from '../../modules/config/active-config.service.js';
import { compositeKey, indexFor, RecordIndexes, wantedIndexes, type IndexSpec } from '../../modules/records/record-indexes.js';
import type { TestUser } from './factories.js';
import type { TestApp } from './test-app.js';

/**
 * `newRecord` inserts a record straight into the database (bypassing the API under test): owner snapshots from
 * the owner's current agency and groups, short and display id as the write path makes them, the active bundle
 * hash. `data` is stored as given (no engine processing: pass computed values yourself when a test needs them).
 */

export interface RecordOptions {
  module: string;
  recordType: string;
  owner: TestUser | string;
  data?: Record<string, unknown>;
  /** Owner agency snapshot (default: the owner's agency code now; null for none). */
  ownerAgency?: string | null;
  /** Owner group snapshot (default: the owner's enabled group codes now). */
  ownerGroups?: string[];
  /** User ids (or test users) the record is shared with (`shared_with`; no `record_share` rows are made). */
  sharedWith?: (TestUser | string)[];
  status?: string;
  disabled?: boolean;
  version?: number;
  fieldVersions?: Record<string, number>;
  createdAt?: Date | string;
  /** Also write the `create` history row, as the API does (default false). */
  history?: boolean;
}

export interface TestRecord {
  id: string;
  shortId: string;
  displayId: string;
  module: string;
  recordType: string;
  ownerId: string;
  version: number;
}

const idOf = (u: TestUser | string) => (typeof u === 'string' ? u : u.id);

/** The active configuration hash (what `CompiledConfig.hash` is: SHA-256 over the sorted `key:hash` lines). */
export async function activeConfigHash(ds: DataSource): Promise<string> {
  const rows: { bundle_key: string; hash: string }[] = await ds.query(`SELECT bundle_key, hash FROM config_active`);
  const key = rows.map((r) => `${r.bundle_key}:${r.hash.trim()}`).sort().join('\n');
  return createHash('sha256').update(key).digest('hex');
}

/** The `displayId` format of a record type in the active bundles (undefined when it has none). */
async function displayIdFormat(ds: DataSource, module: string, recordType: string): Promise<DisplayIdFormat | undefined> {
  const rows: { text: string }[] = await ds.query(
    `SELECT f.value AS text
       FROM config_active a JOIN config_bundle b ON b.hash = a.hash, jsonb_each_text(b.files) f
      WHERE f.key LIKE 'record-types/%.json'`,
  );
  for (const { text } of rows) {
    try {
      const def = JSON.parse(text) as { key?: string; module?: string; displayId?: DisplayIdFormat };
      if (def.key === recordType && def.module === module) return def.displayId;
    } catch {
      // not ours to report
    }
  }
  return undefined;
}

export async function newRecord(ds: DataSource, options: RecordOptions): Promise<TestRecord> {
  const ownerId = idOf(options.owner);
  const [owner] = await ds.query(
    `SELECT a.code AS agency,
            coalesce(array_agg(g.code ORDER BY g.code) FILTER (WHERE g.id IS NOT NULL), '{}') AS groups
       FROM app_user u
       LEFT JOIN agency a ON a.id = u.agency_id
       LEFT JOIN app_user_group ug ON ug.user_id = u.id
       LEFT JOIN user_group g ON g.id = ug.group_id AND NOT g.disabled
      WHERE u.id = $1
      GROUP BY a.code`,
    [ownerId],
  );
  if (!owner) throw new Error(`newRecord: no user ${ownerId}`);
  const shortId = newShortId();
  const displayId = formatDisplayId(await displayIdFormat(ds, options.module, options.recordType), shortId);
  const version = options.version ?? 1;
  const data = options.data ?? {};
  const id = randomUUID();
  const createdAt = options.createdAt === undefined ? new Date() : new Date(options.createdAt);
  await ds.query(
    `INSERT INTO record (id, short_id, display_id, module, record_type, owner_id, owner_agency, owner_groups, shared_with,
                         status, disabled, version, bundle_hash, data, field_versions, created_by, updated_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $6, $6, $16, $16)`,
    [
      id,
      shortId,
      displayId,
      options.module,
      options.recordType,
      ownerId,
      options.ownerAgency === undefined ? owner.agency : options.ownerAgency,
      options.ownerGroups ?? owner.groups,
      (options.sharedWith ?? []).map(idOf),
      options.status ?? 'open',
      options.disabled ?? false,
      version,
      await activeConfigHash(ds),
      data,
      options.fieldVersions ?? {},
      createdAt,
    ],
  );
  if (options.history) {
    const changes = Object.entries(data).map(([path, to]) => ({ path, from: null, to }));
    await ds.query(`INSERT INTO record_history (record_id, version, actor_id, action, changes) VALUES ($1, 1, $2, 'create', $3)`, [
      id,
      ownerId,
      JSON.stringify(changes),
    ]);
  }
  return { id, shortId, displayId, module: options.module, recordType: options.recordType, ownerId, version };
}

/**
 * Builds the active configuration's per-bundle indexes as the server would (and waits for them), refreshes the
 * statistics, and returns the incident's composite index over violence type and incident date.
 */
export async function buildIncidentIndexes(t: TestApp, ds: DataSource): Promise<IndexSpec> {
  const config = t.app.get(ActiveConfigService);
  const indexes = t.app.get(RecordIndexes);
  await indexes.ensure(config.current());
  await indexes.whenIdle();
  await ds.query('VACUUM (ANALYZE) record');
  return indexFor(wantedIndexes(config.current()), 'gbv', 'incident', compositeKey(['gbv_sexual_violence_type', 'incident_date']))!;
}
