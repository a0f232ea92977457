/**
 * An export's progress (`rows_done`), written while the export goes on without ever holding it up: at most one
 * update is on its way; a count reported meanwhile waits for it, and a newer count replaces one still waiting. The
 * export never awaits an update between batches: an update is sent through the pool, so it leaves only when the
 * export next yields, and waiting for its answer (a commit) before each batch had kept the export idle about a
 * quarter of the time (docs/benchmarks.md, "Exports").
 *
 * An update's answer is looked at by the next `report()` or `check()`, and by `settle()`: one that found the job no
 * longer this run's (`send` resolved false) makes them throw `superseded()`; one that failed makes them throw its
 * error. Either way no further update is sent.
 */
export class ProgressWriter {
  private inFlight: Promise<void> | undefined;
  private waiting: number | undefined;
  private lost = false;
  private failure: { readonly error: unknown } | undefined;
  private stopped = false;

  constructor(
    private readonly send: (rowsDone: number) => Promise<boolean>,
    private readonly superseded: () => Error,
  ) {}

  /** Reports a count (sent now, or once the update on its way is answered); throws as `check()` does. */
  report(rowsDone: number): void {
    this.check();
    if (this.stopped) return;
    if (this.inFlight) this.waiting = rowsDone;
    else this.start(rowsDone);
  }

  /** Throws when an update answered so far found the job taken over, or failed. */
  check(): void {
    if (this.failure) throw this.failure.error;
    if (this.lost) throw this.superseded();
  }

  /** The export failed: no count waiting is sent, and nothing reported from now on. */
  stop(): void {
    this.stopped = true;
    this.waiting = undefined;
  }

  /** Waits until every count reported is written (or the writer stopped), then `check()`s. */
  async settle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.check();
  }

  private start(rowsDone: number): void {
    let sent: Promise<boolean>;
    try {
      sent = this.send(rowsDone);
    } catch (error) {
      sent = Promise.reject(error);
    }
    this.inFlight = sent.then(
      (ok) => {
        if (!ok) this.lost = true;
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    ).then(() => {
      this.inFlight = undefined;
      const next = this.waiting;
      this.waiting = undefined;
      if (next !== undefined && !this.lost && !this.failure && !this.stopped) this.start(next);
    });
  }
}
