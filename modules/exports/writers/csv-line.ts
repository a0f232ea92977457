/**
 * One CSV record (RFC 4180): cells separated by commas, a cell quoted when it holds a quote, comma, CR or LF, quotes
 * doubled inside. Booleans as `true`/`false`, null and undefined as empty cells, numbers as JavaScript prints them.
 *
 * Written here rather than through csv-stringify (which the location export uses): on export rows of 60+ cells
 * the library's per-cell option handling cost 3–4 times this function, more than reading the rows from the
 * database (docs/benchmarks.md, "Exports"). The spec checks it against csv-parse on awkward values.
 */
const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;
/** Cells up to this length are tried byte by byte (`CsvBuffer.cell`). */
const SHORT_CELL = 64;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(QUOTE, '""')}"` : text;
}

export function csvLine(cells: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += i === 0 ? cellText(cells[i]) : `,${cellText(cells[i])}`;
  return `${line}\r\n`;
}

/**
 * CSV records written straight into a byte buffer, cell by cell, with the same rules as `csvLine` (the spec checks
 * both give the same bytes). An export writes 2–3 KB per record: building each line as a string (many small
 * concatenations that the file stream then has to flatten and encode) cost more than the rest of the CSV writer,
 * and left that much garbage per record; here each cell's text is encoded once, into one buffer reused for the
 * whole file.
 */
export class CsvBuffer {
  private buf: Buffer;
  private pos = 0;
  private lineStart = true;
  /**
   * Buffers handed over by `take()`, by their memory, until given back (`recycle`). Every buffer here has memory of
   * its own (`allocUnsafeSlow`: never a slice of Node's shared pool), so that its memory tells which one it is.
   */
  private readonly lent = new WeakMap<ArrayBufferLike, Buffer>();
  /** Buffers given back, written again before any new one is allocated. */
  private readonly spare: Buffer[] = [];

  constructor(private readonly capacity = 320 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  /** Bytes written since the last `take()`. */
  get length(): number {
    return this.pos;
  }

  /** One cell of the current record. */
  cell(value: unknown): void {
    if (!this.lineStart) this.ascii(0x2c);
    this.lineStart = false;
    if (value === null || value === undefined) return;
    const text = typeof value === 'string' ? value : typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value);
    const n = text.length;
    if (n === 0) return;
    // Most cells are short ASCII without anything to quote: copied here byte by byte (cheaper than a call into
    // the encoder per cell); anything else takes the general path below.
    if (n <= SHORT_CELL) {
      if (this.pos + n > this.buf.length) this.grow(n);
      const buf = this.buf;
      let p = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80 || c === 0x22 || c === 0x2c || c === 0x0d || c === 0x0a) break;
        buf[p++] = c;
      }
      if (i === n) {
        this.pos = p;
        return;
      }
    }
    this.encoded(text);
  }

  /**
   * A cell through the encoder: its UTF-8 bytes are written one byte further on (room for an opening quote), then
   * scanned once; a cell with nothing to quote is moved back into place, any other is quoted in place, its quotes
   * doubled from the end backwards. (Testing the text with a regular expression and then replacing its quotes
   * passed over a long cell, such as a subform's JSON, three times and copied it once more.)
   */
  private encoded(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit, a doubled quote 2; then the quotes around.
    const room = text.length * 3 + 2;
    if (this.pos + room > this.buf.length) this.grow(room);
    const buf = this.buf;
    const at = this.pos;
    const start = at + 1;
    const end = start + buf.write(text, start, 'utf8');
    let quotes = 0;
    let special = false;
    for (let k = start; k < end; k++) {
      const b = buf[k];
      if (b === 0x22) quotes++;
      else if (b === 0x2c || b === 0x0d || b === 0x0a) special = true;
    }
    if (quotes === 0 && !special) {
      buf.copyWithin(at, start, end);
      this.pos = end - 1;
      return;
    }
    let dst = end + quotes;
    buf[dst] = 0x22;
    for (let src = end - 1; src >= start; src--) {
      const b = buf[src];
      buf[--dst] = b;
      if (b === 0x22) buf[--dst] = 0x22;
    }
    buf[at] = 0x22;
    this.pos = end + quotes + 1;
  }

  /** Ends the current record (CRLF). */
  endLine(): void {
    this.ascii(0x0d);
    this.ascii(0x0a);
    this.lineStart = true;
  }

  /** Raw text (a whole `csvLine`, the byte-order mark). */
  raw(text: string): void {
    this.text(text);
  }

  /**
   * The bytes written so far, handed over as they are (a stream may hold them); the next records go into another
   * buffer: one given back with `recycle`, else a new one. Memory written for the first time costs a page fault per
   * 4 KB, which for a 250 MB file cost more than the copy it saves: a writer whose sink tells when it is done with a
   * chunk gives it back, and the export then writes into the same few buffers from start to end.
   */
  take(): Buffer {
    const full = this.buf;
    const chunk = full.subarray(0, this.pos);
    this.lent.set(chunk.buffer, full);
    this.buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(Math.max(this.capacity, this.pos));
    this.pos = 0;
    return chunk;
  }

  /** A chunk from `take()` that nothing holds any more: its buffer is written again. Anything else is ignored. */
  recycle(chunk: Buffer): void {
    const full = this.lent.get(chunk.buffer);
    if (full === undefined) return;
    this.lent.delete(chunk.buffer);
    if (this.spare.length < 2) this.spare.push(full);
  }

  private ascii(byte: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = byte;
  }

  private text(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.pos + text.length * 3 > this.buf.length) this.grow(text.length * 3);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + needed));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
