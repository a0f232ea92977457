import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { RecordsRepository, type AuditContext, type NewRecord } from '../modules/records/records.repository.js';
import { formatDisplayId, newShortId } from '../modules/records/short-id.js';
import { as, login, newUser, type TestUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const CLIENTS = 40;

/**
 * Creates share statements under load (group commit): each record still gets exactly its own data, history row and
 * audit row; a write the database refuses fails alone; nothing is written twice.
 */
describe('records: creates committed together', () => {
  let t: TestApp;
  let ds: DataSource;
  let repo: RecordsRepository;
  let bundleHash: string;
  let workers: TestUser[];
  let tokens: string[];

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    repo = t.app.get(RecordsRepository);
    bundleHash = t.app.get(ActiveConfigService).current().hash;
    await t.app.listen(0, '127.0.0.1');
    workers = [await newUser(ds, { roles: ['gbv_caseworker'] }), await newUser(ds, { roles: ['gbv_caseworker'] })];
    tokens = await Promise.all(workers.map((w) => login(t, w.username, w.password)));
  });
  afterAll(async () => {
    await t?.close();
  });

  const record = (owner: TestUser | { id: string; username: string; agency: string | null }, data: Record<string, unknown>, shortId = newShortId()): NewRecord => ({
    shortId,
    displayId: formatDisplayId(undefined, shortId),
    module: 'gbv',
    recordType: 'case',
    ownerId: owner.id,
    ownerUsername: owner.username,
    ownerAgency: owner.agency,
    ownerGroups: [],
    status: 'open',
    bundleHash,
    data,
  });
  const audit = (who: { id: string; username: string }): AuditContext => ({ actorId: who.id, actor: who.username, clientIp: '127.0.0.1', requestId: randomUUID() });
  const changesOf = (data: Record<string, unknown>) => Object.entries(data).map(([path, to]) => ({ path, from: null, to }));
  const insert = (owner: TestUser | { id: string; username: string; agency: string | null }, data: Record<string, unknown>, shortId?: string) =>
    repo.insert(record(owner, data, shortId), changesOf(data), audit(owner), { module: 'gbv', recordType: 'case', fields: Object.keys(data) });
  /** What the database holds of a record, its history and its audit rows, and the transaction that wrote it. */
  const stored = async (id: string) => {
    const [row] = await ds.query(`SELECT owner_id, created_by, data, xmin::text AS tx FROM record WHERE id = $1`, [id]);
    const history = await ds.query(`SELECT version, action, actor_id, changes FROM record_history WHERE record_id = $1`, [id]);
    const audits = await ds.query(`SELECT action, actor_id, actor, outcome, client_ip, details FROM audit_log WHERE object_type = 'record' AND object_id = $1`, [id]);
    return { row, history, audits };
  };

  it(`${CLIENTS} clients creating at once over HTTP: every record lands once, with its own data, history and audit`, async () => {
    const base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const who = i % 2;
        const res = await fetch(`${base}/api/v1/records/case`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          body: JSON.stringify({ module: 'gbv', data: { occupation: `job ${i}` } }),
        });
        return { i, who, status: res.status, body: (await res.json()) as { id: string; data: Record<string, unknown> } };
      }),
    );
    expect(results.map((r) => r.status)).toEqual(Array(CLIENTS).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(CLIENTS);
    for (const { i, who, body } of results) {
      const { row, history, audits } = await stored(body.id);
      expect(row).toMatchObject({ owner_id: workers[who]!.id, created_by: workers[who]!.id, data: { occupation: `job ${i}` } });
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ version: 1, action: 'create', actor_id: workers[who]!.id });
      expect(history[0].changes).toEqual(expect.arrayContaining([{ path: 'occupation', from: null, to: `job ${i}` }]));
      expect(audits).toEqual([
        expect.objectContaining({ action: 'record.create', actor_id: workers[who]!.id, actor: workers[who]!.username, outcome: 'allowed', client_ip: expect.any(String) }),
      ]);
    }
  });

  it('writes that queue while statements run share one transaction, each row with its own history and audit', async () => {
    const owner = workers[0]!;
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => insert(owner, { occupation: `queued ${i}` })));
    const rows = await Promise.all(made.map((m) => stored(m!.id)));
    rows.forEach(({ row, history, audits }, i) => {
      expect(row.data).toEqual({ occupation: `queued ${i}` });
      expect(history).toEqual([{ version: 1, action: 'create', actor_id: owner.id, changes: [{ path: 'occupation', from: null, to: `queued ${i}` }] }]);
      expect(audits).toEqual([{ action: 'record.create', actor_id: owner.id, actor: owner.username, outcome: 'allowed', client_ip: '127.0.0.1', details: { module: 'gbv', recordType: 'case', fields: ['occupation'] } }]);
    });
    // Submitted in one tick: the first two went alone, the other ten together.
    const transactions = new Map<string, number>();
    for (const { row } of rows) transactions.set(row.tx, (transactions.get(row.tx) ?? 0) + 1);
    expect([...transactions.values()].sort((a, b) => a - b)).toEqual([1, 1, 10]);
  });

  it('a write the database refuses fails alone; the others of its statement still land, once', async () => {
    const owner = workers[1]!;
    const ghost = { id: randomUUID(), username: 'nobody', agency: null };
    const before = Number((await ds.query(`SELECT count(*)::int AS n FROM record_history`))[0].n);
    const outcomes = await Promise.all([
      insert(owner, { occupation: 'first' }),
      insert(owner, { occupation: 'second' }),
      insert(owner, { occupation: 'third' }),
      insert(ghost, { occupation: 'owner missing' }).then(
        () => 'stored',
        (err: pg.DatabaseError) => err.code,
      ),
      insert(owner, { occupation: 'fifth' }),
    ]);
    expect(outcomes[3]).toBe('23503');
    const landed = [outcomes[0], outcomes[1], outcomes[2], outcomes[4]] as { id: string }[];
    expect(await Promise.all(landed.map(async (m) => (await stored(m.id)).row.data.occupation))).toEqual(['first', 'second', 'third', 'fifth']);
    expect(Number((await ds.query(`SELECT count(*)::int AS n FROM record_history`))[0].n)).toBe(before + 4);
    expect(await ds.query(`SELECT 1 FROM record WHERE owner_id = $1`, [ghost.id])).toEqual([]);
  });

  it('a short id already taken, or twice in one statement, makes no row: the caller tries another', async () => {
    const owner = workers[0]!;
    const taken = await newRecord(ds, { module: 'gbv', recordType: 'case', owner });
    const twice = newShortId();
    const [a, b, c, d] = await Promise.all([
      insert(owner, { occupation: 'a' }),
      insert(owner, { occupation: 'b' }),
      insert(owner, { occupation: 'taken' }, taken.shortId),
      insert(owner, { occupation: 'twice 1' }, twice),
      insert(owner, { occupation: 'twice 2' }, twice),
    ]).then((all) => [all[0], all[2], all[3], all[4]]);
    expect(a).toBeDefined();
    expect(b).toBeUndefined();
    expect(c?.shortId).toBe(twice);
    expect(d).toBeUndefined();
    expect((await stored(c!.id)).row.data).toEqual({ occupation: 'twice 1' });
    expect(await ds.query(`SELECT count(*)::int AS n FROM record WHERE short_id = $1`, [twice])).toEqual([{ n: 1 }]);
    expect(await ds.query(`SELECT count(*)::int AS n FROM record_history WHERE record_id = $1`, [taken.id])).toEqual([{ n: 0 }]);
  });

  it('statements whose connections die while they wait are failed, never retried: nothing is stored twice or later', async () => {
    const owner = workers[0]!;
    const locker = new pg.Client({ connectionString: t.db.url });
    await locker.connect();
    const waiting = `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%jsonb_to_recordset%' AND pid <> pg_backend_pid()`;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE record IN SHARE MODE'); // inserts wait for it
      const tags = Array.from({ length: 5 }, (_, i) => `killed ${i} ${randomUUID()}`);
      const outcomes = tags.map((tag) =>
        insert(owner, { occupation: tag }).then(
          () => 'stored',
          (err: pg.DatabaseError) => `${err.severity} ${err.code}`,
        ),
      );
      // Two statements at once, then (once they count as stalled) the other three together.
      for (let i = 0; i < 500 && (await ds.query(waiting)).length < 3; i++) await sleep(20);
      expect(await ds.query(waiting)).toHaveLength(3);
      await ds.query(`SELECT pg_terminate_backend(pid) FROM (${waiting}) w`);
      expect(await Promise.all(outcomes)).toEqual(Array(5).fill('FATAL 57P01'));
      await locker.query('ROLLBACK');
      await sleep(100);
      expect(await ds.query(`SELECT count(*)::int AS n FROM record WHERE data->>'occupation' = ANY($1)`, [tags])).toEqual([{ n: 0 }]);
    } finally {
      await locker.end();
    }
  });

  it("inside a caller's transaction a create is part of it: rolled back, nothing of it stays", async () => {
    const owner = workers[0]!;
    let id = '';
    await expect(
      ds.transaction(async (tx) => {
        id = (await repo.insert(record(owner, { occupation: 'rolled back' }), [], audit(owner), {}, tx))!.id;
        throw new Error('the caller fails after the create');
      }),
    ).rejects.toThrow('the caller fails');
    expect(id).not.toBe('');
    expect(await stored(id)).toEqual({ row: undefined, history: [], audits: [] });
  });

  it('records made over HTTP read back as they were answered', async () => {
    const api = as(t, tokens[0]!);
    const made = await Promise.all(Array.from({ length: 6 }, (_, i) => api.post('/api/v1/records/case', { module: 'gbv', data: { occupation: `read ${i}` } })));
    for (const res of made) {
      expect(res.status).toBe(201);
      const read = (await api.get(`/api/v1/records/case/${res.body.id}`).expect(200)).body;
      expect(read).toEqual(res.body);
    }
  });
});
