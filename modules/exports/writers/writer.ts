import type { Writable } from 'node:stream';
import type { CompiledConfig, CompiledExport, CompiledRecordType, ExportMeta } from '../../../engine/index.js';
import type { RecordView } from '../../records/record.types.js';
import type { ExportForm } from '../columns.js';

/**
 * An export format: how redacted records become a file. Formats register themselves in `index.ts` (one file per
 * format); the job runner knows nothing about any of them.
 *
 * A writer receives records in passes over the same database snapshot (`passes`; most formats need one, the
 * XLSX export one per sheet, because a streaming workbook writes its sheets one after the other) and writes to
 * `out`, a temporary file. Only when `end()` has resolved is the file complete.
 */
export interface ExportWriterContext {
  readonly compiled: CompiledConfig;
  readonly type: CompiledRecordType;
  readonly locale: string;
  readonly labels: boolean;
  /** Readable, selected forms and columns (generic formats). */
  readonly forms: readonly ExportForm[];
  /** The bundle's export mapping (formats that have one). */
  readonly mapping?: CompiledExport;
  readonly out: Writable;
}

export interface ExportWriter {
  /** Passes over the records this writer needs (at least 1). */
  readonly passes: number;
  /** One record (already redacted for the requester); returns whether it went into the file. */
  write(view: RecordView, meta: ExportMeta, pass: number): boolean | Promise<boolean>;
  /** After the last record of a pass. */
  endPass?(pass: number): Promise<void>;
  /** Finishes the file (the runner then waits for `out` to close). */
  end(): Promise<void>;
}

export interface ExportFormatDefinition {
  readonly format: string;
  readonly extension: string;
  readonly contentType: string;
  /** The export mapping format this format writes (`incident-recorder`): the request must match one in the bundles. */
  readonly mappingFormat?: string;
  /** Whether the format takes `labels` and `template` (generic formats do; a mapping defines its own columns). */
  readonly generic: boolean;
  create(ctx: ExportWriterContext): ExportWriter;
}

/**
 * Settles when the file stream has taken everything (`finish`) or failed. Observed at once (the writer's `end()`
 * awaits it and rethrows): a file that fails while records are still written is no unhandled rejection.
 */
export function fileFinished(out: Writable): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.on('finish', resolve);
  });
  done.catch(() => undefined);
  return done;
}

/**
 * Writes to a stream, waiting when it asks for it (memory stays flat whatever the row count). A stream that failed
 * or was closed rejects at once, or as soon as it does: it will never drain.
 */
export function writeChunk(out: Writable, chunk: string | Buffer): Promise<void> | undefined {
  if (out.errored || out.destroyed) return Promise.reject(out.errored ?? new Error('The export file was closed.'));
  if (out.write(chunk)) return undefined;
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onError = (err: Error) => settle(err);
    const onClose = () => settle(out.errored ?? new Error('The export file was closed.'));
    out.once('drain', onDrain);
    out.once('error', onError);
    out.once('close', onClose);
  });
}

/** `YYYY-MM-DD` (or an ISO date-time) as a UTC Date for a date cell; anything else undefined. */
export function dateCell(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
