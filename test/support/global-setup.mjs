// Runs once per test run, before the workers start (they inherit the variables set here). Plain ESM over the
// built server (`npm test` builds first), because jest loads global setup outside its module transform.
//
// The database server: DATABASE_URL when set (CI's PostgreSQL server), otherwise an embedded PostgreSQL started
// for the run in a temporary folder. A template database is migrated once; every test file clones it
// (CREATE DATABASE ... TEMPLATE ...), so files are isolated and can run in parallel.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../dist/modules/database/data-source.js';
import { DataFolderLock } from '../../dist/modules/database/data-folder-lock.js';
import { EmbeddedServer } from '../../dist/modules/database/embedded-postgres.js';

function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(adminUrl, sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export default async function globalSetup() {
  const template = `haven_tpl_${process.pid}_${Date.now().toString(36)}`;
  let adminUrl;
  let stopServer = async () => undefined;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
    process.env.HAVEN_TEST_DB_KIND = 'postgres';
  } else {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-test-'));
    const { lock } = await DataFolderLock.acquire(dataDir, 'test');
    const server = await EmbeddedServer.start(dataDir);
    adminUrl = server.url('postgres');
    process.env.HAVEN_TEST_DB_KIND = 'embedded';
    stopServer = async () => {
      await server.stop();
      await lock.release();
      await fs.rm(dataDir, { recursive: true, force: true });
    };
  }
  await adminQuery(adminUrl, `CREATE DATABASE "${template}"`);
  await migrate(withDatabase(adminUrl, template));
  process.env.HAVEN_TEST_ADMIN_URL = adminUrl;
  process.env.HAVEN_TEST_TEMPLATE = template;
  globalThis.__HAVEN_TEST_TEARDOWN__ = async () => {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`).catch(() => undefined);
    await stopServer();
  };
}
