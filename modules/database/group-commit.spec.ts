import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { GroupCommit, refusedByDatabase } from './group-commit.js';

/** A statement runner whose statements finish when the test says so; records what each statement carried. */
function runner(refuse: (items: readonly number[]) => unknown = () => undefined) {
  const statements: number[][] = [];
  const open: (() => void)[] = [];
  const run = (items: readonly number[]) =>
    new Promise<readonly string[]>((resolve, reject) => {
      statements.push([...items]);
      open.push(() => {
        const err = refuse(items);
        if (err === undefined) resolve(items.map((n) => `made ${n}`));
        else reject(err);
      });
    });
  /** Finishes every statement running now; waits for the follow-ups they start. */
  const finishAll = async () => {
    while (open.length > 0) {
      for (const finish of open.splice(0)) finish();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { statements, run, finishAll };
}

const databaseError = (code: string, severity = 'ERROR') => Object.assign(new pg.DatabaseError('refused', 1, 'error'), { code, severity });

describe('GroupCommit', () => {
  it('sends a write at once while statements are free, and what queues meanwhile together, in order', async () => {
    const r = runner();
    const gc = new GroupCommit<number, string>({ run: r.run, size: () => 1, maxInFlight: 2, maxItems: 100, maxBytes: 1000, stallMs: 60_000 });
    const results = Promise.all([1, 2, 3, 4, 5, 6].map((n) => gc.submit(n)));
    expect(r.statements).toEqual([[1], [2]]);
    expect(gc.running).toBe(2);
    await r.finishAll();
    expect(r.statements).toEqual([[1], [2], [3, 4, 5, 6]]);
    expect(await results).toEqual([1, 2, 3, 4, 5, 6].map((n) => `made ${n}`));
    expect(gc.running).toBe(0);
  });

  it('bounds a statement by count and by size, but always takes one write', async () => {
    const r = runner();
    const gc = new GroupCommit<number, string>({ run: r.run, size: (n) => n, maxInFlight: 1, maxItems: 3, maxBytes: 10, stallMs: 60_000 });
    const results = Promise.all([1, 1, 1, 1, 1, 4, 5, 20, 2].map((n) => gc.submit(n)));
    await r.finishAll();
    // [1] alone (free), then 3 by count, then 1+4+5 = 10 by size, then 20 alone (larger than the bound), then 2.
    expect(r.statements).toEqual([[1], [1, 1, 1], [1, 4, 5], [20], [2]]);
    expect(await results).toHaveLength(9);
  });

  it('a statement the database refuses is tried again write by write: only the bad write fails', async () => {
    const r = runner((items) => (items.includes(13) ? databaseError('23503') : undefined));
    const gc = new GroupCommit<number, string>({ run: r.run, size: () => 1, maxInFlight: 1, maxItems: 10, maxBytes: 100, stallMs: 60_000 });
    const first = gc.submit(1);
    const rest = [12, 13, 14].map((n) => gc.submit(n).then((v) => ({ ok: v }), (e: unknown) => ({ failed: (e as pg.DatabaseError).code })));
    await r.finishAll();
    expect(await first).toBe('made 1');
    expect(await Promise.all(rest)).toEqual([{ ok: 'made 12' }, { failed: '23503' }, { ok: 'made 14' }]);
    expect(r.statements).toEqual([[1], [12, 13, 14], [12], [13], [14]]);
  });

  it('a failure without an answer from the database (outcome unknown) fails every write of the statement, never retried', async () => {
    const broken = new Error('Connection terminated unexpectedly');
    const r = runner((items) => (items.length > 1 ? broken : undefined));
    const gc = new GroupCommit<number, string>({ run: r.run, size: () => 1, maxInFlight: 1, maxItems: 10, maxBytes: 100, stallMs: 60_000 });
    const all = [1, 2, 3].map((n) => gc.submit(n).then((v) => v, (e: unknown) => e));
    await r.finishAll();
    expect(await Promise.all(all)).toEqual(['made 1', broken, broken]);
    expect(r.statements).toEqual([[1], [2, 3]]);
  });

  it('only an ERROR answer outside the classes that may follow a commit counts as a refusal', () => {
    expect(refusedByDatabase(databaseError('23505'))).toBe(true);
    expect(refusedByDatabase(databaseError('23503'))).toBe(true);
    expect(refusedByDatabase(databaseError('57014'))).toBe(true); // statement timeout / cancel: rolled back
    expect(refusedByDatabase(databaseError('40001'))).toBe(true);
    for (const code of ['08006', '57P01', '57P02', '58030', 'XX000']) expect([code, refusedByDatabase(databaseError(code))]).toEqual([code, false]);
    expect(refusedByDatabase(databaseError('58030', 'PANIC'))).toBe(false);
    expect(refusedByDatabase(databaseError('53100', 'FATAL'))).toBe(false);
    expect(refusedByDatabase(databaseError('23505', 'FEHLER'))).toBe(false); // a localized server: never retried
    expect(refusedByDatabase(Object.assign(new pg.DatabaseError('no code', 1, 'error'), { severity: 'ERROR' }))).toBe(false);
    expect(refusedByDatabase(new Error('socket hang up'))).toBe(false);
  });

  it('a PANIC after a statement of several writes (the commit may have survived) is never retried', async () => {
    const r = runner((items) => (items.length > 1 ? databaseError('58030', 'PANIC') : undefined));
    const gc = new GroupCommit<number, string>({ run: r.run, size: () => 1, maxInFlight: 1, maxItems: 10, maxBytes: 100, stallMs: 60_000 });
    const all = [1, 2, 3].map((n) => gc.submit(n).then((v) => v, (e: unknown) => (e as pg.DatabaseError).severity));
    await r.finishAll();
    expect(await Promise.all(all)).toEqual(['made 1', 'PANIC', 'PANIC']);
    expect(r.statements).toEqual([[1], [2, 3]]);
  });

  it('retries one write at a time, and a retry that throws at once fails only its write', async () => {
    let running = 0;
    let most = 0;
    const run = (items: readonly number[]): Promise<readonly string[]> => {
      if (items.length > 1) return Promise.reject(databaseError('23514'));
      if (items[0] === 3) throw new TypeError('cannot build the statement'); // synchronously, not a rejection
      return (async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        running--;
        return [`made ${items[0]}`];
      })();
    };
    const gc = new GroupCommit<number, string>({ run, size: () => 1, maxInFlight: 1, maxItems: 10, maxBytes: 100, stallMs: 60_000 });
    const all = [1, 2, 3, 4].map((n) => gc.submit(n).then((v) => v, (e: unknown) => (e as Error).message));
    expect(await Promise.all(all)).toEqual(['made 1', 'made 2', 'cannot build the statement', 'made 4']);
    expect(most).toBe(1);
  });

  it('a statement that hangs stops holding back the writes behind it after stallMs', async () => {
    const hang = new Promise<readonly string[]>(() => undefined);
    const seen: number[][] = [];
    const run = (items: readonly number[]) => {
      seen.push([...items]);
      return items[0] === 1 ? hang : Promise.resolve(items.map((n) => `made ${n}`));
    };
    const gc = new GroupCommit<number, string>({ run, size: () => 1, maxInFlight: 1, maxItems: 10, maxBytes: 100, stallMs: 30 });
    void gc.submit(1);
    const second = gc.submit(2);
    expect(seen).toEqual([[1]]);
    expect(await second).toBe('made 2');
    expect(seen).toEqual([[1], [2]]);
  });

  it('a statement answering with the wrong number of results fails its writes instead of mismatching them', async () => {
    const gc = new GroupCommit<number, string>({ run: async () => ['only one'], size: () => 1, maxInFlight: 1, maxItems: 10, maxBytes: 100, stallMs: 60_000 });
    const first = gc.submit(1);
    const [a, b] = [gc.submit(2), gc.submit(3)].map((p) => p.then((v) => v, (e: unknown) => (e as Error).message));
    expect(await first).toBe('only one');
    expect(await a).toMatch(/1 results for 2 writes/);
    expect(await b).toMatch(/1 results for 2 writes/);
  });
});
