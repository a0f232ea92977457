import { spawn, type ChildProcess } from 'node:child_process';
import { isProcessAlive } from '../../modules/database/data-folder-lock.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built server (`node dist/modules/main.js`) as child processes of a test, and how to wait for it. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(root, 'dist/modules/main.js');

export interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every process launched (a test's afterAll kills those still running). */
export const procs: Proc[] = [];

/** Starts `node <args>` in the repository root, without the test run's DATABASE_URL and HAVEN_TEST_* variables. */
export function launch(args: string[], env: Record<string, string>): Proc {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env };
  for (const k of Object.keys(childEnv)) if ((k === 'DATABASE_URL' && env.DATABASE_URL === undefined) || k.startsWith('HAVEN_TEST_')) delete childEnv[k];
  const child = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const proc = { child, out: () => out, exited };
  procs.push(proc);
  return proc;
}

export async function health(port: number): Promise<{ status: number; body: { status?: string; database?: { kind?: string } } } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: (await res.json()) as { status?: string; database?: { kind?: string } } };
  } catch {
    return undefined;
  }
}

/** Waits for a 200 health answer; returns the milliseconds it took. */
export async function waitForHealth(port: number, proc: Proc, timeoutMs = 45_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`Haven exited (${proc.child.exitCode ?? proc.child.signalCode}) before answering:\n${proc.out()}`);
    const res = await health(port);
    if (res?.status === 200) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`No health answer on port ${port} within ${timeoutMs} ms:\n${proc.out()}`);
}

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The pid of the embedded PostgreSQL of a data folder (its postmaster.pid), if it has one. */
export async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    return Number((await fs.readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return undefined;
  }
}

/**
 * A test's clean-up: kills the launched processes still running, stops the embedded PostgreSQL servers they left
 * (`postgresPids` and the data folder's current one), and removes the data folder.
 */
export async function cleanUp(dataDir: string, postgresPids: Set<number>): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => within(p.exited, 10_000, 'exit').catch(() => undefined)));
  const last = await postmasterPid(dataDir);
  if (last) postgresPids.add(last);
  for (const pid of postgresPids) {
    if (!isProcessAlive(pid)) continue;
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await fs.rm(dataDir, { recursive: true, force: true });
}
