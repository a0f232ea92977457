/**
 * Crash safety of record writes: per database, `--cycles` (default 20) rounds of "4 clients stream creates and
 * PATCHes, SIGKILL the server at a random moment, restart it, check every acknowledged write and that nothing is
 * half-applied" (benchmarks/support/crash-harness.ts). On the embedded database every other round also SIGKILLs
 * PostgreSQL itself (crash recovery from the WAL, not only the orphan stop). Prints a markdown table; exits 1 on
 * any violation.
 *
 * Run: `npm run bench:crash [-- --db embedded|postgres|both] [--cycles 20] [--clients 4]`
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setLogLevel } from '../modules/common/logger.js';
import { runCrashCycles, type CrashReport } from './support/crash-harness.js';
import { adminQuery, databaseKinds, fmt, machine, numberArg, percentile, withDatabase, type DatabaseKind } from './support/bench-env.js';

const CYCLES = Math.max(1, numberArg('cycles', 20));
const CLIENTS = Math.max(1, numberArg('clients', 4));

async function run(kind: DatabaseKind): Promise<CrashReport> {
  if (kind === 'postgres') {
    const server = process.env.DATABASE_URL!;
    const name = `haven_crash_${Date.now().toString(36)}_${process.pid}`;
    await adminQuery(server, `CREATE DATABASE "${name}"`);
    try {
      return await runCrashCycles({ target: { kind, serverEnv: { DATABASE_URL: withDatabase(server, name) } }, cycles: CYCLES, clients: CLIENTS, seed: 11, log: console.error });
    } finally {
      await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-crash-'));
  try {
    return await runCrashCycles({
      target: { kind, serverEnv: { DATABASE_URL: '', HAVEN_DATA_DIR: dataDir } },
      cycles: CYCLES,
      clients: CLIENTS,
      seed: 11,
      killDatabase: true,
      log: console.error,
    });
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  setLogLevel(process.env.LOG_LEVEL ?? 'error');
  const results: Array<{ kind: DatabaseKind; report: CrashReport }> = [];
  for (const kind of databaseKinds()) {
    console.error(`${kind}: ${CYCLES} kill cycles, ${CLIENTS} clients`);
    results.push({ kind, report: await run(kind) });
  }
  console.log(`\n${machine()}; ${CLIENTS} clients, SIGKILL after 0.3–1.5 s of load each cycle.\n`);
  console.log('| database | kill cycles | acknowledged creates | acknowledged updates | in flight at the kills | of which committed | records checked | restart after kill p50 / max ms | violations |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  let failed = false;
  for (const { kind, report: r } of results) {
    const sorted = [...r.restartMs].sort((a, b) => a - b);
    console.log(
      `| ${kind}${kind === 'embedded' ? ' (PostgreSQL also killed every other cycle)' : ''} | ${r.cycles} | ${fmt(r.acknowledgedCreates)} | ${fmt(r.acknowledgedUpdates)} | ${fmt(r.inFlight)} | ${fmt(r.committedUnacknowledged)} | ${fmt(r.records)} | ` +
        `${percentile(sorted, 50).toFixed(0)} / ${(sorted[sorted.length - 1] ?? 0).toFixed(0)} | ${r.violations.length} |`,
    );
    if (r.violations.length > 0) {
      failed = true;
      console.log(`\n${kind} violations:\n${r.violations.slice(0, 50).map((v) => `- ${v}`).join('\n')}\n`);
    }
    if (r.errors.length > 0) console.log(`\n${kind}: ${r.errors.length} unexpected answer(s), e.g. ${[...new Set(r.errors)].slice(0, 5).join('; ')}\n`);
  }
  process.exit(failed ? 1 : 0);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
