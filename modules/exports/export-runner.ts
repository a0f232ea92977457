import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { compileExportMapping, referralSettings, usesUnsharedFields, withoutShares, type ExportMeta, type HavenAbility, type RecordCondition } from '../../engine/index.js';
import { AuditService } from '../audit/audit.service.js';
import { PrincipalLoader } from '../auth/principal.loader.js';
import { HavenError } from '../common/errors.js';
import { logger } from '../common/logger.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { systemSettings } from '../config/system-settings.js';
import { dataPaths } from '../records/query/list-query.js';
import { listWhere } from '../records/query/list-sql.js';
import { recordView } from '../records/record-view.js';
import { RECORD_COLUMNS, toRecordRow } from '../records/record.types.js';
import { scopeSql } from '../records/scope-sql.js';
import { exportForms } from './columns.js';
import { DatabaseFileSink } from './file-sink.js';
import { ProgressWriter } from './progress-writer.js';
import { planExport } from './export-request.js';
import { loadExportSettings, type ExportSettings } from './exports-settings.js';
import { ExportsRepository, FILE_CHUNK_BYTES, type ExportJobRow } from './exports.repository.js';

/** The job was taken over by another run (this one was declared dead): stop without touching it. */
class Superseded extends Error {}
/** The instance is shutting down: the job goes back to the queue. */
class Aborted extends Error {}

/** Why a job fails for good (no retry): stable codes shown by `GET /exports/:id`. */
export class ExportRefused extends Error {
  constructor(
    readonly code: 'access_revoked' | 'filter_not_allowed' | 'template_missing' | 'export_unavailable',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The record columns of a view (RECORD_COLUMNS without `field_versions`, which no export shows: less to parse), with
 * `data` as its JSON text: parsed one record at a time, just before the record is written, rather than a whole
 * batch of object trees at once by the driver. A batch then stays in memory as compact strings while the next
 * one is fetched, and each record's objects die young (less for the collector to copy and promote: lower peak
 * RSS and less time collecting; docs/benchmarks.md, "Exports").
 */
const RECORD_COLUMNS_FOR_EXPORT = RECORD_COLUMNS.replace(/\s*r\.field_versions,/, '').replace(/\br\.data,/, 'r.data::text AS data,');
if (!RECORD_COLUMNS_FOR_EXPORT.includes('r.data::text AS data,')) throw new Error('RECORD_COLUMNS changed: the export cursor reads data as text.');
const CURSOR_SQL_COLUMNS = `${RECORD_COLUMNS_FOR_EXPORT}, o.code AS owner_code, coalesce(ca.code, r.owner_agency) AS creator_agency_code`;

/**
 * Runs one export job (any instance may): the requester's ability rebuilt from the user as they are NOW (a user
 * disabled or stripped of `export`/`read` since the request fails the job closed), the request re-checked with
 * it, the records read through a server-side cursor (`DECLARE … CURSOR` + `FETCH n` in one REPEATABLE READ
 * transaction: one snapshot, flat memory) in creation order (served by the record type's created_at index, so
 * the cursor streams instead of sorting the whole result first), each redacted with `recordView` and handed to the
 * format's writer, which streams the file into `export_file` inside a transaction of its own (DatabaseFileSink).
 * Only a complete file is stored: its chunks and the job's `done` state are committed in that ONE transaction, and
 * only while this run still holds the job's attempt; any failure rolls it back.
 */
@Injectable()
export class ExportRunner {
  readonly settings: ExportSettings = loadExportSettings();
  private aborting = false;

  constructor(
    private readonly ds: DataSource,
    private readonly repo: ExportsRepository,
    private readonly config: ActiveConfigService,
    private readonly principals: PrincipalLoader,
    private readonly audit: AuditService,
  ) {}

  /** Shutdown: running jobs stop at their next batch and go back to the queue. */
  abortAll(): void {
    this.aborting = true;
  }

  /**
   * Runs the job. Resolves when the job is done or failed for good; throws for a failure worth a retry (the
   * queue retries the job from scratch).
   */
  async run(exportId: string, lastAttempt: boolean): Promise<void> {
    const job = await this.repo.claim(exportId);
    if (!job) return;
    try {
      await this.execute(job);
    } catch (err) {
      if (err instanceof Superseded) return;
      if (err instanceof ExportRefused) {
        if (await this.repo.markFailed(job.id, err.code, err.message, job.attempt)) await this.auditEnd(job, 'failed', { code: err.code });
        return;
      }
      if (lastAttempt && !(err instanceof Aborted)) {
        logger.error({ err, exportId }, 'export failed');
        if (await this.repo.markFailed(job.id, 'export_failed', 'The export could not be completed.', job.attempt)) await this.auditEnd(job, 'failed', { code: 'export_failed' });
        return;
      }
      throw err;
    }
  }

  private ability(job: ExportJobRow, user: Awaited<ReturnType<PrincipalLoader['user']>>): HavenAbility {
    if (!user || user.disabled) throw new ExportRefused('access_revoked', 'The requester can no longer export these records.');
    const ability = this.principals.principal(user, `export:${job.id}`).ability;
    if (!ability.canRecord('export', job.module, job.recordType) || !ability.canRecord('read', job.module, job.recordType)) {
      throw new ExportRefused('access_revoked', 'The requester can no longer export these records.');
    }
    return ability;
  }

  private async execute(job: ExportJobRow): Promise<void> {
    const compiled = this.config.current();
    const user = await this.principals.user(job.requestedBy);
    const ability = this.ability(job, user);
    const template = job.templateKey ? await this.repo.template(job.requestedBy, job.templateKey) : undefined;
    if (job.templateKey && !template) throw new ExportRefused('template_missing', 'The export template no longer exists.');
    let plan;
    try {
      plan = planExport(
        { format: job.format, recordType: job.recordType, module: job.module, filter: job.filter, locale: job.locale, ...(job.format === 'incident-recorder' ? {} : { labels: job.labels }), ...(template ? { template: template.key } : {}) },
        { compiled, ability, defaultLocale: job.locale, templateExists: () => true },
      );
    } catch (err) {
      if (err instanceof HavenError) throw new ExportRefused('filter_not_allowed', 'The export request is no longer allowed for the requester: ' + err.issues.map((i) => `${i.path} ${i.message}`).join('; '));
      throw err;
    }
    const { type } = plan;
    const readable = ability.readableFields(type.module, type.key);
    const forms = exportForms(compiled, type, readable, {
      locale: plan.locale,
      labels: plan.labels,
      ...(template ? { selection: { forms: template.forms, fields: template.fields } } : {}),
    });
    const mapping = plan.mappingKey ? compileExportMapping(compiled, plan.mappingKey) : undefined;

    // As lists do (records-read.service.ts): a filter on fields outside the forms referrals share leaves out the
    // records the requester reaches only through a share, whose presence in the file would tell the filtered value.
    const guarded = usesUnsharedFields(referralSettings(compiled).referral(type.module, type.key), dataPaths(plan.query))
      ? withoutShares
      : (conditions: readonly RecordCondition[]) => conditions;
    const { where, params } = listWhere(plan.query, {
      module: type.module,
      recordType: type.key,
      read: guarded(ability.recordConditions('export', type.module, type.key)),
      disable: ability.recordConditions('disable', type.module, type.key),
    });
    const scopedWhere = `${where}\n  AND ${scopeSql(guarded(ability.recordConditions('read', type.module, type.key)), params)}`;
    const from = `record r JOIN app_user o ON o.id = r.owner_id LEFT JOIN app_user cu ON cu.id = r.created_by LEFT JOIN agency ca ON ca.id = cu.agency_id`;

    // Two connections: the cursor's snapshot (REPEATABLE READ, read only) and the file's transaction, which takes
    // the file's chunks as they are written and commits them with the `done` state (or not at all).
    const qr = this.ds.createQueryRunner();
    const fileQr = this.ds.createQueryRunner();
    let rowsWritten = 0;
    let out: DatabaseFileSink | undefined;
    const progress = new ProgressWriter((rowsDone) => this.repo.progress(job.id, job.attempt, rowsDone), () => new Superseded());
    try {
      // The cursor's own connection, for FETCH (below); TypeORM's query() awaits before it sends anything.
      const cursor = (await qr.connect()) as pg.PoolClient;
      const fileConnection = (await fileQr.connect()) as pg.PoolClient;
      await qr.startTransaction('REPEATABLE READ');
      // No JIT compilation for the cursor: its plan costs millions (every row of the type), so PostgreSQL would
      // compile it with inlining and optimisation, about 0.3 s before the first row, and gain nothing on a plan
      // that reads rows and joins a few small tables.
      await qr.query('SET LOCAL jit = off');
      await fileQr.startTransaction();
      const [{ n: total }] = await qr.query(`SELECT count(*)::int AS n FROM record r WHERE ${scopedWhere}`, params.values);
      if (!(await this.repo.progress(job.id, job.attempt, 0, total))) throw new Superseded();

      out = new DatabaseFileSink(fileConnection, job.id, FILE_CHUNK_BYTES);
      const writer = plan.format.create({ compiled, type, locale: plan.locale, labels: plan.labels, forms, ...(mapping ? { mapping } : {}), out });
      const batch = this.settings.batchRows;
      for (let pass = 0; pass < writer.passes; pass++) {
        await qr.query(`DECLARE export_rows NO SCROLL CURSOR FOR SELECT ${CURSOR_SQL_COLUMNS} FROM ${from} WHERE ${scopedWhere} ORDER BY r.created_at`, params.values);
        let done = 0;
        // The next batch is fetched while this one is written (the database and this process work side by side),
        // and the progress is written meanwhile too, never waited for (ProgressWriter). The fetch is observed at once,
        // so that a failure while this run is already failing is no unhandled rejection.
        // Sent on the connection itself: through TypeORM's query(), which awaits before sending, the FETCH would leave
        // only once this batch was written (the loop below does not yield), and the database would idle meanwhile.
        const fetch = (): Promise<Record<string, unknown>[]> => {
          const rows = cursor.query<Record<string, unknown>>(`FETCH ${batch} FROM export_rows`).then((r) => r.rows);
          rows.catch(() => undefined);
          return rows;
        };
        let next: Promise<Record<string, unknown>[]> | undefined = fetch();
        while (next) {
          if (this.aborting) throw new Aborted('shutting down');
          const rows: Record<string, unknown>[] = await next;
          next = rows.length < batch ? undefined : fetch();
          for (let i = 0; i < rows.length; i++) {
            const r = rows[i];
            rows[i] = undefined as never; // the batch keeps no record already written
            r.data = typeof r.data === 'string' ? JSON.parse(r.data) : null;
            const view = recordView(toRecordRow(r), ability, { owned: true });
            const meta: ExportMeta = {
              owner: { username: view.owner, code: (r.owner_code as string | null) ?? null },
              agency: { code: (r.creator_agency_code as string | null) ?? null },
              createdAt: view.createdAt,
              shortId: view.shortId,
              displayId: view.displayId,
            };
            const written = writer.write(view, meta, pass);
            if ((typeof written === 'boolean' ? written : await written) && pass === 0) rowsWritten += 1;
          }
          done += rows.length;
          // A file whose storing failed fails the export now, whatever the writer is waiting for.
          if (out.errored) throw out.errored;
          progress.report(Math.min(Math.floor((pass * total + done) / writer.passes), total));
        }
        await progress.settle();
        await qr.query(`CLOSE export_rows`);
        await writer.endPass?.(pass);
      }
      await writer.end();
      await qr.commitTransaction();
      await this.store(job, fileQr, out.size, rowsWritten, plan.format.extension, plan.format.contentType, systemSettings(compiled).exports.fileTtlHours);
    } catch (err) {
      progress.stop();
      out?.destroy();
      for (const runner of [qr, fileQr]) if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await qr.release();
      await fileQr.release();
    }
  }

  /** The `done` state and the audit row in the file's transaction, committed with its chunks (only while this run holds the job). */
  private async store(job: ExportJobRow, fileQr: QueryRunner, size: number, rowsWritten: number, extension: string, contentType: string, ttlHours: number): Promise<void> {
    const name = `${job.module}-${job.recordType}-${job.createdAt.toISOString().slice(0, 10)}-${job.id.slice(0, 8)}.${extension}`;
    if (!(await this.repo.markDone(fileQr.manager, job.id, job.attempt, { name, contentType, size, rowsWritten, ttlHours }))) throw new Superseded();
    await this.auditEnd(job, 'completed', { rows: rowsWritten, size }, fileQr.manager);
    await fileQr.commitTransaction();
  }

  private async auditEnd(job: ExportJobRow, outcome: 'completed' | 'failed', details: Record<string, unknown>, tx: EntityManager = this.ds.manager): Promise<void> {
    await this.audit.record(
      {
        actorId: job.requestedBy,
        action: `export.${outcome}`,
        objectType: 'export',
        objectId: job.id,
        outcome: outcome === 'completed' ? 'allowed' : 'failed',
        details: { format: job.format, module: job.module, recordType: job.recordType, filter: Object.keys(job.filter).sort(), ...details },
      },
      tx,
    );
  }
}
