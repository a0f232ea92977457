import { EnvError } from '../settings/env.js';

/**
 * Operational settings of export jobs, read from the environment once at start (validated like the others in
 * modules/settings/env.ts; documented in docs/exports.md). How long files are kept is a system setting of the
 * bundles instead (`exports.fileTtlHours`), because it is a policy, not an operational knob.
 */
export interface ExportSettings {
  /** Whether this instance runs export jobs (every instance can queue them and serve files). */
  worker: boolean;
  /** Export jobs this instance runs at the same time. */
  concurrency: number;
  /** A run that has not finished after this long is considered dead; pg-boss then retries the job. */
  jobTimeoutSeconds: number;
  /** Retries after a failed or dead run (then the export is `failed`). */
  retryLimit: number;
  /** How often pg-boss looks for dead runs (and other maintenance). */
  maintenanceSeconds: number;
  /**
   * Rows fetched from the database cursor at a time (progress is written once per batch). Two batches are in memory
   * at once (one written while the next is fetched): 250 keeps a 100,000-incident export under 300 MB.
   */
  batchRows: number;
  /** Largest `application/vnd.openxmlformats` upload accepted by the Incident Recorder import, in bytes. */
  importMaxBytes: number;
}

export const EXPORT_ENV_DOC: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'HAVEN_EXPORT_WORKER', default: 'true', meaning: 'Whether this instance runs export jobs (`false`: it only queues them and serves files).' },
  { name: 'HAVEN_EXPORT_CONCURRENCY', default: '1', meaning: 'Export jobs one instance runs at the same time.' },
  { name: 'HAVEN_EXPORT_JOB_TIMEOUT_SECONDS', default: '3600', meaning: 'A run still unfinished after this long counts as dead and the job is retried from scratch.' },
  { name: 'HAVEN_EXPORT_RETRY_LIMIT', default: '2', meaning: 'Retries of a job whose run failed or died.' },
  { name: 'HAVEN_EXPORT_MAINTENANCE_SECONDS', default: '60', meaning: 'How often the queue looks for dead runs.' },
  { name: 'HAVEN_EXPORT_BATCH_ROWS', default: '250', meaning: 'Rows fetched from the database cursor at a time.' },
  { name: 'HAVEN_IMPORT_MAX_BYTES', default: '20971520', meaning: 'Largest Incident Recorder spreadsheet accepted for import.' },
];

type Source = Record<string, string | undefined>;

function integer(src: Source, name: string, fallback: number, min: number, max: number): number {
  const raw = src[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new EnvError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new EnvError(name, `expected a number from ${min} to ${max}, got ${value}`);
  return value;
}

function flag(src: Source, name: string, fallback: boolean): boolean {
  const raw = src[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new EnvError(name, `expected true or false, got "${src[name]}"`);
}

export function loadExportSettings(src: Source = process.env): ExportSettings {
  return {
    worker: flag(src, 'HAVEN_EXPORT_WORKER', true),
    concurrency: integer(src, 'HAVEN_EXPORT_CONCURRENCY', 1, 1, 16),
    jobTimeoutSeconds: integer(src, 'HAVEN_EXPORT_JOB_TIMEOUT_SECONDS', 3600, 2, 24 * 3600),
    retryLimit: integer(src, 'HAVEN_EXPORT_RETRY_LIMIT', 2, 0, 10),
    maintenanceSeconds: integer(src, 'HAVEN_EXPORT_MAINTENANCE_SECONDS', 60, 1, 3600),
    batchRows: integer(src, 'HAVEN_EXPORT_BATCH_ROWS', 250, 1, 50_000),
    importMaxBytes: integer(src, 'HAVEN_IMPORT_MAX_BYTES', 20 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  };
}
