import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { BackupError } from './archive.js';
import { ident, qualified, type TableInfo } from './catalog.js';

/**
 * The `copy` payload: PostgreSQL's COPY text format per table, framed so that a reader can find each table
 * without parsing rows. Text lines, each ending in "\n", with binary chunks after DATA lines:
 *
 *   TABLE {"name":"audit_log","columns":["id","at",...],"rows":12}
 *   DATA 65536            followed by exactly 65536 bytes of COPY text-format rows
 *   DATA 1204             ...
 *   END {"rows":12}
 *   ...                   the next table
 *   SEQUENCE {"name":"audit_log_id_seq","lastValue":"12","isCalled":true}
 *   EOF
 *
 * Tables come parents first (foreign keys), so loading them in file order satisfies the constraints.
 */
const CHUNK_BYTES = 256 * 1024;
const MAX_LINE = 1024 * 1024;

export interface TableRecord {
  name: string;
  columns: string[];
  rows: number;
}

export interface SequenceRecord {
  name: string;
  /** bigint as text; absent when the sequence was never used. */
  lastValue: string;
  isCalled: boolean;
}

type Sink = (chunk: Buffer) => Promise<void>;

/** Writes every table and sequence as COPY text inside the caller's (REPEATABLE READ) transaction. */
export async function writeCopyPayload(client: pg.ClientBase, tables: TableInfo[], counts: Record<string, number>, sink: Sink): Promise<void> {
  for (const table of tables) {
    const record: TableRecord = { name: table.name, columns: table.columns, rows: counts[table.name] };
    await sink(Buffer.from(`TABLE ${JSON.stringify(record)}\n`, 'utf8'));
    const columns = table.columns.map(ident).join(', ');
    const source = table.partitioned ? `(SELECT ${columns} FROM ${qualified(table.name)})` : `${qualified(table.name)} (${columns})`;
    const stream = client.query(copyTo(`COPY ${source} TO STDOUT (FORMAT text)`));
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await sink(Buffer.from(`DATA ${data.length}\n`, 'ascii'));
      await sink(data);
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    await flush();
    if (stream.rowCount !== record.rows) {
      throw new BackupError(`COPY of ${table.name} returned ${stream.rowCount} rows, the snapshot counted ${record.rows}.`);
    }
    await sink(Buffer.from(`END ${JSON.stringify({ rows: stream.rowCount })}\n`, 'utf8'));
  }
}

export async function writeSequenceRecords(client: pg.ClientBase, sequences: string[], sink: Sink): Promise<void> {
  for (const name of sequences) {
    // Sequences are not transactional: this reads the current value, never lower than any id in the snapshot.
    const { rows } = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${qualified(name)}`);
    const record: SequenceRecord = { name, lastValue: rows[0].last_value, isCalled: rows[0].is_called };
    await sink(Buffer.from(`SEQUENCE ${JSON.stringify(record)}\n`, 'utf8'));
  }
  await sink(Buffer.from('EOF\n', 'ascii'));
}

/** Reads the payload of an archive file front to back, in bounded memory. */
export class CopyPayloadReader {
  private buf = Buffer.alloc(0);
  private position: number;

  constructor(
    private readonly fh: fs.FileHandle,
    start: number,
    private readonly end: number,
  ) {
    this.position = start;
  }

  private async fill(): Promise<boolean> {
    if (this.position >= this.end) return false;
    const next = Buffer.alloc(Math.min(CHUNK_BYTES, this.end - this.position));
    const { bytesRead } = await this.fh.read(next, 0, next.length, this.position);
    if (bytesRead === 0) return false;
    this.position += bytesRead;
    this.buf = this.buf.length ? Buffer.concat([this.buf, next.subarray(0, bytesRead)]) : next.subarray(0, bytesRead);
    return true;
  }

  async line(): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl >= 0) {
        const text = this.buf.subarray(0, nl).toString('utf8');
        this.buf = this.buf.subarray(nl + 1);
        return text;
      }
      if (this.buf.length > MAX_LINE || !(await this.fill())) throw new BackupError('The copy payload ends early or is malformed.');
    }
  }

  /** Yields exactly `n` bytes in chunks. */
  async *bytes(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw new BackupError('The copy payload ends early.');
      const take = Math.min(left, this.buf.length);
      yield this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      left -= take;
    }
  }
}

function parseRecord<T>(line: string, keyword: string): T {
  try {
    return JSON.parse(line.slice(keyword.length + 1)) as T;
  } catch {
    throw new BackupError(`The copy payload has a malformed ${keyword} record.`);
  }
}

export interface LoadedPayload {
  tables: Array<{ name: string; rows: number }>;
  sequences: SequenceRecord[];
}

/**
 * Loads a copy payload into the target inside the caller's transaction: COPY FROM per table, in payload order.
 * `beforeTable` lets the caller check each table exists.
 */
export async function loadCopyPayload(client: pg.ClientBase, reader: CopyPayloadReader, beforeTable: (t: TableRecord) => void): Promise<LoadedPayload> {
  const loaded: LoadedPayload = { tables: [], sequences: [] };
  for (;;) {
    const line = await reader.line();
    if (line === 'EOF') return loaded;
    if (line.startsWith('SEQUENCE ')) {
      loaded.sequences.push(parseRecord<SequenceRecord>(line, 'SEQUENCE'));
      continue;
    }
    if (!line.startsWith('TABLE ')) throw new BackupError('The copy payload is malformed (expected a TABLE record).');
    const table = parseRecord<TableRecord>(line, 'TABLE');
    if (typeof table.name !== 'string' || !Array.isArray(table.columns)) throw new BackupError('The copy payload has a malformed TABLE record.');
    beforeTable(table);
    const target = client.query(copyFrom(`COPY ${qualified(table.name)} (${table.columns.map(ident).join(', ')}) FROM STDIN (FORMAT text)`));
    let endLine = '';
    async function* chunks(): AsyncGenerator<Buffer> {
      for (;;) {
        const frame = await reader.line();
        if (frame.startsWith('END')) {
          endLine = frame;
          return;
        }
        const m = /^DATA (\d+)$/.exec(frame);
        if (!m) throw new BackupError(`The copy payload is malformed in table ${table.name}.`);
        yield* reader.bytes(Number(m[1]));
      }
    }
    await pipeline(Readable.from(chunks()), target);
    const end = parseRecord<{ rows: number }>(endLine, 'END');
    if (target.rowCount !== end.rows) {
      throw new BackupError(`Table ${table.name}: loaded ${target.rowCount} rows, the archive holds ${end.rows}.`);
    }
    loaded.tables.push({ name: table.name, rows: target.rowCount });
  }
}
