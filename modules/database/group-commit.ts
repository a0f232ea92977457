import pg from 'pg';

/**
 * Group commit: independent writes that arrive while the database is busy with earlier ones are sent together, as
 * one statement (one transaction), instead of one round trip each.
 *
 * A write is sent at once while fewer than `maxInFlight` statements are running, so a quiet server adds no latency;
 * under load the writes queued meanwhile go out together as soon as a statement finishes (at most `maxItems` of
 * them, and no more than `maxBytes` of payload unless one write alone is larger). Every write of a statement is
 * committed or none is: the caller of each is answered only after the statement's commit.
 *
 * When the database refuses a statement of several writes (an error answer from the server: the statement's
 * transaction was rolled back, nothing of it is stored), each write is tried again on its own, so one refused write
 * fails alone and the others still land. A failure without such an answer (the connection broke: whether the commit
 * happened is unknown) is passed to every caller of that statement and never retried, so nothing can be written
 * twice.
 */
export interface GroupCommitOptions<T, R> {
  /** Writes the items in one statement; the results are in the items' order. */
  readonly run: (items: readonly T[]) => Promise<readonly R[]>;
  /** The payload size of an item (bytes, approximately), for `maxBytes`. */
  readonly size: (item: T) => number;
  readonly maxInFlight: number;
  readonly maxItems: number;
  readonly maxBytes: number;
}

interface Pending<T, R> {
  readonly item: T;
  readonly size: number;
  readonly resolve: (result: R) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private readonly queue: Pending<T, R>[] = [];
  private inFlight = 0;

  constructor(private readonly options: GroupCommitOptions<T, R>) {
    if (options.maxInFlight < 1 || options.maxItems < 1) throw new Error('group commit needs at least one statement of one item');
  }

  /** Writes `item` (alone or with others); resolves once its statement has committed. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, size: this.options.size(item), resolve, reject });
      this.pump();
    });
  }

  /** Statements running now (for tests and diagnostics). */
  get running(): number {
    return this.inFlight;
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private take(): Pending<T, R>[] {
    const { maxItems, maxBytes } = this.options;
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && count < maxItems) {
      const next = this.queue[count]!.size;
      if (count > 0 && bytes + next > maxBytes) break;
      bytes += next;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async send(batch: readonly Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.options.run(batch.map((p) => p.item));
      if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} writes`);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1 || !refusedByDatabase(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // The database refused the statement as a whole: nothing of it was stored. Each write again, on its own.
      await Promise.all(batch.map((p) => this.options.run([p.item]).then((r) => p.resolve(r[0]!), p.reject)));
    }
  }
}

/**
 * An error the server answered with (SQLSTATE): the statement failed and, outside an explicit transaction, its
 * implicit transaction was rolled back. Anything else (a socket error, a closed connection) leaves the outcome unknown.
 */
export function refusedByDatabase(err: unknown): boolean {
  return err instanceof pg.DatabaseError && typeof err.code === 'string' && !err.code.startsWith('08');
}
