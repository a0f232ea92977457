import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { logger, setLogLevel } from './common/logger.js';
import { createApp } from './create-app.js';
import { dataSourceOptions, migrate } from './database/data-source.js';
import { LockHeldError } from './database/data-folder-lock.js';
import { openDatabase, type DatabaseHandle, type DatabaseKind } from './database/open-database.js';
import { EnvError, loadEnv, type Env } from './settings/env.js';
import { ensureBootstrapAdmin } from './users/bootstrap-admin.js';
import { DataSource } from 'typeorm';

/**
 * Starts Haven: validate the environment, open the database (embedded or DATABASE_URL), apply migrations,
 * create the bootstrap administrator, serve HTTP. SIGTERM/SIGINT drain in-flight requests, close the pool and
 * stop the embedded database, in that order.
 *
 * With `HAVEN_WORKERS` > 1 this process does all of that except serving HTTP: it forks that many worker processes
 * (Node cluster), which share the port and are app instances like separate servers (their caches are kept in step
 * through the database's notifications, background jobs take turns through the database). A worker that dies is
 * started again; a worker whose primary is gone (even killed) exits at once. On SIGTERM the primary stops the
 * workers (each drains its requests) before it stops the database.
 */

/** How the primary tells its workers which database to use (the embedded server's address is only known once started). */
const WORKER_DATABASE = 'HAVEN_WORKER_DATABASE';
/** A worker that keeps dying is started again after this long (not in a tight loop). */
const RESTART_DELAY_MS = 1_000;
/** Workers still running this long after SIGTERM are killed. */
const WORKER_STOP_MS = 30_000;

async function main(): Promise<void> {
  let env;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(`Haven cannot start: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  setLogLevel(env.logLevel);

  let db: DatabaseHandle | undefined;
  let opening: Promise<DatabaseHandle | undefined> = Promise.resolve(undefined);
  let app: NestExpressApplication | undefined;
  let stopping = false;
  // Registered before the database opens, so that a signal during start still stops the embedded server.
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    let code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    try {
      await app?.close();
    } catch (err) {
      code = 1;
      logger.error({ err: String(err) }, 'error while closing the HTTP server');
    }
    for (const step of beforeDatabaseStops) await step().catch((err: unknown) => logger.error({ err: String(err) }, 'error while stopping the workers'));
    try {
      // A signal while the embedded server is starting waits for the start, then stops it.
      await (db ?? (await opening.catch(() => undefined)))?.close();
    } catch (err) {
      code = 1;
      logger.error({ err: String(err) }, 'error while stopping the database');
    }
    logger.info('stopped');
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    opening = openDatabase(env, 'server');
    db = await opening;
  } catch (err) {
    console.error(`Haven cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof LockHeldError ? 3 : 1);
  }
  if (stopping || !db) return;

  if (env.workers > 1) {
    await serveWithWorkers(env, db, () => stopping);
    return;
  }
  try {
    const applied = await migrate(db.url);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
    app = await createApp({ env, databaseKind: db.kind, databaseUrl: db.url });
    await ensureBootstrapAdmin(app.get(DataSource), env.adminUser, env.adminPassword, (line) => console.log(line));
    await app.listen(env.port, env.host);
    logger.info({ host: env.host, port: env.port, database: db.kind }, `Haven is listening on http://${env.host}:${env.port}/api/v1`);
  } catch (err) {
    logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'start failed');
    await app?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    process.exit(1);
  }
}

/** The primary of a cluster: migrations and the bootstrap administrator once, then the workers. */
async function serveWithWorkers(env: Env, db: DatabaseHandle, stopping: () => boolean): Promise<void> {
  try {
    const applied = await migrate(db.url);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
    const ds = new DataSource(dataSourceOptions(db.url, 1));
    await ds.initialize();
    try {
      await ensureBootstrapAdmin(ds, env.adminUser, env.adminPassword, (line) => console.log(line));
    } finally {
      await ds.destroy();
    }
  } catch (err) {
    logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'start failed');
    await db.close().catch(() => undefined);
    process.exit(1);
  }
  const workerEnv = { [WORKER_DATABASE]: JSON.stringify({ kind: db.kind, url: db.url }) };
  const workers = new Set<Worker>();
  let listening = 0;
  const fork = () => {
    const worker = cluster.fork(workerEnv);
    workers.add(worker);
    let listened = false;
    worker.once('listening', () => {
      listened = true;
      listening += 1;
      if (listening === env.workers) logger.info({ host: env.host, port: env.port, database: db.kind, workers: env.workers }, `Haven is listening on http://${env.host}:${env.port}/api/v1`);
    });
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      if (stopping()) return;
      if (!listened && listening === 0) {
        // No worker ever started (a port in use, a broken configuration): stop rather than retry for ever.
        logger.error({ pid: worker.process.pid, code, signal }, 'a worker could not start; stopping');
        process.exitCode = 1;
        process.kill(process.pid, 'SIGTERM');
        return;
      }
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker stopped; starting another');
      setTimeout(() => {
        if (!stopping()) fork();
      }, RESTART_DELAY_MS).unref();
    });
  };
  for (let i = 0; i < env.workers; i++) fork();
  // The shutdown handler of main() stops the database; the workers must be gone first.
  const stopWorkers = async () => {
    const exits = [...workers].map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
    for (const worker of workers) worker.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const worker of workers) worker.process.kill('SIGKILL');
    }, WORKER_STOP_MS);
    await Promise.all(exits);
    clearTimeout(timer);
  };
  beforeDatabaseStops.push(stopWorkers);
}

/** Steps the shutdown runs before it stops the database (a cluster's workers). */
const beforeDatabaseStops: Array<() => Promise<void>> = [];

/** A worker of a cluster: the app on the database its primary opened, serving HTTP on the shared port. */
async function workerMain(): Promise<void> {
  const env = loadEnv();
  setLogLevel(env.logLevel);
  const { kind, url } = JSON.parse(process.env[WORKER_DATABASE] as string) as { kind: DatabaseKind; url: string };
  let app: NestExpressApplication | undefined;
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, pid: process.pid }, 'worker shutting down');
    let code = 0;
    try {
      await app?.close();
    } catch (err) {
      code = 1;
      logger.error({ err: String(err) }, 'error while closing the HTTP server');
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Ctrl-C reaches the whole process group: the primary decides when workers stop.
  process.on('SIGINT', () => undefined);
  // The primary is gone (killed, crashed): serve nothing more without it.
  process.on('disconnect', () => process.exit(1));
  try {
    app = await createApp({ env, databaseKind: kind, databaseUrl: url });
    await app.listen(env.port, env.host);
  } catch (err) {
    logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'worker start failed');
    await app?.close().catch(() => undefined);
    process.exit(1);
  }
}

if (cluster.isWorker) void workerMain();
else void main();
