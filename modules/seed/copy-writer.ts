import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value in PostgreSQL's COPY text format (tab-separated; backslash, tab, newline and CR escaped). */
export function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

/** JSON text in COPY text format: JSON.stringify never writes a raw tab or line break, only backslashes need doubling. */
export function copyJson(json: string): string {
  return json.indexOf('\\') < 0 ? json : json.replaceAll('\\', '\\\\');
}

/** A `text[]` literal of simple codes (letters, digits, `.`, `_`, `-`). */
export function copyTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

const CHUNK = 256 * 1024;

/**
 * One `COPY … FROM STDIN` on `client`: `fill(push)` pushes lines (each ending in `\n`); they go out in chunks of
 * about 256 KiB, waiting when PostgreSQL is behind, so the next rows are generated while the server ingests the
 * previous ones. Resolves with the row count once the server has accepted them all.
 */
export async function copyLines(client: pg.Client, sql: string, fill: (push: (line: string) => Promise<void> | void) => Promise<void> | void): Promise<number> {
  const stream = client.query(copyFrom(sql));
  let failed: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', (err: Error) => {
      failed = err;
      reject(err);
    });
  });
  let buffer = '';
  const push = (line: string): Promise<void> | void => {
    buffer += line;
    if (buffer.length < CHUNK) return;
    if (failed) throw failed;
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk)) return once(stream, 'drain').then(() => undefined);
  };
  try {
    await fill(push);
  } catch (err) {
    stream.destroy(err as Error);
    await done.catch(() => undefined);
    throw err;
  }
  stream.end(buffer);
  await done;
  return stream.rowCount;
}
