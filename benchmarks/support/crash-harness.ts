import { existsSync } from 'node:fs';
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { CompiledConfig } from '../../engine/index.js';
import { ownersFor } from '../../modules/seed/people.js';
import { prepareDatabase } from '../../modules/seed/prepare.js';
import { Random } from '../../modules/seed/random.js';
import { RecordSource } from '../../modules/seed/record-source.js';
import { seedDemo } from '../../modules/seed/seed-demo.js';
import { loadEnv } from '../../modules/settings/env.js';
import { repoRoot } from './bench-env.js';
import { login, startHaven, stopHaven, type HavenProcess } from './haven-process.js';

/**
 * Crash safety of the record write path, end to end: a real server, several clients streaming creates and
 * PATCHes, SIGKILL at a random moment, restart (on the embedded database the next start stops the orphaned
 * PostgreSQL), then checks:
 *
 *  - every ACKNOWLEDGED write (201 / 200 received) is there and complete: the record at the acknowledged version
 *    with the acknowledged data (or one version later when a PATCH was in flight at the kill and committed);
 *  - nothing is half-applied, for every record in the table (acknowledged or not): exactly one `create` history row
 *    at version 1, one `update` history row for each of versions 2..version (so version = 1 + updates), one
 *    `record.create` audit row and one `record.update` audit row per update; no history or audit row without its
 *    record.
 *
 * Used by benchmarks/crash-safety.ts (many cycles, both databases) and test/crash-safety.e2e-spec.ts (a few).
 */

export interface CrashTarget {
  readonly kind: 'embedded' | 'postgres';
  /** Environment of the spawned server: DATABASE_URL, or HAVEN_DATA_DIR for the embedded database. */
  readonly serverEnv: Record<string, string>;
}

export interface CrashOptions {
  readonly target: CrashTarget;
  readonly cycles: number;
  readonly clients?: number;
  readonly seed?: number;
  /** Load before each kill, ms: drawn from [min, max]. */
  readonly loadMs?: readonly [number, number];
  /** Embedded only: on every other cycle SIGKILL the PostgreSQL server too (crash recovery from the WAL). */
  readonly killDatabase?: boolean;
  readonly log?: (line: string) => void;
}

export interface CrashReport {
  readonly cycles: number;
  readonly acknowledgedCreates: number;
  readonly acknowledgedUpdates: number;
  /** Requests whose answer never came (in flight at the kill). */
  readonly inFlight: number;
  /** Of those, writes that turned out committed (a record nobody was told about, a PATCH applied). */
  readonly committedUnacknowledged: number;
  /** Records in the table at the end. */
  readonly records: number;
  /** Kill to first health answer, ms, per cycle. */
  readonly restartMs: readonly number[];
  /** Broken guarantees (must be empty). */
  readonly violations: readonly string[];
  /** Unexpected answers (4xx/5xx while the server was up), for the reader. */
  readonly errors: readonly string[];
}

const PASSWORD = 'crash-demo-password';
const ADMIN_PASSWORD = 'crash-admin-password';

interface Answer {
  readonly status: number;
  readonly body: { id?: string; version?: number; data?: Record<string, unknown>; error?: { code?: string; message?: string } };
}

class NetworkError extends Error {}

function request(agent: http.Agent, port: number, method: string, url: string, token: string, body?: unknown): Promise<Answer> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: `/api/v1${url}`,
        method,
        agent,
        headers: { authorization: `Bearer ${token}`, ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }) },
      },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (raw += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: raw ? JSON.parse(raw) : {} });
          } catch {
            reject(new NetworkError('truncated answer'));
          }
        });
        res.on('error', (err) => reject(new NetworkError(err.message)));
      },
    );
    req.on('error', (err) => reject(new NetworkError(err.message)));
    req.end(text);
  });
}

/** Deep equality of JSON values, object key order ignored. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameJson(v, (b as unknown[])[i]));
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  return ak.length === bk.length && ak.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

interface Tracked {
  readonly id: string;
  version: number;
  data: Record<string, unknown>;
  /** A PATCH whose answer never came: the record is at `version` or `version + 1`. */
  uncertain: boolean;
}

interface Client {
  readonly index: number;
  readonly token: string;
  readonly rng: Random;
  readonly records: Tracked[];
}

/** The database behind the running server (embedded: through its runtime file). */
async function databaseUrl(target: CrashTarget): Promise<string> {
  if (target.kind === 'postgres') return target.serverEnv.DATABASE_URL!;
  const info = JSON.parse(await fs.readFile(path.join(target.serverEnv.HAVEN_DATA_DIR!, 'haven.runtime.json'), 'utf8')) as { url: string };
  return info.url;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The invariants over every record, and the acknowledged state of every tracked one. */
async function verify(url: string, tracked: readonly Tracked[]): Promise<{ violations: string[]; records: Set<string> }> {
  return withClient(url, async (c) => {
    const violations: string[] = [];
    const { rows } = await c.query<{
      id: string;
      version: number;
      data: Record<string, unknown>;
      creates: number;
      updates: number;
      update_versions: number;
      audit_creates: number;
      audit_updates: number;
    }>(`
      SELECT r.id, r.version, r.data,
             (SELECT count(*)::int FROM record_history h WHERE h.record_id = r.id AND h.action = 'create' AND h.version = 1) AS creates,
             (SELECT count(*)::int FROM record_history h WHERE h.record_id = r.id AND h.action <> 'create') AS updates,
             (SELECT count(DISTINCT h.version)::int FROM record_history h
               WHERE h.record_id = r.id AND h.action = 'update' AND h.version BETWEEN 2 AND r.version) AS update_versions,
             (SELECT count(*)::int FROM audit_log a WHERE a.object_type = 'record' AND a.object_id = r.id::text AND a.action = 'record.create') AS audit_creates,
             (SELECT count(*)::int FROM audit_log a WHERE a.object_type = 'record' AND a.object_id = r.id::text AND a.action = 'record.update') AS audit_updates
        FROM record r`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of rows) {
      const updates = r.version - 1;
      if (r.creates !== 1) violations.push(`record ${r.id}: ${r.creates} create history rows at version 1 (expected 1)`);
      if (r.updates !== updates || r.update_versions !== updates) {
        violations.push(`record ${r.id} at version ${r.version}: ${r.updates} update history rows over ${r.update_versions} versions (expected ${updates})`);
      }
      if (r.audit_creates !== 1) violations.push(`record ${r.id}: ${r.audit_creates} record.create audit rows (expected 1)`);
      if (r.audit_updates !== updates) violations.push(`record ${r.id} at version ${r.version}: ${r.audit_updates} record.update audit rows (expected ${updates})`);
    }
    const orphans = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM record_history h WHERE NOT EXISTS (SELECT 1 FROM record r WHERE r.id = h.record_id)`);
    if (orphans.rows[0]!.n > 0) violations.push(`${orphans.rows[0]!.n} history rows without their record`);
    const auditOrphans = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log a WHERE a.object_type = 'record' AND a.action IN ('record.create', 'record.update')
          AND NOT EXISTS (SELECT 1 FROM record r WHERE r.id::text = a.object_id)`,
    );
    if (auditOrphans.rows[0]!.n > 0) violations.push(`${auditOrphans.rows[0]!.n} record audit rows without their record`);
    for (const t of tracked) {
      const row = byId.get(t.id);
      if (!row) {
        violations.push(`acknowledged record ${t.id} (version ${t.version}) is missing`);
      } else if (row.version !== t.version) {
        violations.push(`record ${t.id}: version ${row.version} in the database, ${t.version} acknowledged`);
      } else if (!sameJson(row.data, t.data)) {
        violations.push(`record ${t.id} at version ${t.version}: stored data differs from the acknowledged data`);
      }
    }
    return { violations, records: new Set(byId.keys()) };
  });
}

export async function runCrashCycles(options: CrashOptions): Promise<CrashReport> {
  const { target } = options;
  const log = options.log ?? (() => undefined);
  const rngMain = Random.for(options.seed ?? 1, 'crash');
  const [minLoad, maxLoad] = options.loadMs ?? [300, 1500];
  const serverEnv = { ...target.serverEnv, HAVEN_ADMIN_PASSWORD: ADMIN_PASSWORD };
  const violations: string[] = [];
  const errors: string[] = [];
  const restartMs: number[] = [];
  let acknowledgedCreates = 0;
  let acknowledgedUpdates = 0;
  let inFlight = 0;
  let patchesApplied = 0;
  const strangers = new Set<string>();
  let records = 0;

  let haven: HavenProcess = await startHaven(serverEnv);
  try {
    const today = new Date().toISOString().slice(0, 10);
    const env = loadEnv({ ...serverEnv, LOG_LEVEL: 'error' }, repoRoot);
    let url = await databaseUrl(target);
    const { compiled }: { compiled: CompiledConfig } = await prepareDatabase(url, env, () => undefined);
    const people = await seedDemo(url, compiled, {
      incidents: 0, cases: 0, cpCases: 0, agencies: 1, groupsPerAgency: 2, usersPerGroup: 5, seed: 3, history: false, append: false, today, password: PASSWORD,
    });
    const caseworkers = ownersFor(people, 'gbv');
    const bodies = new RecordSource(compiled, 'gbv', 'incident', caseworkers, { seed: options.seed ?? 1, today, poolSize: 200, offset: 0 });
    bodies.preparePool(1_000_000);
    const incident = compiled.recordType('gbv', 'incident');
    const free = new Set(bodies.freeFieldKeys);
    const textField = incident.fields.find((f) => f.type === 'textarea' && free.has(f.key))!;
    const choiceField = incident.fields.find((f) => f.type === 'select' && free.has(f.key) && (f.options?.length ?? 0) > 1)!;

    const clients: Client[] = [];
    for (let i = 0; i < (options.clients ?? 4); i++) {
      const user = caseworkers[i % caseworkers.length]!;
      clients.push({ index: i, token: await login(haven.base, user.username, PASSWORD), rng: Random.for(options.seed ?? 1, 'client', i), records: [] });
    }
    let bodyIndex = 0;

    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const agent = new http.Agent({ keepAlive: true });
      const port = haven.port;
      let running = true;
      const loops = clients.map(async (client) => {
        while (running) {
          const patchable = client.records.filter((t) => !t.uncertain);
          const patch = patchable.length > 0 && client.rng.chance(0.45);
          if (patch) {
            const t = client.rng.pick(patchable);
            const data = { [textField.key]: `Update ${t.version + 1} by client ${client.index} (demo data)`, [choiceField.key]: client.rng.pick(choiceField.options!) };
            t.uncertain = true;
            try {
              const res = await request(agent, port, 'PATCH', `/records/incident/${t.id}`, client.token, { version: t.version, data });
              if (res.status === 200 && res.body.version !== undefined && res.body.data) {
                t.version = res.body.version;
                t.data = res.body.data;
                t.uncertain = false;
                acknowledgedUpdates++;
              } else {
                errors.push(`PATCH ${res.status} ${res.body.error?.code ?? ''}: ${res.body.error?.message ?? ''}`);
                t.uncertain = res.status >= 500;
              }
            } catch (err) {
              if (!(err instanceof NetworkError)) throw err;
              inFlight++;
            }
          } else {
            const rec = bodies.record(bodyIndex++, 1_000_000);
            try {
              const res = await request(agent, port, 'POST', '/records/incident', client.token, { module: 'gbv', data: JSON.parse(rec.json) });
              if (res.status === 201 && res.body.id && res.body.data) {
                client.records.push({ id: res.body.id, version: res.body.version ?? 1, data: res.body.data, uncertain: false });
                acknowledgedCreates++;
              } else {
                errors.push(`POST ${res.status} ${res.body.error?.code ?? ''}: ${res.body.error?.message ?? ''}`);
              }
            } catch (err) {
              if (!(err instanceof NetworkError)) throw err;
              inFlight++;
            }
          }
        }
      });

      await new Promise((r) => setTimeout(r, rngMain.int(minLoad, maxLoad)));
      // No new request from here on: what is in flight now is what the kill interrupts.
      running = false;
      const killedAt = performance.now();
      haven.child.kill('SIGKILL');
      await haven.exited;
      if (options.killDatabase && target.kind === 'embedded' && cycle % 2 === 0) {
        const pid = Number((await fs.readFile(path.join(target.serverEnv.HAVEN_DATA_DIR!, 'pg', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
          // Until its new parent reaps it, the dead postmaster is a zombie whose PID still answers kill(pid, 0), and
          // PostgreSQL then refuses to start ("lock file postmaster.pid already exists"): wait for the reaping, as a
          // power cut would leave no process at all.
          for (let waited = 0; waited < 30_000 && existsSync(`/proc/${pid}`); waited += 50) await new Promise((r) => setTimeout(r, 50));
        }
      }
      await Promise.all(loops);
      agent.destroy();

      haven = await startHaven(serverEnv);
      restartMs.push(performance.now() - killedAt);
      url = await databaseUrl(target);

      // PATCHes whose answer was lost: read the record back (it must be at the acknowledged version or one later).
      const restartAgent = new http.Agent({ keepAlive: true });
      for (const client of clients) {
        for (const t of client.records.filter((r) => r.uncertain)) {
          const res = await request(restartAgent, haven.port, 'GET', `/records/incident/${t.id}`, client.token);
          if (res.status !== 200 || res.body.version === undefined || !res.body.data) {
            violations.push(`cycle ${cycle}: acknowledged record ${t.id} cannot be read back (${res.status})`);
            continue;
          }
          if (res.body.version === t.version + 1) patchesApplied++;
          else if (res.body.version !== t.version) violations.push(`cycle ${cycle}: record ${t.id} at version ${res.body.version}, acknowledged ${t.version}`);
          t.version = res.body.version;
          t.data = res.body.data;
          t.uncertain = false;
        }
      }
      restartAgent.destroy();

      const tracked = clients.flatMap((c) => c.records);
      const result = await verify(url, tracked);
      violations.push(...result.violations.map((v) => `cycle ${cycle}: ${v}`));
      const known = new Set(tracked.map((t) => t.id));
      for (const id of result.records) if (!known.has(id)) strangers.add(id);
      records = result.records.size;
      log(
        `  cycle ${cycle}: ${acknowledgedCreates} creates and ${acknowledgedUpdates} updates acknowledged so far, ${inFlight} in flight at kills; ` +
          `restart ${restartMs[restartMs.length - 1]!.toFixed(0)} ms; ${result.violations.length} violation(s)`,
      );
    }
  } finally {
    await stopHaven(haven);
  }
  return {
    cycles: options.cycles,
    acknowledgedCreates,
    acknowledgedUpdates,
    inFlight,
    committedUnacknowledged: patchesApplied + strangers.size,
    records,
    restartMs,
    violations,
    errors,
  };
}
