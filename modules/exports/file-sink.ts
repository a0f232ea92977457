import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type pg from 'pg';

/**
 * PostgreSQL's binary COPY format: the header that starts it (signature, no flags, no header extension), and the
 * field count -1 that ends it.
 */
const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const COPY_TRAILER = Buffer.from([0xff, 0xff]);
/** A row's field count, job id, sequence number and length. */
const ROW_HEAD_BYTES = 2 + (4 + 16) + (4 + 4) + 4;

interface OpenRow {
  readonly copy: ReturnType<typeof copyFrom>;
  /** Settles once the server has taken the row (or refused it). */
  readonly stored: Promise<void>;
}

/**
 * Where an export's writer streams its file: straight into `export_file`, in rows of `chunkBytes` or a little more,
 * inside a transaction of the job's own that stays open until the file is complete. The runner commits it together with
 * the job's `done` state (`ExportRunner.store`) or rolls it back: a file is complete or absent, as before, but it is
 * stored while it is written — the database takes each chunk while the writer prepares the next — instead of being
 * written to a temporary file and copied into the database afterwards (for a 250 MB CSV that copy was about a
 * fifth of the export's time; docs/benchmarks.md, "Exports").
 *
 * Back-pressure: a row is handed to the database only once the previous one was stored; the writer may go on
 * meanwhile, and waits (`write()` returns false) once three rows' worth is held, so memory stays at a few rows
 * (about six MiB for a CSV, with its buffers) whatever the file's size.
 *
 * The COPY of the next row is sent ahead and stays open while that row fills: a `statement_timeout` on the
 * database role would cancel it when a slow writer takes longer than the timeout to fill a row (none is set by
 * Haven).
 */
export class DatabaseFileSink extends Writable {
  private readonly jobIdBytes: Buffer;
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  /** Set once the sink is destroyed (the export failed): nothing more may reach the transaction being rolled back. */
  private stopped = false;
  /** The COPY of the next row, sent ahead (`store`). */
  private opened: OpenRow | undefined;
  /** Bytes received so far (the file's size once finished). */
  size = 0;

  /**
   * `connection`: the pg client of the transaction (a TypeORM query runner's `connect()`), used directly so that a
   * chunk is sent the moment it is full: TypeORM's `query()` awaits before it sends, which held each chunk back
   * until the writer next yielded.
   */
  constructor(
    private readonly connection: pg.PoolClient,
    jobId: string,
    private readonly chunkBytes: number,
  ) {
    super({ highWaterMark: 3 * chunkBytes });
    this.jobIdBytes = Buffer.from(jobId.replaceAll('-', ''), 'hex');
    if (this.jobIdBytes.length !== 16) throw new Error(`Not a uuid: ${jobId}`);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.size += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.chunkBytes) {
      // The first write opens the first row's COPY, so that it is ready once the row is full.
      this.opened ??= this.open();
      return callback();
    }
    this.store(false).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const last = this.pendingBytes > 0 ? this.store(true) : this.opened ? this.close(this.opened) : Promise.resolve();
    last.then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopped = true;
    // A COPY opened for the next row is abandoned (the server rolls it back; the caller rolls back the transaction).
    if (this.opened) this.opened.copy.destroy(error ?? new Error('The export file was abandoned.'));
    this.opened = undefined;
    callback(error);
  }

  /**
   * Stores everything held as one row: a row of `export_file` holds at least `chunkBytes` (all but the last) and at
   * most that plus one write. The row goes in by a binary `COPY … FROM STDIN`, whose data the driver writes to the
   * socket as it is: the chunks are never joined nor copied (an INSERT's parameter is copied into the driver's
   * message, into memory written for the first time per row; for a 250 MB CSV that was the largest cost after the
   * records themselves; docs/benchmarks.md, "Exports"). Once the server has taken the row, each chunk is announced
   * with a `released` event: the sink holds it no more, and its writer may fill its memory again
   * (`CsvBuffer.recycle`).
   *
   * The next row's COPY is opened as soon as this one is stored: the server's answer to it arrives only when the
   * writer next yields, and a row whose COPY was opened only once it was full waited for that answer.
   */
  private async store(last: boolean): Promise<void> {
    if (this.stopped) throw new Error('The export file was abandoned.');
    const chunks = this.pending.splice(0);
    const length = this.pendingBytes;
    this.pendingBytes = 0;
    const row = this.opened ?? this.open();
    this.opened = undefined;
    const head = Buffer.allocUnsafe(ROW_HEAD_BYTES);
    let at = head.writeInt16BE(3, 0); // fields of the row
    at = head.writeInt32BE(16, at);
    at += this.jobIdBytes.copy(head, at);
    at = head.writeInt32BE(4, at);
    at = head.writeInt32BE(this.seq++, at);
    head.writeInt32BE(length, at);
    row.copy.write(COPY_HEADER);
    row.copy.write(head);
    for (const chunk of chunks) row.copy.write(chunk);
    row.copy.end(COPY_TRAILER);
    await row.stored;
    if (!last && !this.stopped) this.opened = this.open();
    for (const chunk of chunks) this.emit('released', chunk);
  }

  /** A COPY of the next row, sent now; its data follows once the row is full. */
  private open(): OpenRow {
    const copy = this.connection.query(copyFrom(`COPY export_file (job_id, seq, bytes) FROM STDIN (FORMAT binary)`));
    const stored = finished(copy);
    // Observed at once: a COPY abandoned with the sink fails, and nobody awaits it.
    stored.catch(() => undefined);
    return { copy, stored };
  }

  /** Ends an opened COPY without a row (the file ended exactly at a row's end, or was empty). */
  private async close(row: OpenRow): Promise<void> {
    this.opened = undefined;
    row.copy.write(COPY_HEADER);
    row.copy.end(COPY_TRAILER);
    await row.stored;
  }
}
