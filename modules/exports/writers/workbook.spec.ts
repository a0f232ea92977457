import { describe, expect, it } from '@jest/globals';
import { PassThrough, Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { MAX_BACKLOG_BYTES, StreamingWorkbook } from './workbook.js';

/** A file that keeps what it receives. */
function memoryFile(): { out: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { out, bytes: () => Buffer.concat(chunks) };
}

describe('StreamingWorkbook back-pressure', () => {
  it("finds exceljs's entry stream, asks the writer to wait once the XML backlog passes the limit, and ends with every row", async () => {
    const file = memoryFile();
    const book = new StreamingWorkbook(file.out);
    const sheet = book.sheet('Data');
    sheet.add(['text', 'number', 'date']);
    const rows = 60_000;
    let waits = 0;
    let largest = 0;
    for (let i = 1; i <= rows; i++) {
      sheet.add([`row ${i}: some words a caseworker wrote`, i, '2025-03-01'], ['text', 'number', 'date']);
      // Written without yielding, as a batch is: the compressor gets no turn until the writer waits.
      const entry = sheet.entryStream();
      if (i === 1) expect(entry).toBeDefined();
      largest = Math.max(largest, entry?._writableState?.length ?? 0);
      const wait = sheet.pressure();
      if (wait) {
        waits++;
        await wait;
        expect(entry!._writableState!.length).toBeLessThanOrEqual(MAX_BACKLOG_BYTES);
      }
    }
    expect(waits).toBeGreaterThan(0);
    // The backlog never grows past the limit by more than one of exceljs's 64 KiB batches.
    expect(largest).toBeLessThanOrEqual(MAX_BACKLOG_BYTES + 64 * 1024);
    await sheet.commit();
    await book.commit();

    const read = new ExcelJS.Workbook();
    await read.xlsx.load(file.bytes() as unknown as ArrayBuffer);
    const ws = read.getWorksheet('Data')!;
    expect(ws.rowCount).toBe(rows + 1);
    expect(ws.getRow(rows + 1).getCell(2).value).toBe(rows);
    expect(ws.getRow(rows + 1).getCell(1).value).toBe(`row ${rows}: some words a caseworker wrote`);
  });

  it('ends the wait with the error when the file fails while the writer waits (no hang)', async () => {
    // A file that takes the first chunk and then neither finishes nor drains: the archive stops reading its entry.
    const out = new Writable({ highWaterMark: 1024, write: () => undefined });
    const book = new StreamingWorkbook(out);
    const sheet = book.sheet('Data');
    let wait: Promise<void> | undefined;
    for (let i = 0; i < 200_000 && !wait; i++) {
      sheet.add([`row ${i}: some words a caseworker wrote`, i]);
      wait = sheet.pressure();
      if (!wait && i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(wait).toBeDefined();
    out.destroy(new Error('the database refused the chunk'));
    await expect(wait).rejects.toThrow('the database refused the chunk');
    // A later wait fails at once, and committing reports the same error.
    sheet.add(['after']);
    const again = sheet.pressure();
    if (again) await expect(again).rejects.toThrow('the database refused the chunk');
    await sheet.commit().catch(() => undefined); // settles either way: nothing waits for good
    await expect(book.commit()).rejects.toThrow('the database refused the chunk');
  }, 30_000);

  it('never waits while the archive keeps up', () => {
    const book = new StreamingWorkbook(new PassThrough().resume());
    const sheet = book.sheet('Small');
    for (let i = 0; i < 100; i++) sheet.add([`row ${i}`]);
    expect(sheet.pressure()).toBeUndefined();
  });
});
