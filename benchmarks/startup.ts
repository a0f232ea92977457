/**
 * Time from process start to the first 200 from GET /api/v1/health, on a fresh data folder (embedded
 * database initialised) and on a second start that reopens it. Run: `npm run build && node dist/benchmarks/startup.js`
 * (or `npm run bench:startup`). Prints a markdown table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from '../modules/database/embedded-postgres.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function waitForHealth(port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Haven exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no health answer in time');
}

async function startOnce(dataDir: string): Promise<{ ms: number; stopMs: number }> {
  const port = await freeLoopbackPort();
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'dist/modules/main.js')], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', HAVEN_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'error', HAVEN_ADMIN_PASSWORD: 'benchmark-password-1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForHealth(port, child);
  const ms = performance.now() - started;
  const stopping = performance.now();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { ms, stopMs: performance.now() - stopping };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const rows: string[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-bench-start-'));
    try {
      const fresh = await startOnce(dataDir);
      const reopen = await startOnce(dataDir);
      rows.push(`| ${i + 1} | ${fresh.ms.toFixed(0)} | ${reopen.ms.toFixed(0)} | ${reopen.stopMs.toFixed(0)} |`);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }
  console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log('| run | first start (fresh data folder) ms | second start (reopen) ms | SIGTERM to exit ms |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}

void main();
