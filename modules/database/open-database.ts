import pg from 'pg';
import { logger } from '../common/logger.js';
import type { Env } from '../settings/env.js';
import { DataFolderLock, LockHeldError, isProcessAlive } from './data-folder-lock.js';
import { EmbeddedServer } from './embedded-postgres.js';
import { readRuntimeInfo, removeRuntimeInfo, writeRuntimeInfo } from './runtime-file.js';

export type DatabaseKind = 'embedded' | 'postgres';

/** A database Haven can talk to, and how to let go of it. */
export interface DatabaseHandle {
  kind: DatabaseKind;
  url: string;
  /** True when this process started the embedded server (and must stop it). */
  owned: boolean;
  close(): Promise<void>;
}

export async function serverMajorVersion(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    return Math.floor(Number(rows[0].server_version_num) / 10000);
  } finally {
    await client.end();
  }
}

/**
 * Opens the database Haven should use: `DATABASE_URL` when set, else the embedded server in the data folder.
 *
 * - purpose `server`: takes the data-folder lock (refusing when another live Haven holds it), recovers from a
 *   killed predecessor, starts the embedded server and publishes the runtime file.
 * - purpose `cli`: when a live Haven holds the lock, connects through its runtime file; otherwise behaves like
 *   `server` for the duration of the command (without publishing a runtime file).
 */
export async function openDatabase(env: Env, purpose: 'server' | 'cli'): Promise<DatabaseHandle> {
  if (env.databaseUrl) {
    return { kind: 'postgres', url: env.databaseUrl, owned: false, close: async () => undefined };
  }
  let lock: DataFolderLock;
  try {
    const acquired = await DataFolderLock.acquire(env.dataDir, purpose);
    lock = acquired.lock;
    if (acquired.staleOwner) {
      logger.warn({ pid: acquired.staleOwner.pid }, 'the previous Haven on this data folder did not stop cleanly; recovering');
    }
  } catch (err) {
    if (err instanceof LockHeldError && purpose === 'cli') {
      const info = await readRuntimeInfo(env.dataDir);
      if (info && info.pid === err.owner.pid && isProcessAlive(info.pid)) {
        return { kind: 'embedded', url: info.url, owned: false, close: async () => undefined };
      }
      throw new Error(`${err.message} It has not published its database address yet; try again in a moment.`, { cause: err });
    }
    throw err;
  }
  let server: EmbeddedServer;
  try {
    await removeRuntimeInfo(env.dataDir);
    server = await EmbeddedServer.start(env.dataDir);
  } catch (err) {
    await lock.release();
    throw err;
  }
  const url = server.url();
  if (purpose === 'server') {
    await writeRuntimeInfo(env.dataDir, { pid: process.pid, url, port: server.port, database: 'haven', postgresMajor: await serverMajorVersion(url) });
  }
  let closed = false;
  return {
    kind: 'embedded',
    url,
    owned: true,
    async close() {
      if (closed) return;
      closed = true;
      await removeRuntimeInfo(env.dataDir).catch(() => undefined);
      await server.stop();
      await lock.release();
    },
  };
}
