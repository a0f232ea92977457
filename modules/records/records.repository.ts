import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { FieldChange } from './merge.js';
import { RECORD_COLUMNS, type RecordRow, toRecordRow } from './record.types.js';
import { UUID } from '../common/uuid.js';
import { GroupCommit } from '../database/group-commit.js';

/**
 * SQL of the record write path. Each change is one statement that writes the record row, its `record_history`
 * row and its `audit_log` row together (data-modifying CTEs), so a create is a single round trip and an update is
 * lock + write inside one transaction. The audit columns are AuditService's (`modules/audit/audit.service.ts`):
 * ids and field names only, never values.
 */

export interface AuditContext {
  actorId: string;
  actor: string;
  clientIp: string | null;
  requestId: string | null;
}

export interface NewRecord {
  shortId: string;
  displayId: string;
  module: string;
  recordType: string;
  ownerId: string;
  /** The owner's username (the creating user's), for the returned row: no join back to app_user. */
  ownerUsername: string;
  ownerAgency: string | null;
  ownerGroups: readonly string[];
  status: string;
  bundleHash: string;
  data: Record<string, unknown>;
}

export interface RecordWrite {
  id: string;
  /** The version the row must still have (it is locked, so this only guards against misuse). */
  expectedVersion: number;
  data: Record<string, unknown>;
  fieldVersions: Record<string, number>;
  bundleHash: string;
  changes: readonly FieldChange[];
  auditDetails: Record<string, unknown>;
}

export interface DisabledWrite {
  id: string;
  expectedVersion: number;
  disabled: boolean;
  changes: readonly FieldChange[];
  auditDetails: Record<string, unknown>;
}

/**
 * What the writes return: every column but the data the caller already holds (parsing a large jsonb back costs
 * more than the rest of the write). `data` and `field_versions` are put back by `withData`.
 */
const RETURNED = RECORD_COLUMNS.replace('r.data,', '').replace('r.field_versions,', '');

function withData(row: Record<string, unknown>, data: Record<string, unknown>, fieldVersions: Record<string, number>): RecordRow {
  return toRecordRow({ ...row, data, field_versions: fieldVersions });
}

const AUDIT_INSERT = `
    INSERT INTO audit_log (actor_id, actor, action, object_type, object_id, client_ip, request_id, details)`;

/**
 * New records, one or several in one statement (group commit, `modules/database/group-commit.ts`): `$1` is a JSON
 * array of the rows (`NewRow`), each written with its create history row and its audit row. Each returns only what
 * the database makes (id, version and timestamps): every other column is what the caller sent or a column default,
 * so nothing is joined or read back. A short id already taken returns no row (the caller tries another).
 */
const INSERT_RECORDS = `
  WITH x AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
      short_id text, display_id text, module text, record_type text, owner_id uuid, owner_agency text,
      owner_groups text[], status text, bundle_hash text, data jsonb, changes jsonb, actor text, client_ip text,
      request_id text, details jsonb)
  ), r AS (
    INSERT INTO record (short_id, display_id, module, record_type, owner_id, owner_agency, owner_groups, status,
                        bundle_hash, data, created_by, updated_by)
    SELECT short_id, display_id, module, record_type, owner_id, owner_agency, owner_groups, status,
           bundle_hash, data, owner_id, owner_id FROM x
    ON CONFLICT (short_id) DO NOTHING
    RETURNING id, short_id, version, created_at, updated_at
  ), h AS (
    INSERT INTO record_history (record_id, version, actor_id, action, changes)
    SELECT r.id, r.version, x.owner_id, 'create', x.changes FROM r JOIN x ON x.short_id = r.short_id
  ), a AS (${AUDIT_INSERT}
    SELECT x.owner_id, x.actor, 'record.create', 'record', r.id::text, x.client_ip, x.request_id, x.details
      FROM r JOIN x ON x.short_id = r.short_id
  )
  SELECT r.short_id, r.id, r.version, r.created_at, r.updated_at FROM r`;

/**
 * Creates outside a caller's transaction run as a named prepared statement on the pool (PostgreSQL parses and
 * plans it once per connection), through the group commit below.
 */
const INSERT_RECORDS_STATEMENT = 'haven_records_insert';

/**
 * Group commit of creates: at most two statements at a time, so creates arriving meanwhile share the next one (one
 * round trip and one commit for many; on two cores the database's processes otherwise wake once per create and
 * take the CPU from the server). Bounded by count and size so one statement stays small.
 */
const CREATE_STATEMENTS_IN_FLIGHT = 2;
const CREATES_PER_STATEMENT = 64;
const CREATE_STATEMENT_BYTES = 4 * 1024 * 1024;
/** A create statement still running after this long (a lock wait, a dead connection) lets the next one start. */
const CREATE_STATEMENT_STALL_MS = 2000;

/** One row of `INSERT_RECORDS`, as JSON text; `shortId` to match the answer. */
interface NewRow {
  readonly shortId: string;
  readonly json: string;
}

interface MadeRow {
  readonly id: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const LOCK_RECORD = `SELECT ${RECORD_COLUMNS} FROM record r JOIN app_user o ON o.id = r.owner_id
  WHERE r.id = $1 AND r.record_type = $2 FOR UPDATE OF r`;

const UPDATE_RECORD = `
  WITH r AS (
    UPDATE record SET data = $3::jsonb, field_versions = $4::jsonb, bundle_hash = $5, version = version + 1,
                      updated_by = $6, updated_at = now()
     WHERE id = $1 AND version = $2
    RETURNING *
  ), h AS (
    INSERT INTO record_history (record_id, version, actor_id, action, changes)
    SELECT r.id, r.version, $6, 'update', $7::jsonb FROM r
  ), a AS (${AUDIT_INSERT}
    SELECT $6, $8, 'record.update', 'record', r.id::text, $9, $10, $11::jsonb FROM r
  )
  SELECT ${RETURNED} FROM r JOIN app_user o ON o.id = r.owner_id`;

const SET_DISABLED = `
  WITH r AS (
    UPDATE record SET disabled = $3, version = version + 1, updated_by = $4, updated_at = now()
     WHERE id = $1 AND version = $2
    RETURNING *
  ), h AS (
    INSERT INTO record_history (record_id, version, actor_id, action, changes)
    SELECT r.id, r.version, $4, $5, $6::jsonb FROM r
  ), a AS (${AUDIT_INSERT}
    SELECT $4, $7, 'record.' || $5, 'record', r.id::text, $8, $9, $10::jsonb FROM r
  )
  SELECT ${RECORD_COLUMNS} FROM r JOIN app_user o ON o.id = r.owner_id`;

@Injectable()
export class RecordsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Runs `work` in one transaction. */
  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  /**
   * Inserts a record with its history and audit rows (atomic together: alone or with other creates through the
   * group commit, or part of `tx`); undefined when the short id is taken (the caller retries; no error, so an
   * enclosing transaction stays usable).
   */
  async insert(
    record: NewRecord,
    changes: readonly FieldChange[],
    audit: AuditContext,
    auditDetails: Record<string, unknown>,
    tx?: EntityManager,
  ): Promise<RecordRow | undefined> {
    const row: NewRow = {
      shortId: record.shortId,
      json: JSON.stringify({
        short_id: record.shortId,
        display_id: record.displayId,
        module: record.module,
        record_type: record.recordType,
        owner_id: record.ownerId,
        owner_agency: record.ownerAgency,
        owner_groups: record.ownerGroups,
        status: record.status,
        bundle_hash: record.bundleHash,
        data: record.data,
        changes,
        actor: audit.actor,
        client_ip: audit.clientIp,
        request_id: audit.requestId,
        details: auditDetails,
      }),
    };
    const made = tx === undefined ? await this.creates.submit(row) : (await this.insertRows([row], (json) => tx.query(INSERT_RECORDS, [json])))[0];
    if (made === undefined) return undefined;
    return {
      id: made.id,
      shortId: record.shortId,
      displayId: record.displayId,
      module: record.module,
      recordType: record.recordType,
      ownerId: record.ownerId,
      ownerUsername: record.ownerUsername,
      ownerAgency: record.ownerAgency,
      ownerGroups: [...record.ownerGroups],
      sharedWith: [],
      status: record.status,
      flags: [],
      disabled: false,
      version: made.version,
      bundleHash: record.bundleHash,
      data: record.data,
      fieldVersions: {},
      createdAt: made.createdAt,
      updatedAt: made.updatedAt,
    };
  }

  private readonly creates = new GroupCommit<NewRow, MadeRow | undefined>({
    run: (rows) => this.insertRows(rows, async (json) => (await this.pool().query({ name: INSERT_RECORDS_STATEMENT, text: INSERT_RECORDS, values: [json] })).rows),
    size: (row) => row.json.length,
    maxInFlight: CREATE_STATEMENTS_IN_FLIGHT,
    maxItems: CREATES_PER_STATEMENT,
    maxBytes: CREATE_STATEMENT_BYTES,
    stallMs: CREATE_STATEMENT_STALL_MS,
  });

  /**
   * Writes `rows` with one `INSERT_RECORDS`; what each made, in their order (undefined: its short id is taken). A
   * short id twice in `rows` is written once: the later row gets undefined and tries another.
   */
  private async insertRows(rows: readonly NewRow[], query: (json: string) => Promise<Record<string, unknown>[]>): Promise<(MadeRow | undefined)[]> {
    const seen = new Set<string>();
    const parts: string[] = [];
    const sent = rows.map((row) => {
      if (seen.has(row.shortId)) return false;
      seen.add(row.shortId);
      parts.push(row.json);
      return true;
    });
    const made = new Map<string, MadeRow>();
    for (const r of await query(`[${parts.join(',')}]`)) {
      made.set(r.short_id as string, {
        id: r.id as string,
        version: r.version as number,
        createdAt: new Date(r.created_at as string),
        updatedAt: new Date(r.updated_at as string),
      });
    }
    return rows.map((row, i) => (sent[i] ? made.get(row.shortId) : undefined));
  }

  /** The pg pool under the DataSource (the same connections TypeORM uses), for named prepared statements. */
  private pool(): pg.Pool {
    return (this.ds.driver as unknown as { master: pg.Pool }).master;
  }

  /** The record, locked until the transaction ends; undefined when there is none of that type with that id. */
  async lock(tx: EntityManager, id: string, recordType: string): Promise<RecordRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const rows: Record<string, unknown>[] = await tx.query(LOCK_RECORD, [id, recordType]);
    return rows[0] === undefined ? undefined : toRecordRow(rows[0]);
  }

  async update(tx: EntityManager, write: RecordWrite, audit: AuditContext): Promise<RecordRow> {
    const rows: Record<string, unknown>[] = await tx.query(UPDATE_RECORD, [
      write.id,
      write.expectedVersion,
      JSON.stringify(write.data),
      JSON.stringify(write.fieldVersions),
      write.bundleHash,
      audit.actorId,
      JSON.stringify(write.changes),
      audit.actor,
      audit.clientIp,
      audit.requestId,
      JSON.stringify(write.auditDetails),
    ]);
    return withData(this.written(rows, write.id), write.data, write.fieldVersions);
  }

  async setDisabled(tx: EntityManager, write: DisabledWrite, audit: AuditContext): Promise<RecordRow> {
    const rows: Record<string, unknown>[] = await tx.query(SET_DISABLED, [
      write.id,
      write.expectedVersion,
      write.disabled,
      audit.actorId,
      write.disabled ? 'disable' : 'enable',
      JSON.stringify(write.changes),
      audit.actor,
      audit.clientIp,
      audit.requestId,
      JSON.stringify(write.auditDetails),
    ]);
    return toRecordRow(this.written(rows, write.id));
  }

  private written(rows: Record<string, unknown>[], id: string): Record<string, unknown> {
    // The row is locked by this transaction: a different version means a caller that did not lock it first.
    if (rows[0] === undefined) throw new Error(`record ${id} changed under its lock`);
    return rows[0];
  }
}
