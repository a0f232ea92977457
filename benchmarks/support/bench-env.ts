import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase } from '../../modules/database/open-database.js';
import { loadEnv, type Env } from '../../modules/settings/env.js';

/** Shared by the record benchmarks: fresh databases of either kind, the machine line, percentiles. */

export type DatabaseKind = 'embedded' | 'postgres';

export interface BenchDatabase {
  readonly kind: DatabaseKind;
  readonly url: string;
  /** The environment a CLI or server would see for this database (embedded: its data folder). */
  readonly env: Env;
  /** Embedded: the data folder (the server is stopped by close()). */
  readonly dataDir?: string;
  close(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Which databases to run on: `--db embedded|postgres|both`; default both when DATABASE_URL is set, else embedded. */
export function databaseKinds(argv: readonly string[] = process.argv): DatabaseKind[] {
  const at = argv.indexOf('--db');
  const wanted = at > 0 ? argv[at + 1] : process.env.DATABASE_URL ? 'both' : 'embedded';
  if (wanted === 'both') return process.env.DATABASE_URL ? ['embedded', 'postgres'] : ['embedded'];
  if (wanted === 'postgres' && !process.env.DATABASE_URL) throw new Error('--db postgres needs DATABASE_URL (a server where the benchmark may create a database).');
  if (wanted !== 'embedded' && wanted !== 'postgres') throw new Error(`--db takes embedded, postgres or both, got "${wanted}".`);
  return [wanted];
}

export function numberArg(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const at = argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a number, got "${argv[at + 1]}".`);
  return value;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository (works from the sources and from dist/). */
export const repoRoot = [path.resolve(here, '../..'), path.resolve(here, '../../..')].find((dir) => existsSync(path.join(dir, 'configs', 'core'))) ?? process.cwd();

const BENCH_ENV = { LOG_LEVEL: 'error', HAVEN_ADMIN_PASSWORD: 'benchmark-admin-password', HAVEN_CONFIG_DIR: path.join(repoRoot, 'configs') };

/**
 * A database of its own for one benchmark run: a new embedded cluster in a temporary folder (started here,
 * stopped and removed by close()), or a new database on the DATABASE_URL server (dropped by close()).
 */
export async function freshDatabase(kind: DatabaseKind): Promise<BenchDatabase> {
  if (kind === 'postgres') {
    const server = process.env.DATABASE_URL!;
    const name = `haven_bench_${Date.now().toString(36)}_${process.pid}`;
    await adminQuery(server, `CREATE DATABASE "${name}"`);
    const url = withDatabase(server, name);
    return {
      kind,
      url,
      env: loadEnv({ ...BENCH_ENV, DATABASE_URL: url }),
      close: () => adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    };
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-bench-'));
  const env = loadEnv({ ...BENCH_ENV, HAVEN_DATA_DIR: dataDir });
  const handle = await openDatabase(env, 'cli');
  return {
    kind,
    url: handle.url,
    env,
    dataDir,
    async close() {
      await handle.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty data folder or server database for a spawned Haven (no server started here). */
export async function freshServerTarget(kind: DatabaseKind): Promise<{ env: Record<string, string>; url?: string; dataDir?: string; close(): Promise<void> }> {
  if (kind === 'postgres') {
    const server = process.env.DATABASE_URL!;
    const name = `haven_bench_${Date.now().toString(36)}_${process.pid}`;
    await adminQuery(server, `CREATE DATABASE "${name}"`);
    const url = withDatabase(server, name);
    return { env: { DATABASE_URL: url }, url, close: () => adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-bench-'));
  return { env: { DATABASE_URL: '', HAVEN_DATA_DIR: dataDir }, dataDir, close: () => fs.rm(dataDir, { recursive: true, force: true }) };
}

export async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]!.server_version.split(' ')[0]!;
  } finally {
    await client.end();
  }
}

/** One line for the results: Node, CPUs, memory, and how busy the machine was. */
export function machine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
  return `Node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}; load average ${load} (1/5/15 min)`;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Timing {
  readonly runs: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
}

export function timing(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length),
  };
}

export const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `--reuse <url>`: a database an earlier `--keep` run seeded, measured again without seeding. */
export function reuseArg(argv: readonly string[] = process.argv): string | undefined {
  const at = argv.indexOf('--reuse');
  if (at < 0) return undefined;
  const url = argv[at + 1];
  if (!url || url.startsWith('--')) throw new Error('--reuse takes the URL a --keep run printed.');
  return url;
}

/** A server database kept by an earlier run (`--reuse`); close() leaves it in place (drop it by hand when done). */
export function reusedDatabase(kind: DatabaseKind, url: string): BenchDatabase {
  if (kind !== 'postgres') throw new Error('--reuse works with --db postgres (an embedded cluster is removed when its run ends).');
  return { kind, url, env: loadEnv({ ...BENCH_ENV, DATABASE_URL: url }), close: async () => undefined };
}
