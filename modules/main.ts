import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { logger, setLogLevel } from './common/logger.js';
import { createApp } from './create-app.js';
import { migrate } from './database/data-source.js';
import { LockHeldError } from './database/data-folder-lock.js';
import { openDatabase, type DatabaseHandle } from './database/open-database.js';
import { EnvError, loadEnv } from './settings/env.js';
import { ensureBootstrapAdmin } from './users/bootstrap-admin.js';
import { DataSource } from 'typeorm';

/**
 * Starts Haven: validate the environment, open the database (embedded or DATABASE_URL), apply migrations,
 * create the bootstrap administrator, serve HTTP. SIGTERM/SIGINT drain in-flight requests, close the pool and
 * stop the embedded database, in that order.
 */
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
    let code = 0;
    try {
      await app?.close();
    } catch (err) {
      code = 1;
      logger.error({ err: String(err) }, 'error while closing the HTTP server');
    }
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

void main();
