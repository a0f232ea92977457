import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openArchive } from '../modules/backup/index.js';
import { isProcessAlive } from '../modules/database/data-folder-lock.js';
import { freeLoopbackPort } from '../modules/database/embedded-postgres.js';
import { cleanUp, health, launch, MAIN, postmasterPid, root, waitForHealth, within, type Proc } from './support/server-process.js';
import { withClient } from './support/test-database.js';

/**
 * The built server as the operating system sees it: child processes of `node dist/modules/main.js` on the
 * embedded database in a temporary data folder. First start, a second start on the same folder, SIGKILL and
 * recovery from the orphaned PostgreSQL, a CLI connecting through the runtime file, clean SIGTERM, bad env.
 */
const ADMIN_PASSWORD = 'lifecycle-test-password';

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

describe('the server process on the embedded database', () => {
  let dataDir: string;
  let env: (port: number) => Record<string, string>;
  const postgresPids = new Set<number>();
  let first: Proc;
  let firstPort: number;

  beforeAll(async () => {
    await fs.access(MAIN).catch(() => {
      throw new Error(`${MAIN} is missing: run the tests with \`npm test\` (which builds first).`);
    });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-lifecycle-'));
    env = (port) => ({ HAVEN_DATA_DIR: dataDir, PORT: String(port), HAVEN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  });

  afterAll(() => cleanUp(dataDir, postgresPids));

  it('(a) a first start initialises the embedded database and answers health', async () => {
    firstPort = await freeLoopbackPort();
    first = launch([MAIN], env(firstPort));
    const ms = await waitForHealth(firstPort, first);
    console.log(`time to first health answer on a new data folder: ${ms} ms`);
    const res = await health(firstPort);
    expect(res).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok', database: { kind: 'embedded' } }) });
    const pid = await postmasterPid(dataDir);
    expect(pid && isProcessAlive(pid)).toBeTruthy();
    postgresPids.add(pid!);
    expect(await exists(path.join(dataDir, 'haven.lock'))).toBe(true);
    expect(await exists(path.join(dataDir, 'haven.runtime.json'))).toBe(true);
  });

  it('(b) a second server on the same data folder exits non-zero, naming the folder and the process', async () => {
    const second = launch([MAIN], env(await freeLoopbackPort()));
    const { code } = await within(second.exited, 30_000, 'second server');
    expect(code).not.toBe(0);
    const lines = second.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(dataDir);
    expect(lines[0]).toContain(`process ${first.child.pid}`);
    expect((await health(firstPort))?.status).toBe(200);
  });

  it('(e) a CLI run while the server runs connects through the runtime file', async () => {
    const file = path.join(dataDir, 'backups', 'while-running.havenbak');
    const cli = launch([path.join(root, 'dist/modules/cli/backup.js'), file], env(0));
    const { code } = await within(cli.exited, 30_000, 'backup CLI');
    expect({ code, out: cli.out() }).toEqual({ code: 0, out: expect.stringMatching(/^Backup written: .*while-running\.havenbak/) });
    expect((await openArchive(file)).manifest.tables.app_user).toBe(1);
    // It used the server's database: the cluster was not restarted, and the lock is still the server's.
    expect(await postmasterPid(dataDir)).toBe([...postgresPids][0]);
    expect(JSON.parse(await fs.readFile(path.join(dataDir, 'haven.lock'), 'utf8')).pid).toBe(first.child.pid);
  });

  it('(c) after SIGKILL the orphaned PostgreSQL is stopped by the next start, and the data is kept', async () => {
    first.child.kill('SIGKILL');
    await within(first.exited, 10_000, 'SIGKILL');
    const orphan = await postmasterPid(dataDir);
    expect(orphan).toBeDefined();
    expect(isProcessAlive(orphan!)).toBe(true);

    const port = await freeLoopbackPort();
    const next = launch([MAIN], env(port));
    const ms = await waitForHealth(port, next);
    console.log(`time to health after recovering from SIGKILL: ${ms} ms`);
    expect(next.out()).toMatch(/orphaned embedded PostgreSQL/);
    const current = await postmasterPid(dataDir);
    expect(current).not.toBe(orphan);
    postgresPids.add(current!);
    expect(isProcessAlive(orphan!)).toBe(false);

    const runtime = JSON.parse(await fs.readFile(path.join(dataDir, 'haven.runtime.json'), 'utf8')) as { pid: number; url: string };
    expect(runtime.pid).toBe(next.child.pid);
    const users = await withClient(runtime.url, async (c) => (await c.query<{ n: number; name: string }>(`SELECT count(*)::int AS n, min(username) AS name FROM app_user`)).rows[0]);
    expect(users).toEqual({ n: 1, name: 'admin' });
    first = next;
  });

  it('(d) SIGTERM stops cleanly: exit 0, PostgreSQL stopped, lock and runtime file removed', async () => {
    const pg = await postmasterPid(dataDir);
    expect(pg && isProcessAlive(pg)).toBeTruthy();
    first.child.kill('SIGTERM');
    const { code, signal } = await within(first.exited, 30_000, 'SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(isProcessAlive(pg!)).toBe(false);
    expect(await exists(path.join(dataDir, 'haven.lock'))).toBe(false);
    expect(await exists(path.join(dataDir, 'haven.runtime.json'))).toBe(false);
    expect(await exists(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('(g) a stale postmaster.pid naming an unrelated live process (power loss, PID reused) is removed, not signalled', async () => {
    const bystander = launch(['-e', 'setTimeout(() => undefined, 60_000)'], {});
    await new Promise((r) => setTimeout(r, 100));
    expect(isProcessAlive(bystander.child.pid!)).toBe(true);
    await fs.writeFile(path.join(dataDir, 'pg', 'postmaster.pid'), `${bystander.child.pid}\n${path.join(dataDir, 'pg')}\n`, { mode: 0o644 });
    const port = await freeLoopbackPort();
    const server = launch([MAIN], env(port));
    await waitForHealth(port, server);
    expect(server.out()).toMatch(/not this database server; removing the stale file/);
    expect(bystander.child.exitCode).toBeNull();
    expect(bystander.child.signalCode).toBeNull();
    postgresPids.add((await postmasterPid(dataDir))!);
    server.child.kill('SIGTERM');
    expect(await within(server.exited, 30_000, 'SIGTERM')).toEqual({ code: 0, signal: null });
    bystander.child.kill('SIGKILL');
  });

  it('(f) a wrong environment value stops the start with one line naming the variable', async () => {
    const bad = launch([MAIN], { ...env(0), PORT: 'abc' });
    const { code } = await within(bad.exited, 30_000, 'PORT=abc');
    expect(code).not.toBe(0);
    const lines = bad.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/PORT.*abc/);
  });
});
