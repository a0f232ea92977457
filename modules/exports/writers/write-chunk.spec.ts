import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { writeChunk } from './writer.js';

/** A stream that takes writes only when the test says so (as the file sink does once a row is stored). */
function slowStream() {
  const callbacks: Array<(err?: Error | null) => void> = [];
  const out = new Writable({
    highWaterMark: 4,
    write(_chunk, _encoding, callback) {
      callbacks.push(callback);
    },
  });
  out.on('error', () => undefined);
  return { out, callbacks };
}

describe('writeChunk', () => {
  it('returns nothing while the stream takes more, and waits for it to drain', async () => {
    const { out, callbacks } = slowStream();
    expect(writeChunk(out, 'ab')).toBeUndefined();
    const waiting = writeChunk(out, 'cdef');
    expect(waiting).toBeInstanceOf(Promise);
    callbacks.shift()!();
    await Promise.resolve();
    callbacks.shift()!();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('rejects at once on a stream that failed or was closed: it would never drain', async () => {
    const failed = slowStream().out;
    failed.destroy(new Error('row refused'));
    await expect(writeChunk(failed, 'x')).rejects.toThrow('row refused');
    const closed = slowStream().out;
    closed.destroy();
    await expect(writeChunk(closed, 'x')).rejects.toThrow('closed');
  });

  it('rejects a wait when the stream fails meanwhile', async () => {
    const { out } = slowStream();
    const waiting = writeChunk(out, 'abcdef');
    out.destroy(new Error('connection lost'));
    await expect(waiting).rejects.toThrow('connection lost');
  });
});
