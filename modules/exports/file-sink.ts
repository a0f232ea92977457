import { Writable } from 'node:stream';
import type pg from 'pg';

/**
 * Where an export's writer streams its file: straight into `export_file`, in chunks of `chunkBytes`, inside a
 * transaction of the job's own that stays open until the file is complete. The runner commits it together with
 * the job's `done` state (`ExportRunner.store`) or rolls it back: a file is complete or absent, as before, but it is
 * stored while it is written — the database takes each chunk while the writer prepares the next — instead of being
 * written to a temporary file and copied into the database afterwards (for a 250 MB CSV that copy was about a
 * fifth of the export's time; docs/benchmarks.md, "Exports").
 *
 * Back-pressure: a chunk is handed to the database only once the previous one was stored, and the writer waits
 * (`write()` returns false) while a chunk is on its way, so memory stays at about two chunks whatever the file's size.
 */
export class DatabaseFileSink extends Writable {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  /** Set once the sink is destroyed (the export failed): nothing more may reach the transaction being rolled back. */
  private stopped = false;
  /** Bytes received so far (the file's size once finished). */
  size = 0;

  /**
   * `connection`: the pg client of the transaction (a TypeORM query runner's `connect()`), used directly so that a
   * chunk is sent the moment it is full: TypeORM's `query()` awaits before it sends, which held each chunk back
   * until the writer next yielded.
   */
  constructor(
    private readonly connection: pg.PoolClient,
    private readonly jobId: string,
    private readonly chunkBytes: number,
  ) {
    super({ highWaterMark: chunkBytes });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.size += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.chunkBytes) return callback();
    this.flushFull().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flushFull()
      .then(() => (this.pendingBytes > 0 ? this.insert(this.take(this.pendingBytes)) : undefined))
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopped = true;
    callback(error);
  }

  /** Stores every whole chunk held. */
  private async flushFull(): Promise<void> {
    while (this.pendingBytes >= this.chunkBytes) await this.insert(this.take(this.chunkBytes));
  }

  /** The first `n` bytes held, as one buffer. */
  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending.length = 0;
    this.pendingBytes = rest.length;
    if (rest.length > 0) this.pending.push(rest);
    return head;
  }

  private async insert(bytes: Buffer): Promise<void> {
    if (this.stopped) throw new Error('The export file was abandoned.');
    await this.connection.query(`INSERT INTO export_file (job_id, seq, bytes) VALUES ($1, $2, $3)`, [this.jobId, this.seq++, bytes]);
  }
}
