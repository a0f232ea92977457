/**
 * Location hierarchy import at country scale: a 50,000-row CSV (1 country, 47 counties, 470 districts, the rest
 * camps/towns; English and French names; coordinates on a third of the rows) with planted errors of every kind.
 * The dry run must report every planted error (and nothing else); the real run of that file is refused whole;
 * the corrected file imports; then the hierarchy is read and exported. Everything over HTTP on an app in this
 * process, on the embedded database (or a fresh database on DATABASE_URL's server).
 *
 * Run: `npm run build && node dist/benchmarks/location-import.js [rows]`. Prints a markdown table.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { setLogLevel } from '../modules/common/logger.js';
import { createApp } from '../modules/create-app.js';
import { migrate } from '../modules/database/data-source.js';
import { DataFolderLock } from '../modules/database/data-folder-lock.js';
import { EmbeddedServer } from '../modules/database/embedded-postgres.js';
import { loadEnv } from '../modules/settings/env.js';
import { ensureBootstrapAdmin } from '../modules/users/bootstrap-admin.js';

const HEADER = 'code,parent_code,admin_level,name:en,name:fr,latitude,longitude';
const PER_KIND = 20;

interface Plant {
  line: number;
  code: string;
}

/** The hierarchy as CSV lines (header first), and the same with errors planted: what each plant is and where. */
function hierarchy(rows: number): { good: string[]; bad: string[]; planted: Map<string, Plant[]>; partners: Set<number> } {
  const good: string[] = [HEADER, 'KE,,0,Kenya,Kenya,0.02,37.9'];
  const counties: string[] = [];
  const districts: string[] = [];
  for (let c = 1; c <= 47; c++) {
    const code = `KE${String(c).padStart(2, '0')}`;
    counties.push(code);
    good.push(`${code},KE,1,County ${c},Comté ${c},,`);
  }
  for (const county of counties) {
    for (let d = 1; d <= 10; d++) {
      const code = `${county}D${String(d).padStart(2, '0')}`;
      districts.push(code);
      good.push(`${code},${county},2,District ${county}-${d},District ${county}-${d},,`);
    }
  }
  let n = 0;
  while (good.length - 1 < rows) {
    const district = districts[n % districts.length]!;
    const code = `${district}C${String(Math.floor(n / districts.length) + 1).padStart(3, '0')}`;
    const coordinates = n % 3 === 0 ? `${(-4 + (n % 800) / 100).toFixed(4)},${(34 + (n % 700) / 100).toFixed(4)}` : ',';
    good.push(`${code},${district},3,"Camp ${n}, ${district}",Camp ${n},${coordinates}`);
    n++;
  }

  // Plant errors on camp rows spread over the file (lines are 1-based: line i+1 is good[i]).
  const bad = [...good];
  const planted = new Map<string, Plant[]>();
  /** Second lines of planted cycles (a cycle is reported once, on its first line). */
  const partners = new Set<number>();
  const plant = (kind: string, index: number, line: string) => {
    bad[index] = line;
    planted.set(kind, [...(planted.get(kind) ?? []), { line: index + 1, code: line.split(',')[0]! }]);
  };
  const camps = good.length - 1 - 1 - 47 - 470;
  const firstCamp = good.length - camps;
  const step = Math.floor(camps / (PER_KIND * 8));
  let slot = 0;
  const next = () => firstCamp + step * slot++;
  for (let i = 0; i < PER_KIND; i++) {
    const dup = next();
    plant('duplicate_code', dup, `KE${String(i + 1).padStart(2, '0')},KE01D01,3,Duplicate ${i},,,`);
    plant('unknown_parent', next(), `XP${i},NOWHERE${i},3,Orphan ${i},,,`);
    plant('wrong_level', next(), `WL${i},KE01,3,Too deep ${i},,,`);
    plant('missing_name', next(), `MN${i},KE01D01,3,,Sans nom ${i},,`);
    plant('bad_number', next(), `BN${i},KE01D01,3,Bad latitude ${i},,95.5,37`);
    const a = next();
    const b = next();
    plant('location_cycle', a, `CA${i},CB${i},3,Cycle A ${i},,,`);
    bad[b] = `CB${i},CA${i},3,Cycle B ${i},,,`;
    partners.add(b + 1);
    plant('bad_level', next(), `BL${i},KE01D01,three,Bad level ${i},,,`);
  }
  return { good, bad, planted, partners };
}

async function database(): Promise<{ url: string; close(): Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const name = `haven_bench_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    return {
      url: u.toString(),
      async close() {
        const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-bench-locations-'));
  const { lock } = await DataFolderLock.acquire(dataDir, 'benchmark');
  const server = await EmbeddedServer.start(dataDir);
  return {
    url: server.url(),
    async close() {
      await server.stop();
      await lock.release();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, performance.now() - started];
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 50_000);
  setLogLevel('error');
  const db = await database();
  try {
    await migrate(db.url);
    const env = loadEnv({ LOG_LEVEL: 'error', DATABASE_URL: db.url, HAVEN_CONFIG_DIR: path.resolve('configs') });
    const app = await createApp({ env, databaseKind: process.env.DATABASE_URL ? 'postgres' : 'embedded', databaseUrl: db.url });
    await ensureBootstrapAdmin(app.get(DataSource), 'admin', 'benchmark-password-1', () => undefined);
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    const base = `http://127.0.0.1:${address.port}/api/v1`;
    const login = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'benchmark-password-1' }) });
    const token = ((await login.json()) as { accessToken: string }).accessToken;
    const auth = { authorization: `Bearer ${token}` };
    const post = (csv: string, dryRun: boolean) =>
      fetch(`${base}/locations/import?dryRun=${dryRun}`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

    const [{ good, bad, planted, partners }, generateMs] = await timed(async () => hierarchy(rows));
    const badCsv = bad.join('\n');
    const goodCsv = good.join('\n');

    const [dry, dryMs] = await timed(() => post(badCsv, true));
    const problems = (dry.body.problems ?? []) as Array<{ row: number; code: string }>;
    const expected = [...planted.entries()].flatMap(([kind, list]) => list.map((p) => ({ kind, line: p.line })));
    const codeOf: Record<string, string> = { bad_level: 'bad_number' };
    const missed = expected.filter((e) => !problems.some((p) => p.row === e.line && p.code === (codeOf[e.kind] ?? e.kind)));
    const plantedLines = new Set([...expected.map((e) => e.line), ...partners]);
    const unexpected = problems.filter((p) => !plantedLines.has(p.row));

    const [refused, refusedMs] = await timed(() => post(badCsv, false));
    const [imported, importMs] = await timed(() => post(goodCsv, false));
    const [children, readMs] = await timed(() => fetch(`${base}/locations?parent=KE01D01&locale=fr`, { headers: auth }).then((r) => r.json() as Promise<{ total: number }>));
    const [exported, exportMs] = await timed(() => fetch(`${base}/locations/export`, { headers: auth }).then((r) => r.text()));
    const [again, againMs] = await timed(() => post(exported, true));
    // Any overlay change reloads the whole overlaid configuration, the big hierarchy included.
    const [overlay, overlayMs] = await timed(() =>
      fetch(`${base}/lookups/harmful_traditional_practice/overlay`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ add: [{ value: 'breast_ironing', label: 'Breast ironing' }] }),
      }).then((r) => r.status),
    );

    await app.close();
    console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PostgreSQL'}`);
    console.log(`CSV: ${rows} rows, ${(Buffer.byteLength(goodCsv) / 2 ** 20).toFixed(1)} MiB (generated in ${generateMs.toFixed(0)} ms); ${expected.length} planted errors (${PER_KIND} of each of ${planted.size} kinds)`);
    console.log('| step | result | ms |');
    console.log('| --- | --- | --- |');
    console.log(`| dry run, planted file | ${problems.length} problems reported, ${missed.length} planted missed, ${unexpected.length} unexpected | ${dryMs.toFixed(0)} |`);
    console.log(`| real run, planted file | ${refused.status}, nothing written | ${refusedMs.toFixed(0)} |`);
    console.log(`| real run, corrected file | ${imported.status}, ${JSON.stringify(imported.body.summary)} | ${importMs.toFixed(0)} |`);
    console.log(`| read children of one district (fr) | ${children.total} places | ${readMs.toFixed(0)} |`);
    console.log(`| export | ${exported.split('\n').length - 2} rows | ${exportMs.toFixed(0)} |`);
    console.log(`| dry run of the export | ${JSON.stringify(again.body.summary)} | ${againMs.toFixed(0)} |`);
    console.log(`| lookup overlay (reload with the hierarchy) | ${overlay} | ${overlayMs.toFixed(0)} |`);
    if (missed.length > 0 || unexpected.length > 0 || imported.status !== 200 || refused.status !== 400) process.exitCode = 1;
  } finally {
    await db.close();
  }
}

await main();
