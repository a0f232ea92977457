import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCrashCycles, type CrashTarget } from '../benchmarks/support/crash-harness.js';
import { MAIN } from '../benchmarks/support/haven-process.js';
import { isProcessAlive } from '../modules/database/data-folder-lock.js';
import { createTestDatabase } from './support/test-database.js';

/**
 * The built server killed with SIGKILL three times while clients create and PATCH incidents: after each restart
 * every acknowledged write is there with its history and audit rows, and nothing is half-applied (the harness in
 * benchmarks/support/crash-harness.ts; `npm run bench:crash` runs 20 cycles per database). On the embedded
 * database the server runs in a data folder of its own; on a PostgreSQL server (DATABASE_URL) in a database of
 * its own.
 */
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function target(): Promise<CrashTarget> {
  if (process.env.HAVEN_TEST_DB_KIND === 'postgres') {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    return { kind: 'postgres', serverEnv: { DATABASE_URL: db.url } };
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-crash-test-'));
  cleanups.push(async () => {
    // A failure between a kill and the restart leaves the orphaned database server running: stop it.
    const pid = Number((await fs.readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (pid > 0 && isProcessAlive(pid)) {
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  return { kind: 'embedded', serverEnv: { DATABASE_URL: '', HAVEN_DATA_DIR: dataDir } };
}

describe('crash safety of record writes', () => {
  it('keeps every acknowledged create and PATCH, and half-applies nothing, across three SIGKILLs', async () => {
    await fs.access(MAIN).catch(() => {
      throw new Error(`${MAIN} is missing: run the tests with \`npm test\` (which builds first).`);
    });
    const report = await runCrashCycles({ target: await target(), cycles: 3, clients: 3, loadMs: [300, 900], seed: 5 });
    expect(report.violations).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(report.acknowledgedCreates).toBeGreaterThan(0);
    expect(report.acknowledgedUpdates).toBeGreaterThan(0);
    expect(report.records).toBeGreaterThanOrEqual(report.acknowledgedCreates);
  }, 150_000);
});
