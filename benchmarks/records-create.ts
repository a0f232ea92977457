/**
 * Record creation throughput over HTTP, against a baseline measured in the same run.
 *
 * Per database: a fresh database and a real Haven (`node dist/modules/main.js`, default settings, pool of 10
 * connections), demo users from the seed library, 16 clients each signed in as its own GBV caseworker, each
 * posting realistic incidents (engine-valid, from the seed library) one after the other for `--seconds`. The
 * baseline writes the same rows with raw `pg` from 16 connections: the record, its create history row and its
 * audit row in one transaction per record (one statement each, as the baseline asks: Haven's write path
 * groups creates that queue into one statement), with no HTTP, no session, no ability and no engine. Baseline, Haven, baseline again; the ratio uses the mean of the two baselines.
 *
 * CPU per create is the server's own CPU time (Linux /proc: the process and, with `HAVEN_WORKERS` > 1, its worker
 * processes) over the Haven phase divided by the creates; the database's CPU is not included. The server inherits
 * the environment, so `HAVEN_WORKERS=2 npm run bench:create …` measures a cluster of two workers. Creates per
 * commit: the Haven phase's records over the distinct transactions that wrote them (`xmin`), i.e. how many creates
 * the group commit put in one statement on average.
 *
 * Run: `npm run bench:create [-- --db embedded|postgres|both] [--seconds 15] [--clients 16] [--server <main.js>]`
 * (`--server`: another build of the server, e.g. a copy of an earlier revision's `dist/modules/main.js`; it must
 * be able to resolve this checkout's `node_modules`).
 */
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { setLogLevel } from '../modules/common/logger.js';
import { openDatabase } from '../modules/database/open-database.js';
import { newShortId } from '../modules/records/short-id.js';
import { ownersFor } from '../modules/seed/people.js';
import { prepareDatabase } from '../modules/seed/prepare.js';
import { RecordSource } from '../modules/seed/record-source.js';
import { seedDemo } from '../modules/seed/seed-demo.js';
import { loadEnv } from '../modules/settings/env.js';
import { databaseKinds, fmt, freshServerTarget, machine, ms, numberArg, repoRoot, serverVersion, timing, type DatabaseKind, type Timing } from './support/bench-env.js';
import { cpuMs, login, MAIN, startHaven, stopHaven } from './support/haven-process.js';

const SECONDS = numberArg('seconds', 15);
const CLIENTS = numberArg('clients', 16);
const BODIES = 4000;
const PASSWORD = 'benchmark-demo-password';
const ADMIN_PASSWORD = 'benchmark-admin-password';
const SERVER = ((at) => (at > 0 ? path.resolve(process.argv[at + 1] ?? '') : MAIN))(process.argv.indexOf('--server'));

interface Body {
  readonly json: string;
  readonly changes: string;
  readonly fields: string;
}

interface Phase {
  readonly creates: number;
  readonly failures: number;
  readonly seconds: number;
  readonly latency: Timing;
}

/** `clients` loops calling `once(client, i)` until the time is up; counts successes, failures, latencies. */
async function drive(clients: number, seconds: number, once: (client: number, i: number) => Promise<boolean>): Promise<Phase> {
  const latencies: number[] = [];
  let creates = 0;
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < end) {
        const t = performance.now();
        const ok = await once(client, next++);
        latencies.push(performance.now() - t);
        if (ok) creates++;
        else failures++;
      }
    }),
  );
  return { creates, failures, seconds: (performance.now() - started) / 1000, latency: timing(latencies) };
}

const INSERT = `
  WITH r AS (
    INSERT INTO record (short_id, display_id, module, record_type, owner_id, owner_agency, owner_groups, status, bundle_hash, data, created_by, updated_by)
    VALUES ($1, 'INC-' || $1, 'gbv', 'incident', $2, $3, $4::text[], 'open', $5, $6::jsonb, $2, $2)
    ON CONFLICT (short_id) DO NOTHING
    RETURNING id, version
  ), h AS (
    INSERT INTO record_history (record_id, version, actor_id, action, changes) SELECT r.id, r.version, $2, 'create', $7::jsonb FROM r
  )
  INSERT INTO audit_log (actor_id, actor, action, object_type, object_id, client_ip, details)
  SELECT $2, $8, 'record.create', 'record', r.id::text, '127.0.0.1', $9::jsonb FROM r`;

function post(agent: http.Agent, port: number, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/v1/records/incident', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Result {
  readonly kind: DatabaseKind;
  readonly version: string;
  readonly haven: Phase;
  readonly baselines: readonly Phase[];
  readonly cpuPerCreate?: number;
  /** Records of the Haven phase per transaction that wrote them (group commit: several creates share one). */
  readonly perCommit: number;
}

async function benchmark(kind: DatabaseKind, log: (line: string) => void): Promise<Result> {
  const target = await freshServerTarget(kind);
  const haven = await startHaven({ ...target.env, HAVEN_ADMIN_PASSWORD: ADMIN_PASSWORD }, 60_000, SERVER);
  try {
    const env = loadEnv({ ...target.env, HAVEN_ADMIN_PASSWORD: ADMIN_PASSWORD, LOG_LEVEL: 'error' }, repoRoot);
    const db = await openDatabase(env, 'cli');
    const url = db.url;
    const version = await serverVersion(url);
    const { compiled } = await prepareDatabase(url, env, () => undefined);
    const seeded = await seedDemo(url, compiled, {
      incidents: 0, cases: 0, cpCases: 0, agencies: 4, groupsPerAgency: 3, usersPerGroup: 5, seed: 7, history: false, append: false,
      today: new Date().toISOString().slice(0, 10), password: PASSWORD,
    });
    const caseworkers = ownersFor(seeded, 'gbv');
    const source = new RecordSource(compiled, 'gbv', 'incident', caseworkers, { seed: 7, today: new Date().toISOString().slice(0, 10), poolSize: 2000, offset: 0 });
    source.preparePool(BODIES);
    const bodies: Body[] = [];
    for (let i = 0; i < BODIES; i++) {
      const rec = source.record(i, BODIES, true);
      bodies.push({ json: rec.json, changes: rec.changes!, fields: JSON.stringify({ module: 'gbv', recordType: 'incident', fields: rec.paths }) });
    }
    const users = Array.from({ length: CLIENTS }, (_, i) => caseworkers[i % caseworkers.length]!);
    const tokens = await Promise.all(users.map((u) => login(haven.base, u.username, PASSWORD)));
    log(`  ${kind}: Haven up, ${CLIENTS} caseworkers signed in, ${BODIES} incident bodies ready`);

    const baseline = async (): Promise<Phase> => {
      const clients = await Promise.all(
        users.map(async () => {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          return c;
        }),
      );
      try {
        return await drive(CLIENTS, SECONDS, async (client, i) => {
          const u = users[client]!;
          const b = bodies[i % BODIES]!;
          const res = await clients[client]!.query(INSERT, [newShortId(), u.id, u.agencyCode, u.groupCodes, compiled.hash, b.json, b.changes, u.username, b.fields]);
          return res.rowCount === 1;
        });
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    };
    const before = await baseline();
    log(`  baseline (raw pg): ${fmt(before.creates / before.seconds)}/s`);

    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    // Warm-up: the first requests compile the policy, open connections and JIT the hot path.
    await Promise.all(tokens.map((t, i) => post(agent, haven.port, t, `{"module":"gbv","data":${bodies[i]!.json}}`)));
    const marker = new pg.Client({ connectionString: url });
    await marker.connect();
    const [{ since }] = (await marker.query(`SELECT max(created_at) AS since FROM record`)).rows as { since: Date }[];
    const cpuBefore = cpuMs(haven.child.pid);
    const viaHaven = await drive(CLIENTS, SECONDS, async (client, i) => {
      const status = await post(agent, haven.port, tokens[client]!, `{"module":"gbv","data":${bodies[i % BODIES]!.json}}`);
      return status === 201;
    });
    const cpuAfter = cpuMs(haven.child.pid);
    agent.destroy();
    const [made] = (await marker.query(`SELECT count(*)::int AS n, count(DISTINCT xmin::text)::int AS tx FROM record WHERE created_at > coalesce($1::timestamptz, '-infinity')`, [since])).rows as { n: number; tx: number }[];
    await marker.end();
    log(`  Haven: ${fmt(viaHaven.creates / viaHaven.seconds)}/s (${viaHaven.failures} failed)`);

    const after = await baseline();
    log(`  baseline again: ${fmt(after.creates / after.seconds)}/s`);
    await db.close();
    return {
      kind,
      version,
      haven: viaHaven,
      baselines: [before, after],
      perCommit: made!.tx > 0 ? made!.n / made!.tx : 0,
      ...(cpuBefore !== undefined && cpuAfter !== undefined && viaHaven.creates > 0 ? { cpuPerCreate: (cpuAfter - cpuBefore) / viaHaven.creates } : {}),
    };
  } finally {
    await stopHaven(haven);
    await target.close();
  }
}

async function main(): Promise<void> {
  setLogLevel(process.env.LOG_LEVEL ?? 'error');
  const results: Result[] = [];
  for (const kind of databaseKinds()) results.push(await benchmark(kind, (line) => console.error(line)));
  console.log(`\n${machine()}; ${CLIENTS} clients, ${SECONDS} s per phase, GBV incidents of about 3 KB.\n`);
  console.log('| database | Haven creates/s | baseline creates/s (before / after) | Haven ÷ baseline | Haven latency p50 / p95 ms | server CPU ms per create | creates per commit | failed |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const rate = (p: Phase) => p.creates / p.seconds;
    const base = (rate(r.baselines[0]!) + rate(r.baselines[1]!)) / 2;
    console.log(
      `| ${r.kind} (PostgreSQL ${r.version}) | ${fmt(rate(r.haven))} | ${fmt(base)} (${fmt(rate(r.baselines[0]!))} / ${fmt(rate(r.baselines[1]!))}) | ${((rate(r.haven) / base) * 100).toFixed(0)}% | ` +
        `${ms(r.haven.latency.p50)} / ${ms(r.haven.latency.p95)} | ${r.cpuPerCreate === undefined ? 'n/a' : r.cpuPerCreate.toFixed(2)} | ${r.perCommit.toFixed(1)} | ${r.haven.failures} |`,
    );
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
