import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** The state of one export as the API reports it. */
export type ExportStatus = 'queued' | 'running' | 'done' | 'failed' | 'expired';

export interface ExportJobRow {
  id: string;
  requestedBy: string;
  format: string;
  module: string;
  recordType: string;
  filter: Record<string, unknown>;
  locale: string;
  labels: boolean;
  templateKey: string | null;
  status: ExportStatus;
  attempt: number;
  rowsDone: number;
  rowsTotal: number | null;
  rowsWritten: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  fileName: string | null;
  contentType: string | null;
  fileSize: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  expiresAt: Date | null;
}

/** Bytes per `export_file` row. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

const COLUMNS = `id, requested_by, format, module, record_type, filter, locale, labels, template_key,
  -- a finished file past its lifetime is expired even before the cleanup job has deleted its bytes
  CASE WHEN status = 'done' AND expires_at <= now() THEN 'expired' ELSE status END AS status,
  attempt, rows_done, rows_total, rows_written, error_code, error_message, file_name, content_type, file_size,
  created_at, started_at, finished_at, expires_at`;

function toJob(r: Record<string, unknown>): ExportJobRow {
  const date = (v: unknown) => (v ? new Date(v as string) : null);
  return {
    id: r.id as string,
    requestedBy: r.requested_by as string,
    format: r.format as string,
    module: r.module as string,
    recordType: r.record_type as string,
    filter: (r.filter as Record<string, unknown>) ?? {},
    locale: r.locale as string,
    labels: r.labels as boolean,
    templateKey: (r.template_key as string | null) ?? null,
    status: r.status as ExportStatus,
    attempt: r.attempt as number,
    rowsDone: r.rows_done as number,
    rowsTotal: (r.rows_total as number | null) ?? null,
    rowsWritten: (r.rows_written as number | null) ?? null,
    errorCode: (r.error_code as string | null) ?? null,
    errorMessage: (r.error_message as string | null) ?? null,
    fileName: (r.file_name as string | null) ?? null,
    contentType: (r.content_type as string | null) ?? null,
    fileSize: r.file_size === null || r.file_size === undefined ? null : Number(r.file_size),
    createdAt: new Date(r.created_at as string),
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
    expiresAt: date(r.expires_at),
  };
}

export interface NewExportJob {
  requestedBy: string;
  format: string;
  module: string;
  recordType: string;
  filter: Record<string, unknown>;
  locale: string;
  labels: boolean;
  templateKey: string | null;
}

export interface ExportTemplateRow {
  id: string;
  key: string;
  name: string;
  module: string;
  recordType: string;
  forms: string[];
  fields: string[];
  createdAt: Date;
}

/** SQL of export jobs, their files and templates. Writes that belong to a run check the run's `attempt`. */
@Injectable()
export class ExportsRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(job: NewExportJob, tx: EntityManager): Promise<string> {
    const [row] = await tx.query(
      `INSERT INTO export_job (requested_by, format, module, record_type, filter, locale, labels, template_key, status)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, 'queued') RETURNING id`,
      [job.requestedBy, job.format, job.module, job.recordType, JSON.stringify(job.filter), job.locale, job.labels, job.templateKey],
    );
    return row.id as string;
  }

  /** A job of this requester (others' jobs are not found, like missing ones). */
  async findOwn(id: string, requestedBy: string): Promise<ExportJobRow | undefined> {
    const rows = await this.ds.query(`SELECT ${COLUMNS} FROM export_job WHERE id = $1 AND requested_by = $2`, [id, requestedBy]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  async find(id: string): Promise<ExportJobRow | undefined> {
    const rows = await this.ds.query(`SELECT ${COLUMNS} FROM export_job WHERE id = $1`, [id]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  async listOwn(requestedBy: string, limit: number): Promise<ExportJobRow[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM export_job WHERE requested_by = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [requestedBy, limit],
    );
    return rows.map(toJob);
  }

  /** Starts a run: a new attempt (progress reset). Undefined when the job is finished, failed or gone. */
  async claim(id: string): Promise<ExportJobRow | undefined> {
    const rows = await this.ds.query(
      `WITH j AS (
         UPDATE export_job SET status = 'running', attempt = attempt + 1, rows_done = 0, rows_total = NULL,
                               started_at = now(), error_code = NULL, error_message = NULL
          WHERE id = $1 AND status IN ('queued', 'running')
         RETURNING *
       ) SELECT ${COLUMNS} FROM j`,
      [id],
    );
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  /** Progress of the run holding `attempt`; false when another run has taken the job over. */
  async progress(id: string, attempt: number, rowsDone: number, rowsTotal?: number): Promise<boolean> {
    const rows = await this.ds.query(
      `WITH j AS (
         UPDATE export_job SET rows_done = $3, rows_total = coalesce($4, rows_total)
          WHERE id = $1 AND attempt = $2 AND status = 'running' RETURNING 1
       ) SELECT count(*)::int AS n FROM j`,
      [id, attempt, rowsDone, rowsTotal ?? null],
    );
    return rows[0].n === 1;
  }

  /**
   * Marks the run's job done with its file metadata (same transaction as the file chunks); false when another
   * run has taken the job over (the caller then rolls back).
   */
  async markDone(
    tx: EntityManager,
    id: string,
    attempt: number,
    file: { name: string; contentType: string; size: number; rowsWritten: number; ttlHours: number },
  ): Promise<boolean> {
    const rows = await tx.query(
      `WITH j AS (
         UPDATE export_job SET status = 'done', rows_done = coalesce(rows_total, rows_done), rows_written = $3, file_name = $4,
                               content_type = $5, file_size = $6, finished_at = now(), expires_at = now() + make_interval(hours => $7)
          WHERE id = $1 AND attempt = $2 AND status = 'running' RETURNING 1
       ) SELECT count(*)::int AS n FROM j`,
      [id, attempt, file.rowsWritten, file.name, file.contentType, file.size, file.ttlHours],
    );
    return rows[0].n === 1;
  }

  /** Fails a job (attempt given: only while that run holds it). */
  async markFailed(id: string, code: string, message: string, attempt?: number): Promise<boolean> {
    const rows = await this.ds.query(
      `WITH j AS (
         UPDATE export_job SET status = 'failed', error_code = $2, error_message = $3, finished_at = now()
          WHERE id = $1 AND status IN ('queued', 'running') AND ($4::int IS NULL OR attempt = $4) RETURNING 1
       ) SELECT count(*)::int AS n FROM j`,
      [id, code, message, attempt ?? null],
    );
    return rows[0].n === 1;
  }

  async chunkCount(id: string): Promise<number> {
    const [row] = await this.ds.query(`SELECT count(*)::int AS n FROM export_file WHERE job_id = $1`, [id]);
    return row.n as number;
  }

  async chunk(id: string, seq: number): Promise<Buffer | undefined> {
    const rows = await this.ds.query(`SELECT bytes FROM export_file WHERE job_id = $1 AND seq = $2`, [id, seq]);
    return rows[0]?.bytes as Buffer | undefined;
  }

  /** Expires finished jobs past their lifetime and deletes their bytes; returns the expired ids. */
  async expireDue(): Promise<string[]> {
    return this.ds.transaction(async (tx) => {
      const rows: Array<{ id: string }> = await tx.query(
        `WITH j AS (UPDATE export_job SET status = 'expired' WHERE status = 'done' AND expires_at <= now() RETURNING id) SELECT id FROM j`,
      );
      const ids = rows.map((r) => r.id);
      if (ids.length) await tx.query(`DELETE FROM export_file WHERE job_id = ANY($1::uuid[])`, [ids]);
      return ids;
    });
  }

  // ---- templates ------------------------------------------------------------------------------

  async insertTemplate(t: { ownerId: string; key: string; name: string; module: string; recordType: string; forms: string[]; fields: string[] }): Promise<ExportTemplateRow | undefined> {
    const rows = await this.ds.query(
      `INSERT INTO export_template (owner_id, key, name, module, record_type, forms, fields)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[]) ON CONFLICT (owner_id, key) DO NOTHING
       RETURNING id, key, name, module, record_type, forms, fields, created_at`,
      [t.ownerId, t.key, t.name, t.module, t.recordType, t.forms, t.fields],
    );
    return rows[0] ? toTemplate(rows[0]) : undefined;
  }

  async templates(ownerId: string): Promise<ExportTemplateRow[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT id, key, name, module, record_type, forms, fields, created_at FROM export_template WHERE owner_id = $1 ORDER BY key`,
      [ownerId],
    );
    return rows.map(toTemplate);
  }

  /** Deletes an owner's template; its id, or undefined when they have none with that key. */
  async deleteTemplate(ownerId: string, key: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.ds.query(
      `WITH d AS (DELETE FROM export_template WHERE owner_id = $1 AND key = $2 RETURNING id) SELECT id FROM d`,
      [ownerId, key],
    );
    return rows[0]?.id;
  }

  async template(ownerId: string, key: string): Promise<ExportTemplateRow | undefined> {
    const rows = await this.ds.query(
      `SELECT id, key, name, module, record_type, forms, fields, created_at FROM export_template WHERE owner_id = $1 AND key = $2`,
      [ownerId, key],
    );
    return rows[0] ? toTemplate(rows[0]) : undefined;
  }
}

function toTemplate(r: Record<string, unknown>): ExportTemplateRow {
  return {
    id: r.id as string,
    key: r.key as string,
    name: r.name as string,
    module: r.module as string,
    recordType: r.record_type as string,
    forms: (r.forms as string[]) ?? [],
    fields: (r.fields as string[]) ?? [],
    createdAt: new Date(r.created_at as string),
  };
}
