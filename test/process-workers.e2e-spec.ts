import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../modules/database/data-folder-lock.js';
import { freeLoopbackPort } from '../modules/database/embedded-postgres.js';
import { cleanUp, launch, MAIN, postmasterPid, waitForHealth, within, type Proc } from './support/server-process.js';

/**
 * `HAVEN_WORKERS=2`: the built server as a cluster on the embedded database (a temporary data folder). The workers
 * share the port and the sessions (a token made by one is accepted by the other, and revoked on both), a worker
 * that dies is replaced, SIGTERM stops everything, and workers never outlive a killed primary.
 */
const ADMIN_PASSWORD = 'workers-test-password';

/** Process ids whose parent is `pid` (Linux /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …; comm may hold spaces, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(entry));
  }
  return out;
}

/** The primary's worker processes (its node children; the embedded PostgreSQL is a child too). */
async function workersOf(pid: number): Promise<number[]> {
  const kids = await childrenOf(pid);
  const nodes: number[] = [];
  for (const kid of kids) {
    const cmd = await fs.readFile(`/proc/${kid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('main.js')) nodes.push(kid);
  }
  return nodes.sort((a, b) => a - b);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the server as a cluster of workers (HAVEN_WORKERS)', () => {
  let dataDir: string;
  let port: number;
  let primary: Proc;
  const postgresPids = new Set<number>();
  const url = (p: string) => `http://127.0.0.1:${port}/api/v1${p}`;
  /** A fresh connection per request, so that the cluster spreads them over its workers. */
  const get = (p: string, token: string) => fetch(url(p), { headers: { authorization: `Bearer ${token}`, connection: 'close' } });

  beforeAll(async () => {
    await fs.access(MAIN).catch(() => {
      throw new Error(`${MAIN} is missing: run the tests with \`npm test\` (which builds first).`);
    });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-workers-'));
    port = await freeLoopbackPort();
  });

  afterAll(() => cleanUp(dataDir, postgresPids));

  const start = async () => {
    primary = launch([MAIN], { HAVEN_DATA_DIR: dataDir, PORT: String(port), HAVEN_ADMIN_PASSWORD: ADMIN_PASSWORD, HAVEN_WORKERS: '2', HAVEN_CHROMIUM_PATH: 'off' });
    await waitForHealth(port, primary, 90_000);
    const pg = await postmasterPid(dataDir);
    if (pg) postgresPids.add(pg);
    return until('two workers', async () => {
      const workers = await workersOf(primary.child.pid!);
      return workers.length === 2 ? workers : undefined;
    });
  };

  it('serves from two workers that share sessions: a token works on both, and a sign-out ends it on both', async () => {
    const workers = await start();
    expect(workers).toHaveLength(2);

    const login = await fetch(url('/auth/login'), { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    // Enough separate connections that both workers answer (the cluster hands connections out in turn).
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('/auth/me', accessToken).then((r) => r.status)));
    expect(answers).toEqual(Array(20).fill(200));

    const logout = await fetch(url('/auth/logout'), { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, connection: 'close' } });
    expect(logout.status).toBe(204);
    // The other worker drops the session from its cache when the database's notification reaches it (milliseconds).
    await until('the token refused by every worker', async () => {
      const statuses = await Promise.all(Array.from({ length: 10 }, () => get('/auth/me', accessToken).then((r) => r.status)));
      return statuses.every((s) => s === 401) ? true : undefined;
    }, 5_000);
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [victim, survivor] = await workersOf(primary.child.pid!);
    process.kill(victim, 'SIGKILL');
    const replaced = await until('a replacement worker', async () => {
      const now = await workersOf(primary.child.pid!);
      return now.length === 2 && !now.includes(victim) ? now : undefined;
    });
    expect(replaced).toContain(survivor);
    await waitForHealth(port, primary);
    expect(primary.child.exitCode).toBeNull();
  });

  it('stops every worker and then the database on SIGTERM, with exit code 0', async () => {
    const workers = await workersOf(primary.child.pid!);
    primary.child.kill('SIGTERM');
    const { code } = await within(primary.exited, 45_000, 'primary exit');
    expect(code).toBe(0);
    for (const pid of workers) expect(isProcessAlive(pid)).toBe(false);
    const pg = await postmasterPid(dataDir);
    expect(pg === undefined || !isProcessAlive(pg)).toBe(true);
  });

  it('leaves no worker behind when the primary is killed', async () => {
    const workers = await start();
    primary.child.kill('SIGKILL');
    await primary.exited;
    await until('the workers gone', async () => (workers.every((pid) => !isProcessAlive(pid)) ? true : undefined), 10_000);
  });
});
