import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { FieldChange } from '../merge.js';
import { RECORD_COLUMNS, type RecordRow, toRecordRow } from '../record.types.js';
import type { AuditContext } from '../records.repository.js';

/**
 * SQL of attachments. Adding and removing a file are each one statement inside the caller's transaction (the
 * record row is locked first): the `record_attachment` row, the record's new data and version, its
 * `record_history` row and its `audit_log` row commit together or not at all.
 */

export interface AttachmentWrite {
  recordId: string;
  /** The locked row's version; the statement writes nothing when it differs. */
  expectedVersion: number;
  data: Record<string, unknown>;
  fieldVersions: Record<string, number>;
  changes: readonly FieldChange[];
  auditDetails: Record<string, unknown>;
}

export interface NewAttachment {
  id: string;
  field: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  bytes: Buffer;
  description: string | null;
}

export interface StoredAttachment {
  id: string;
  recordId: string;
  field: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  bytes: Buffer;
}

const AUDIT_INSERT = `INSERT INTO audit_log (actor_id, actor, action, object_type, object_id, client_ip, request_id, details)`;

/** $1 record, $2 expected version, $3 data, $4 field versions, $5 actor id, $6 history action, $7 changes, $8 actor, $9 ip, $10 request, $11 details. */
const RECORD_WRITE = `
  r AS (
    UPDATE record SET data = $3::jsonb, field_versions = $4::jsonb, version = version + 1, updated_by = $5, updated_at = now()
     WHERE id = $1 AND version = $2
    RETURNING id, version, updated_at
  ), h AS (
    INSERT INTO record_history (record_id, version, actor_id, action, changes)
    SELECT r.id, r.version, $5, $6, $7::jsonb FROM r
  ), au AS (
    ${AUDIT_INSERT}
    SELECT $5, $8, 'record.' || $6, 'record', r.id::text, $9, $10, $11::jsonb FROM r
  )`;

const ADD = `
  WITH ${RECORD_WRITE.trim()}, f AS (
    INSERT INTO record_attachment (id, record_id, field, file_name, content_type, size, sha256, bytes, description, created_by)
    SELECT $12, r.id, $13, $14, $15, $16, $17, $18, $19, $5 FROM r
  )
  SELECT r.version FROM r`;

const REMOVE = `
  WITH ${RECORD_WRITE.trim()}, f AS (
    UPDATE record_attachment SET removed_at = now(), removed_by = $5
     WHERE id = $12 AND record_id = $1 AND removed_at IS NULL AND EXISTS (SELECT 1 FROM r)
  )
  SELECT r.version FROM r`;

@Injectable()
export class AttachmentsRepository {
  constructor(private readonly ds: DataSource) {}

  private recordParams(write: AttachmentWrite, action: string, audit: AuditContext): unknown[] {
    return [
      write.recordId,
      write.expectedVersion,
      JSON.stringify(write.data),
      JSON.stringify(write.fieldVersions),
      audit.actorId,
      action,
      JSON.stringify(write.changes),
      audit.actor,
      audit.clientIp,
      audit.requestId,
      JSON.stringify(write.auditDetails),
    ];
  }

  /** Stores the file and the record's new data; returns the record's new version. */
  async add(tx: EntityManager, write: AttachmentWrite, file: NewAttachment, audit: AuditContext): Promise<number> {
    const rows: { version: number }[] = await tx.query(ADD, [
      ...this.recordParams(write, 'attachment_add', audit),
      file.id,
      file.field,
      file.fileName,
      file.contentType,
      file.size,
      file.sha256,
      file.bytes,
      file.description,
    ]);
    return this.written(rows, write.recordId);
  }

  /** Marks the file removed (its bytes are kept, never served again) with the record's new data; the new version. */
  async remove(tx: EntityManager, write: AttachmentWrite, attachmentId: string, audit: AuditContext): Promise<number> {
    const rows: { version: number }[] = await tx.query(REMOVE, [...this.recordParams(write, 'attachment_remove', audit), attachmentId]);
    return this.written(rows, write.recordId);
  }

  /** The record (not locked), whatever the caller may see of it: the service decides. */
  async record(id: string, recordType: string): Promise<RecordRow | undefined> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT ${RECORD_COLUMNS} FROM record r JOIN app_user o ON o.id = r.owner_id WHERE r.id = $1::uuid AND r.record_type = $2`,
      [id, recordType],
    );
    return rows[0] === undefined ? undefined : toRecordRow(rows[0]);
  }

  /** A file of the record that is not removed, with its bytes; undefined otherwise. */
  async find(recordId: string, field: string, attachmentId: string): Promise<StoredAttachment | undefined> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT id, record_id, field, file_name, content_type, size, sha256, bytes
         FROM record_attachment
        WHERE id = $1::uuid AND record_id = $2 AND field = $3 AND removed_at IS NULL`,
      [attachmentId, recordId, field],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      id: row.id as string,
      recordId: row.record_id as string,
      field: row.field as string,
      fileName: row.file_name as string,
      contentType: row.content_type as string,
      size: row.size as number,
      sha256: (row.sha256 as string).trim(),
      bytes: row.bytes as Buffer,
    };
  }

  private written(rows: { version: number }[], id: string): number {
    // The record is locked by this transaction: no row means a caller that did not lock it first.
    if (rows[0] === undefined) throw new Error(`record ${id} changed under its lock`);
    return rows[0].version;
  }
}
