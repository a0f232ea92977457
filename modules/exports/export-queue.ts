import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { logger } from '../common/logger.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { ExportRunner } from './export-runner.js';
import { ExportsRepository } from './exports.repository.js';

export const EXPORT_QUEUE = 'haven-export';
/** Where pg-boss moves an export whose retries are used up (a run that died every time): it is marked failed. */
export const EXPORT_DEAD_QUEUE = 'haven-export-dead';
export const EXPORT_CLEANUP_QUEUE = 'haven-export-cleanup';

interface ExportJobData {
  exportId: string;
}

/**
 * The PostgreSQL-backed job queue (pg-boss 10, schema `pgboss` in Haven's own database, created by pg-boss at
 * start; docs/decisions/0010-jobs.md). Every instance can queue exports; instances with the worker on run them.
 * A run that dies (process killed) holds its job until the job's expiry (HAVEN_EXPORT_JOB_TIMEOUT_SECONDS); then
 * pg-boss's maintenance, on any instance, puts the job back for a retry from scratch. Stopped before the
 * database pool closes: running exports are aborted at their next batch and go back to the queue.
 */
@Injectable()
export class ExportQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private boss?: PgBoss;
  private readonly workerIds: string[] = [];

  constructor(
    @Inject(HAVEN_RUNTIME) private readonly runtime: HavenRuntime,
    private readonly runner: ExportRunner,
    private readonly repo: ExportsRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.runner.settings;
    const boss = new PgBoss({
      connectionString: this.runtime.databaseUrl,
      application_name: 'haven-jobs',
      max: 2,
      schema: 'pgboss',
      migrate: true,
      supervise: true,
      maintenanceIntervalSeconds: settings.maintenanceSeconds,
      // The cleanup job is a cron schedule: only worker instances keep the schedule's clock.
      schedule: settings.worker,
    });
    boss.on('error', (err) => logger.warn({ err }, 'job queue error'));
    await boss.start();
    this.boss = boss;
    const retries = { retryLimit: settings.retryLimit, retryDelay: 1, expireInSeconds: settings.jobTimeoutSeconds };
    await boss.createQueue(EXPORT_DEAD_QUEUE, { name: EXPORT_DEAD_QUEUE });
    await boss.createQueue(EXPORT_QUEUE, { name: EXPORT_QUEUE, ...retries, deadLetter: EXPORT_DEAD_QUEUE });
    await boss.createQueue(EXPORT_CLEANUP_QUEUE, { name: EXPORT_CLEANUP_QUEUE });
    if (!settings.worker) return;
    for (let i = 0; i < settings.concurrency; i++) {
      this.workerIds.push(
        await boss.work<ExportJobData>(EXPORT_QUEUE, { includeMetadata: true, pollingIntervalSeconds: 1 }, async ([job]) => {
          await this.runner.run(job.data.exportId, job.retryCount >= job.retryLimit);
        }),
      );
    }
    this.workerIds.push(
      await boss.work<ExportJobData>(EXPORT_DEAD_QUEUE, { pollingIntervalSeconds: 5 }, async ([job]) => {
        await this.repo.markFailed(job.data.exportId, 'export_failed', 'The export could not be completed.');
      }),
    );
    await boss.work(EXPORT_CLEANUP_QUEUE, { pollingIntervalSeconds: 5 }, async () => {
      await this.cleanup();
    });
    await boss.schedule(EXPORT_CLEANUP_QUEUE, '*/10 * * * *');
  }

  /**
   * Queues an export inside the caller's transaction (the job row, its audit row and the queue entry commit or roll
   * back together); call `wake()` after the commit.
   */
  async enqueue(exportId: string, tx: EntityManager): Promise<void> {
    if (!this.boss) throw new Error('The job queue is not running.');
    const s = this.runner.settings;
    // pg-boss's insert is a plain INSERT … RETURNING: TypeORM hands back its rows as they are.
    const db = { executeSql: async (text: string, values: unknown[]) => ({ rows: (await tx.query(text, values)) as unknown[] }) };
    await this.boss.send(EXPORT_QUEUE, { exportId } satisfies ExportJobData, { retryLimit: s.retryLimit, retryDelay: 1, expireInSeconds: s.jobTimeoutSeconds, db });
  }

  /** Wakes this instance's workers (a job was just queued). */
  wake(): void {
    for (const id of this.workerIds) this.boss?.notifyWorker(id);
  }

  /** Expires finished exports past their lifetime and deletes their files (the periodic cleanup job). */
  async cleanup(): Promise<string[]> {
    const ids = await this.repo.expireDue();
    if (ids.length) logger.info({ count: ids.length }, 'expired export files deleted');
    return ids;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.runner.abortAll();
    const boss = this.boss;
    this.boss = undefined;
    await boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
