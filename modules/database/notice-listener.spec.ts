import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, withClient, type TestDatabase } from '../../test/support/test-database.js';
import { NoticeListener } from './notice-listener.js';

/** The reconnecting LISTEN connection on a real database: notices, a killed connection, the way back, and stop. */

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('NoticeListener', () => {
  let db: TestDatabase;
  const notify = (payload: string) => withClient(db.url, (c) => c.query(`SELECT pg_notify('spec_channel', $1)`, [payload]));
  const terminate = () => withClient(db.url, (c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'haven-spec-listener'`));
  const connections = async () =>
    withClient(db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'haven-spec-listener'`)).rows[0].n as number);

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('delivers notices, reports a lost connection, comes back by itself and listens again', async () => {
    const heard: string[] = [];
    const events: string[] = [];
    const listener = new NoticeListener({
      url: db.url,
      channel: 'spec_channel',
      name: 'haven-spec-listener',
      what: 'spec notices',
      onNotice: (p) => heard.push(p),
      onUp: () => events.push('up'),
      onDown: () => events.push('down'),
    });
    try {
      await listener.start();
      expect(listener.up).toBe(true);
      await notify('one');
      await until('the first notice', () => heard.includes('one'));

      await terminate();
      await until('the loss to be noticed', () => events.includes('down'));
      expect(listener.up).toBe(false);
      await until('the reconnection', () => listener.up);
      expect(events).toEqual(['up', 'down', 'up']);
      expect(await connections()).toBe(1);
      await notify('two');
      await until('a notice after the reconnection', () => heard.includes('two'));
      expect(heard.filter((p) => p === 'two')).toHaveLength(1);
    } finally {
      await listener.stop();
    }
    expect(listener.up).toBe(false);
    expect(await connections()).toBe(0);
  });

  it('keeps retrying while the database refuses, and stops retrying once stopped', async () => {
    const events: string[] = [];
    const listener = new NoticeListener({
      url: db.url.replace(/\/[^/]+$/, '/haven_no_such_database'),
      channel: 'spec_channel',
      name: 'haven-spec-listener',
      what: 'spec notices',
      onNotice: () => undefined,
      onDown: () => events.push('down'),
    });
    await listener.start();
    expect(listener.up).toBe(false);
    expect(events).toEqual(['down']);
    await listener.stop();
    expect(listener.up).toBe(false);
  });
});
