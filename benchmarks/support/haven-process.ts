import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freeLoopbackPort } from '../../modules/database/embedded-postgres.js';
import { repoRoot } from './bench-env.js';

/**
 * The built server as a child process (`node dist/modules/main.js`), the way an operator runs it: start, wait for
 * health, sign in, read its CPU time, stop or SIGKILL it. Used by the create and crash-safety benchmarks and by
 * test/crash-safety.e2e-spec.ts.
 */

export const MAIN = path.join(repoRoot, 'dist/modules/main.js');

export interface HavenProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly base: string;
  /** Everything the process wrote (stdout + stderr), for error messages. */
  out(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts Haven with `env` on a free port and resolves once GET /health answers 200. `main` runs another build of
 * the server (e.g. a copy of an earlier revision's `dist/`, to compare two revisions in the same minutes).
 */
export async function startHaven(env: Record<string, string>, timeoutMs = 60_000, main: string = MAIN): Promise<HavenProcess> {
  const port = await freeLoopbackPort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'error', HOST: '127.0.0.1', ...env, PORT: String(port) };
  // The jest harness's own variables are not the server's business.
  for (const key of Object.keys(childEnv)) if (key.startsWith('HAVEN_TEST_')) delete childEnv[key];
  if (childEnv.DATABASE_URL === '') delete childEnv.DATABASE_URL;
  // HAVEN_BENCH_NODE_ARGS: extra node flags for the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it).
  const nodeArgs = (process.env.HAVEN_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, main], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const proc: HavenProcess = { child, port, base: `http://127.0.0.1:${port}/api/v1`, out: () => out, exited };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Haven exited (${child.exitCode ?? child.signalCode}) before answering:\n${out}`);
    try {
      const res = await fetch(`${proc.base}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return proc;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`Haven gave no health answer within ${timeoutMs} ms:\n${out}`);
}

export async function stopHaven(proc: HavenProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
  await proc.exited;
}

/** Signs in and returns the bearer token (demo users have no second factor). */
export async function login(base: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { accessToken?: string; secondFactorRequired?: boolean };
  if (res.status !== 200 || !body.accessToken) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(body)}`);
  if (body.secondFactorRequired) throw new Error(`login ${username}: a second factor is required`);
  return body.accessToken;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces, inside parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * User + system CPU milliseconds Haven has used so far: the process and, with `HAVEN_WORKERS` > 1, its worker
 * processes (its children running the server; not the embedded PostgreSQL, also its child). Linux /proc;
 * undefined elsewhere.
 */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  const own = statFields(pid);
  if (own === undefined) return undefined;
  // utime is the 14th field of the line, stime the 15th (11th and 12th after the name); 100 ticks per second.
  let ticks = Number(own[11]) + Number(own[12]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields === undefined || Number(fields[1]) !== pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('main.js')) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / 100;
}
