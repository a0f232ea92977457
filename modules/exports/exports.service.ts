import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { HavenError } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { planExport } from './export-request.js';
import { ExportQueue } from './export-queue.js';
import { ExportsRepository, type ExportJobRow } from './exports.repository.js';
import { UUID } from '../common/uuid.js';

export interface ExportJobView {
  id: string;
  status: ExportJobRow['status'];
  format: string;
  module: string;
  recordType: string;
  filter: Record<string, unknown>;
  locale: string;
  labels: boolean;
  template: string | null;
  rowsDone: number;
  rowsTotal: number | null;
  /** Records written to the file (the Incident Recorder leaves out incidents without consent). */
  rowsWritten: number | null;
  percent: number;
  error: { code: string; message: string } | null;
  fileName: string | null;
  fileSize: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  expiresAt: string | null;
}

const noExport = () => HavenError.notFound('No such export.');

export function jobView(job: ExportJobRow): ExportJobView {
  const percent =
    job.status === 'done' || job.status === 'expired' ? 100 : job.rowsTotal ? Math.min(100, Math.floor((job.rowsDone * 100) / job.rowsTotal)) : job.rowsTotal === 0 ? 100 : 0;
  return {
    id: job.id,
    status: job.status,
    format: job.format,
    module: job.module,
    recordType: job.recordType,
    filter: job.filter,
    locale: job.locale,
    labels: job.labels,
    template: job.templateKey,
    rowsDone: job.rowsDone,
    rowsTotal: job.rowsTotal,
    rowsWritten: job.rowsWritten,
    percent,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '' } : null,
    fileName: job.status === 'done' ? job.fileName : null,
    fileSize: job.status === 'done' ? job.fileSize : null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    expiresAt: job.expiresAt?.toISOString() ?? null,
  };
}

/**
 * Export requests, their state and their files. A request is checked completely before anything is stored
 * (format, record type the requester may `export` and `read`, the records list's filter vocabulary against the
 * fields they may read, locale, template), then stored, audited (`export.requested`: who, format, record type,
 * the NAMES of the filtered fields) and queued in one transaction. Only the requester sees an export: anyone else gets the
 * 404 of a missing one.
 */
@Injectable()
export class ExportsService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: ExportsRepository,
    private readonly queue: ExportQueue,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
  ) {}

  async request(actor: Actor, body: unknown): Promise<{ id: string }> {
    const principal = actor.principal;
    const templates = await this.repo.templates(principal.userId);
    const plan = planExport(body, {
      compiled: this.config.current(),
      ability: principal.ability,
      defaultLocale: principal.locale,
      templateExists: (key, type) => templates.some((t) => t.key === key && t.module === type.module && t.recordType === type.key),
    });
    const id = await this.ds.transaction(async (tx) => {
      const jobId = await this.repo.insert(
        {
          requestedBy: principal.userId,
          format: plan.format.format,
          module: plan.type.module,
          recordType: plan.type.key,
          filter: plan.filter,
          locale: plan.locale,
          labels: plan.labels,
          templateKey: plan.template ?? null,
        },
        tx,
      );
      await this.audit.record(
        {
          ...auditActor(actor),
          action: 'export.requested',
          objectType: 'export',
          objectId: jobId,
          details: { format: plan.format.format, module: plan.type.module, recordType: plan.type.key, filter: Object.keys(plan.filter).sort(), template: plan.template ?? null },
        },
        tx,
      );
      await this.queue.enqueue(jobId, tx);
      return jobId;
    });
    this.queue.wake();
    return { id };
  }

  async list(actor: Actor): Promise<{ items: ExportJobView[] }> {
    return { items: (await this.repo.listOwn(actor.principal.userId, 100)).map(jobView) };
  }

  async get(actor: Actor, id: string): Promise<ExportJobView> {
    if (!UUID.test(id)) throw noExport();
    const job = await this.repo.findOwn(id, actor.principal.userId);
    if (!job) throw noExport();
    return jobView(job);
  }

  /** The finished file (chunk by chunk, so a large file never sits in memory); a 404 unless done and not expired. */
  async file(actor: Actor, id: string): Promise<{ job: ExportJobRow; chunks: AsyncGenerator<Buffer> }> {
    if (!UUID.test(id)) throw noExport();
    const job = await this.repo.findOwn(id, actor.principal.userId);
    if (!job) throw noExport();
    // A requester who may no longer export (or read) the record type gets nothing of a file made before.
    const ability = actor.principal.ability;
    if (!ability.canRecord('export', job.module, job.recordType) || !ability.canRecord('read', job.module, job.recordType)) throw noExport();
    if (job.status !== 'done') {
      throw HavenError.notFound(job.status === 'expired' ? 'The export has expired and its file was deleted.' : 'The export has no file (yet).');
    }
    const count = await this.repo.chunkCount(id);
    await this.audit.record({
      ...auditActor(actor),
      action: 'export.download',
      objectType: 'export',
      objectId: id,
      details: { format: job.format, module: job.module, recordType: job.recordType, rows: job.rowsWritten },
    });
    const repo = this.repo;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let seq = 0; seq < count; seq++) {
        const bytes = await repo.chunk(id, seq);
        if (bytes) yield bytes;
      }
    }
    return { job, chunks: chunks() };
  }
}
