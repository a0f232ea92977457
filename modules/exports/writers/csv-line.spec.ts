import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { CsvBuffer, csvLine } from './csv-line.js';

describe('csvLine', () => {
  it.each<[string, unknown[], string]>([
    ['plain text and numbers', ['a', 1, 2.5, -3], 'a,1,2.5,-3\r\n'],
    ['empty cells', [null, undefined, '', 'x'], ',,,x\r\n'],
    ['booleans', [true, false], 'true,false\r\n'],
    ['a comma', ['a,b'], '"a,b"\r\n'],
    ['quotes are doubled', ['say "hi"'], '"say ""hi"""\r\n'],
    ['line breaks', ['one\ntwo', 'three\r\nfour'], '"one\ntwo","three\r\nfour"\r\n'],
    ['spaces and unicode stay as they are', [' lead', 'trail ', 'العربية', 'Yes – GBVIMS'], ' lead,trail ,العربية,Yes – GBVIMS\r\n'],
    ['a neutralised formula', ["'=HYPERLINK(\"x\")"], '"\'=HYPERLINK(""x"")"\r\n'],
  ])('%s', (_name, cells, expected) => {
    expect(csvLine(cells)).toBe(expected);
  });

  it('reads back with csv-parse as the same text', () => {
    const rows = [
      ['id', 'text', 'n', 'flag', 'empty'],
      ['1', 'a "quoted", multi-line\r\nvalue', 42, true, null],
      ['2', '""', 0, false, ''],
      ['3', ',\n,\r,"', -1.5, true, undefined],
    ];
    const text = rows.map(csvLine).join('');
    const parsed: string[][] = parse(text, { relax_column_count: false });
    expect(parsed).toEqual(rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c)))));
  });
});

/** Rows written cell by cell into a CsvBuffer of `capacity`, taken in chunks once more than `takeAbove` bytes are held. */
function writtenByBuffer(rows: readonly (readonly unknown[])[], capacity: number, takeAbove: number): { text: string; buffer: CsvBuffer } {
  const buffer = new CsvBuffer(capacity);
  const chunks: Buffer[] = [];
  for (const row of rows) {
    for (const cell of row) buffer.cell(cell);
    buffer.endLine();
    if (buffer.length > takeAbove) chunks.push(buffer.take());
  }
  chunks.push(buffer.take());
  return { text: Buffer.concat(chunks).toString('utf8'), buffer };
}

describe('CsvBuffer', () => {
  it('writes the same bytes as csvLine, across chunks and when a cell outgrows the buffer', () => {
    const rows: unknown[][] = [
      ['a', 1, 2.5, -3],
      [null, undefined, '', 'x'],
      [true, false],
      ['a,b', 'say "hi"', 'one\ntwo', 'three\r\nfour'],
      [' lead', 'trail ', 'العربية', 'Yes – GBVIMS', '😀 emoji'],
      ["'=HYPERLINK(\"x\")"],
      ['é'.repeat(100), 'x'.repeat(50)],
    ];
    const { text, buffer } = writtenByBuffer(rows, 16, 8);
    expect(text).toBe(rows.map(csvLine).join(''));
    expect(buffer.length).toBe(0);
  });

  it('writes the same bytes as csvLine for long cells to quote (subform JSON) and random awkward text', () => {
    const alphabet = ['a', 'Z', ' ', '"', ',', '\r', '\n', 'é', 'ß', '😀', '{', ':', '\t', "'", '='];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const text = (length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const rows: unknown[][] = [
      [JSON.stringify([{ _id: 'r1', name: 'a "b", c', n: 3 }, { _id: 'r2', note: 'line\nbreak' }])],
      ['"'.repeat(200), ','.repeat(100), 'x'.repeat(65), `${'y'.repeat(70)}"`],
      ...Array.from({ length: 300 }, () => Array.from({ length: 1 + Math.floor(random() * 5) }, () => text(Math.floor(random() * 300)))),
    ];
    const written = writtenByBuffer(rows, 64, 1000).text;
    expect(written).toBe(rows.map(csvLine).join(''));
    expect(parse(written, { relax_column_count: true })).toEqual(rows);
  });

  it('writes into a chunk given back, never into one still held', () => {
    const buffer = new CsvBuffer(32);
    const line = (text: string): Buffer => {
      buffer.cell(text);
      buffer.endLine();
      return buffer.take();
    };
    const first = line('first');
    const second = line('second');
    expect(first.toString()).toBe('first\r\n');
    expect(second.buffer).not.toBe(first.buffer);
    buffer.recycle(first);
    buffer.recycle(Buffer.from('not one of its chunks'));
    const third = line('third');
    // The buffer given back is the next one written (after the one already in use when it came back).
    const fourth = line('fourth');
    expect(fourth.buffer).toBe(first.buffer);
    expect([second, third, fourth].map(String)).toEqual(['second\r\n', 'third\r\n', 'fourth\r\n']);
    expect(new Set([second.buffer, third.buffer, fourth.buffer]).size).toBe(3);
  });
});
