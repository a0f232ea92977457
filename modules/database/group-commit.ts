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
 * When the database refuses a statement of several writes (an error answer of severity ERROR: the statement's
 * transaction was rolled back, nothing of it is stored), each write is tried again on its own, one after the other,
 * so one refused write fails alone and the others still land. Any other failure (the connection broke, the server
 * shut down or hit a system error: whether the commit happened is unknown) is passed to every caller of that
 * statement and never retried, so nothing can be written twice.
 *
 * A statement still running after `stallMs` stops counting against `maxInFlight` (it is waiting on a lock or a
 * dead connection), so it cannot hold back the writes behind it; the pool's size remains the bound.
 */
export interface GroupCommitOptions<T, R> {
  /** Writes the items in one statement; the results are in the items' order. */
  readonly run: (items: readonly T[]) => Promise<readonly R[]>;
  /** The payload size of an item (bytes, approximately), for `maxBytes`. */
  readonly size: (item: T) => number;
  readonly maxInFlight: number;
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly stallMs: number;
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

  /** Statements counted against `maxInFlight` now: running and not yet stalled (for tests and diagnostics). */
  get running(): number {
    return this.inFlight;
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      let counted = true;
      const release = () => {
        if (!counted) return;
        counted = false;
        this.inFlight--;
        this.pump();
      };
      const stalled = setTimeout(release, this.options.stallMs);
      stalled.unref();
      void this.send(batch).finally(() => {
        clearTimeout(stalled);
        release();
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

  /** Settles every write of the batch; never rejects. */
  private async send(batch: readonly Pending<T, R>[]): Promise<void> {
    let err: unknown;
    try {
      const results = await this.runNow(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]!));
      return;
    } catch (e) {
      err = e;
    }
    if (batch.length === 1 || !refusedByDatabase(err)) {
      for (const p of batch) p.reject(err);
      return;
    }
    // The database refused the statement as a whole: nothing of it was stored. Each write again, on its own.
    for (const p of batch) {
      try {
        p.resolve((await this.runNow([p.item]))[0]!);
      } catch (e) {
        p.reject(e);
      }
    }
  }

  /** `run`, with a throw turned into a rejection and the answer's length checked. */
  private async runNow(items: readonly T[]): Promise<readonly R[]> {
    const results = await this.options.run(items);
    if (results.length !== items.length) throw new Error(`group commit: ${results.length} results for ${items.length} writes`);
    return results;
  }
}

/**
 * An error the server answered with at severity ERROR (SQLSTATE): the statement failed and, outside an explicit
 * transaction, its implicit transaction was rolled back. Not: FATAL or PANIC answers, connection exceptions (08),
 * operator intervention such as a shutdown (57P), system errors (58) and internal errors (XX), which may come after
 * a commit; nor anything without an answer (a socket error, a closed connection): the outcome is unknown then.
 * (The severity compared is the server's word for it, English unless its `lc_messages` says otherwise: on a server
 * answering in another language no statement counts as refused, and a group fails as a whole — the safe side.)
 */
export function refusedByDatabase(err: unknown): boolean {
  if (!(err instanceof pg.DatabaseError) || err.severity !== 'ERROR' || typeof err.code !== 'string') return false;
  const code = err.code;
  return !(code.startsWith('08') || code.startsWith('57P') || code.startsWith('58') || code.startsWith('XX'));
}
