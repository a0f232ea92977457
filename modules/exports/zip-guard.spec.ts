import { describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { checkZipSize } from './zip-guard.js';

describe('checkZipSize', () => {
  it('measures a workbook as inflated', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('Incident Data').addRows(Array.from({ length: 200 }, (_, i) => [`IR-${i}`, 'female', '2026-01-01']));
    const buffer = Buffer.from(await book.xlsx.writeBuffer());
    const check = await checkZipSize(buffer, 10 * 1024 * 1024);
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.inflatedBytes).toBeGreaterThan(buffer.length);
  });

  it('stops at the limit on a zip bomb (a small archive of a huge, repetitive entry), without inflating it all', async () => {
    const zip = new JSZip();
    zip.file('xl/worksheets/sheet1.xml', Buffer.alloc(64 * 1024 * 1024, 'a'));
    const bomb = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(await checkZipSize(bomb, 8 * 1024 * 1024)).toEqual({ ok: false, reason: 'too_large' });
  });

  it('refuses what is not a zip', async () => {
    expect(await checkZipSize(Buffer.from('not a workbook'), 1024)).toEqual({ ok: false, reason: 'unreadable' });
  });
});
