import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { DatabaseFileSink } from '../modules/exports/file-sink.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * The sink an export streams its file into: rows of `export_file` written by binary COPY inside the caller's
 * transaction. What goes in comes out byte for byte, in rows of at least the chunk size, and a writer's chunk is
 * released only once the server holds it; a refused row fails the stream, and a rolled back transaction keeps nothing.
 */
describe('exports: the file sink', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const [user] = (await client.query(`INSERT INTO app_user (username, password_hash, full_name, locale, roles) VALUES ('sink.tester', 'x', 'Sink tester', 'en', '{}') RETURNING id`)).rows;
    userId = user.id;
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  const newJob = async (): Promise<string> => {
    const [job] = (
      await client.query(
        `INSERT INTO export_job (requested_by, format, module, record_type, filter, locale, labels, status) VALUES ($1, 'csv', 'gbv', 'incident', '{}', 'en', true, 'running') RETURNING id`,
        [userId],
      )
    ).rows;
    return job.id as string;
  };
  const rowsOf = async (jobId: string): Promise<Buffer[]> => (await client.query(`SELECT bytes FROM export_file WHERE job_id = $1 ORDER BY seq`, [jobId])).rows.map((r) => r.bytes as Buffer);

  it('stores every byte in order, in rows of at least the chunk size, and releases each chunk once stored', async () => {
    const jobId = await newJob();
    await client.query('BEGIN');
    const sink = new DatabaseFileSink(client as unknown as pg.PoolClient, jobId, 1000);
    const released: Buffer[] = [];
    const storedWhenReleased: number[] = [];
    sink.on('released', (chunk: Buffer) => released.push(chunk));
    const written: Buffer[] = [];
    // Small writes (a zip stream's), one of exactly the chunk size, larger ones (CSV's whole chunks), every byte value.
    for (const size of [1, 17, 300, 999, 1000, 2500, 3, 64 * 1024, 5, 0xff]) {
      const chunk = randomBytes(size);
      written.push(chunk);
      if (!sink.write(chunk)) await new Promise((resolve) => sink.once('drain', resolve));
      storedWhenReleased.push(released.length);
    }
    sink.end();
    await finished(sink);
    await client.query('COMMIT');
    const rows = await rowsOf(jobId);
    expect(Buffer.concat(rows).equals(Buffer.concat(written))).toBe(true);
    expect(sink.size).toBe(Buffer.concat(written).length);
    for (const row of rows.slice(0, -1)) expect(row.length).toBeGreaterThanOrEqual(1000);
    expect(rows.length).toBeGreaterThan(3);
    // Every chunk is released, each once, and only after it was stored (the small first writes wait for the row).
    expect(new Set(released).size).toBe(written.length);
    expect(released.every((chunk) => written.includes(chunk))).toBe(true);
    expect(storedWhenReleased[0]).toBe(0);
  });

  it('fails the stream when the database refuses a row, and the rolled back transaction keeps nothing', async () => {
    const jobId = await newJob();
    await client.query('BEGIN');
    // A row with this job and sequence number exists already: the sink's first row breaks the primary key.
    await client.query(`INSERT INTO export_file (job_id, seq, bytes) VALUES ($1, 0, '\\x00')`, [jobId]);
    const sink = new DatabaseFileSink(client as unknown as pg.PoolClient, jobId, 100);
    const failed = finished(sink);
    sink.write(randomBytes(150));
    sink.end();
    await expect(failed).rejects.toThrow(/duplicate key|export_file_pkey/);
    await client.query('ROLLBACK');
    expect(await rowsOf(jobId)).toEqual([]);
  });

  it('stores nothing more once destroyed (the export failed), even with the transaction committed', async () => {
    const jobId = await newJob();
    await client.query('BEGIN');
    const sink = new DatabaseFileSink(client as unknown as pg.PoolClient, jobId, 100);
    sink.write(randomBytes(50)); // held, waiting for a whole row
    sink.destroy();
    await new Promise((resolve) => sink.once('close', resolve));
    await client.query('COMMIT');
    expect(await rowsOf(jobId)).toEqual([]);
  });
});
