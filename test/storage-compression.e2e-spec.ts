import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { newAgency, newUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The columns migration 1765000000000-lz4-toast compresses with lz4 where the server can. */
const COLUMNS = [
  ['record', 'data'],
  ['record', 'field_versions'],
  ['record_history', 'changes'],
  ['audit_log', 'details'],
  ['export_file', 'bytes'],
] as const;

describe('storage: TOAST compression of large values', () => {
  let t: TestApp;
  let ds: DataSource;
  let lz4: boolean;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    // Whether this server was built with lz4: the setting refuses the value otherwise.
    const qr = ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      lz4 = await qr.query(`SET LOCAL default_toast_compression = 'lz4'`).then(
        () => true,
        () => false,
      );
      await qr.rollbackTransaction();
    } finally {
      await qr.release();
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it('compresses with lz4 where the server has it, and keeps the defaults where it has not', async () => {
    const rows = (await ds.query(
      `SELECT c.relname AS "table", a.attname AS "column", a.attcompression::text AS compression, a.attstorage::text AS storage
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'public'::regnamespace AND (c.relname, a.attname) IN (${COLUMNS.map(([tb, col]) => `('${tb}', '${col}')`).join(', ')})
        ORDER BY 1, 2`,
    )) as Array<{ table: string; column: string; compression: string; storage: string }>;
    expect(rows).toHaveLength(COLUMNS.length);
    // export_file was stored uncompressed (pglz cost more than it saved); with lz4 it is compressed.
    for (const row of rows) {
      expect(row).toEqual({ table: row.table, column: row.column, compression: lz4 ? 'l' : '', storage: row.table === 'export_file' && !lz4 ? 'e' : 'x' });
    }
  });

  it("stores a large record's data with that method, and reads it back unchanged", async () => {
    await newAgency(ds, { code: 'ZIP' });
    const owner = await newUser(ds, { username: 'zip.worker', agency: 'ZIP', roles: ['gbv_caseworker'] });
    const narrative = Array.from({ length: 400 }, (_, i) => `Line ${i}: the survivor was referred to the health partner.`).join('\n');
    const record = await newRecord(ds, { module: 'gbv', recordType: 'incident', owner, data: { incident_description: narrative } });
    const [row] = (await ds.query(`SELECT pg_column_compression(data) AS method, data->>'incident_description' AS text FROM record WHERE id = $1`, [record.id])) as Array<{
      method: string | null;
      text: string;
    }>;
    expect(row!.method).toBe(lz4 ? 'lz4' : 'pglz');
    expect(row!.text).toBe(narrative);
  });
});
