import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { createApp } from '../../modules/create-app.js';
import { loadEnv } from '../../modules/settings/env.js';
import { setLogLevel } from '../../modules/common/logger.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestApp {
  app: NestExpressApplication;
  db: TestDatabase;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/** The real application on its own fresh database, driven over HTTP with supertest. */
export async function startTestApp(envOverrides: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const env = loadEnv({ LOG_LEVEL: 'silent', ...envOverrides, DATABASE_URL: db.url });
  setLogLevel(env.logLevel);
  const app = await createApp({ env, databaseKind: db.kind, databaseUrl: db.url });
  const server = app.getHttpServer();
  return {
    app,
    db,
    http: () => request(server),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/**
 * Whether `check` holds within about 2 s (polled every 20 ms). For changes that reach the app through the database's
 * notices on a connection of their own (users' facts changed by plain SQL): the next request may come first.
 */
export async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true;
    await sleep(20);
  }
  return false;
}
