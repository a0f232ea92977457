import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh database cloned from the run's migrated template; drop it when the test file is done. */
export interface TestDatabase {
  url: string;
  name: string;
  kind: 'embedded' | 'postgres';
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.HAVEN_TEST_ADMIN_URL;
  const template = process.env.HAVEN_TEST_TEMPLATE;
  if (!adminUrl || !template) throw new Error('The test database cluster is not running (jest globalSetup did not run).');
  const name = `haven_t_${randomBytes(6).toString('hex')}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      break;
    } catch (err) {
      // Two files cloning the template at the same instant: "source database is being accessed by other users".
      if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  return {
    url: withDatabase(adminUrl, name),
    name,
    kind: (process.env.HAVEN_TEST_DB_KIND as 'embedded' | 'postgres') ?? 'embedded',
    async drop() {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
