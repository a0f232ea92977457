import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { DatabaseFileSink } from '../modules/exports/file-sink.js';
import { CsvBuffer, csvLine } from '../modules/exports/writers/csv-line.js';
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

  it('stores every byte in order, in rows of at least the chunk size, and releases each chunk only once stored', async () => {
    const jobId = await newJob();
    await client.query('BEGIN');
    const sink = new DatabaseFileSink(client as unknown as pg.PoolClient, jobId, 1000);
    const released: Buffer[] = [];
    // A released chunk is overwritten at once, as a writer reusing it would: released any earlier, the file is wrong.
    sink.on('released', (chunk: Buffer) => {
      released.push(chunk);
      chunk.fill(0xaa);
    });
    const expected: Buffer[] = [];
    const written: Buffer[] = [];
    // Small writes (a zip stream's), one of exactly the chunk size, larger ones (CSV's whole chunks), every byte value.
    for (const size of [1, 17, 300, 999, 1000, 2500, 3, 64 * 1024, 5, 0xff, 4000, 1000]) {
      const chunk = randomBytes(size);
      expected.push(Buffer.from(chunk));
      written.push(chunk);
      if (!sink.write(chunk)) await new Promise((resolve) => sink.once('drain', resolve));
    }
    sink.end();
    await finished(sink);
    await client.query('COMMIT');
    const rows = await rowsOf(jobId);
    expect(Buffer.concat(rows).equals(Buffer.concat(expected))).toBe(true);
    expect(sink.size).toBe(Buffer.concat(expected).length);
    for (const row of rows.slice(0, -1)) expect(row.length).toBeGreaterThanOrEqual(1000);
    expect(rows.length).toBeGreaterThan(3);
    expect(new Set(released).size).toBe(written.length);
    expect(released.every((chunk) => written.includes(chunk))).toBe(true);
  });

  it('stores a file that ends exactly at a row, and an empty file, leaving the connection free', async () => {
    const whole = await newJob();
    await client.query('BEGIN');
    const sink = new DatabaseFileSink(client as unknown as pg.PoolClient, whole, 100);
    const parts = [randomBytes(100), randomBytes(100)];
    for (const part of parts) if (!sink.write(part)) await new Promise((resolve) => sink.once('drain', resolve));
    sink.end();
    await finished(sink);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.query('COMMIT');
    expect((await rowsOf(whole)).map((row) => row.length)).toEqual([100, 100]);

    const empty = await newJob();
    await client.query('BEGIN');
    const nothing = new DatabaseFileSink(client as unknown as pg.PoolClient, empty, 100);
    nothing.end();
    await finished(nothing);
    await client.query('COMMIT');
    expect(await rowsOf(empty)).toEqual([]);
    expect(nothing.size).toBe(0);
  });

  it('writes CSV into the buffers it gets back, across many rows, and stores exactly the records written', async () => {
    const jobId = await newJob();
    await client.query('BEGIN');
    const sink = new DatabaseFileSink(client as unknown as pg.PoolClient, jobId, 1000);
    const buffer = new CsvBuffer(1100);
    let recycled = 0;
    sink.on('released', (chunk: Buffer) => {
      recycled += 1;
      buffer.recycle(chunk);
    });
    const cells = ['plain', 'a "quoted", cell', 'العربية', 'line\nbreak', '😀', '', 'x'.repeat(90), JSON.stringify([{ _id: 'r1', n: 'v "w"' }])];
    const rows = Array.from({ length: 600 }, (_, i) => [String(i), ...cells.map((cell, j) => cells[(i + j) % cells.length] ?? cell)]);
    for (const row of rows) {
      for (const cell of row) buffer.cell(cell);
      buffer.endLine();
      if (buffer.length >= 1000 && !sink.write(buffer.take())) await new Promise((resolve) => sink.once('drain', resolve));
    }
    if (buffer.length) sink.write(buffer.take());
    sink.end();
    await finished(sink);
    await client.query('COMMIT');
    expect(Buffer.concat(await rowsOf(jobId)).toString('utf8')).toBe(rows.map(csvLine).join(''));
    expect(recycled).toBeGreaterThan(10);
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

  it('abandons the COPY opened for the next row when destroyed, and the connection goes on', async () => {
    const jobId = await newJob();
    await client.query('BEGIN');
    const sink = new DatabaseFileSink(client as unknown as pg.PoolClient, jobId, 100);
    const stored = new Promise((resolve) => sink.once('released', resolve));
    sink.write(randomBytes(150)); // a whole row: stored, then the next row's COPY is opened
    await stored;
    sink.write(randomBytes(20)); // held for the next row
    sink.destroy();
    await new Promise((resolve) => sink.once('close', resolve));
    // The abandoned COPY failed the transaction: the connection answers, and the rollback keeps nothing.
    await expect(client.query('SELECT 1')).rejects.toThrow(/aborted/);
    await client.query('ROLLBACK');
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await rowsOf(jobId)).toEqual([]);
  });
});
