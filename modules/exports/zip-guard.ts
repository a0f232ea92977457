import yauzl from 'yauzl';

export type ZipCheck = { readonly ok: true; readonly inflatedBytes: number } | { readonly ok: false; readonly reason: 'too_large' | 'unreadable' };

/**
 * Inflates a zip (an .xlsx workbook) as a stream, keeping nothing, and stops as soon as its entries would hold more
 * than `limit` bytes: a spreadsheet library unpacks every sheet into memory before anything can count its rows, so a
 * few megabytes of well-compressed XML (a "zip bomb") would take gigabytes and the event loop for seconds. Sizes are
 * counted as inflated, not as the archive declares them (yauzl also refuses an entry whose size differs from its
 * declaration), so a lying archive stops at the limit too.
 */
export function checkZipSize(buffer: Buffer, limit: number): Promise<ZipCheck> {
  return new Promise((resolve) => {
    let settled = false;
    let total = 0;
    const finish = (result: ZipCheck, zip?: yauzl.ZipFile): void => {
      if (settled) return;
      settled = true;
      zip?.close();
      resolve(result);
    };
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (openError, zip) => {
      if (openError || !zip) return finish({ ok: false, reason: 'unreadable' });
      zip.on('error', () => finish({ ok: false, reason: 'unreadable' }, zip));
      zip.on('end', () => finish({ ok: true, inflatedBytes: total }, zip));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (settled) return;
        if (total + entry.uncompressedSize > limit) return finish({ ok: false, reason: 'too_large' }, zip);
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return finish({ ok: false, reason: 'unreadable' }, zip);
          stream.on('data', (chunk: Buffer) => {
            total += chunk.length;
            if (total > limit) {
              stream.destroy();
              finish({ ok: false, reason: 'too_large' }, zip);
            }
          });
          stream.on('error', () => finish({ ok: false, reason: 'unreadable' }, zip));
          stream.on('end', () => {
            if (!settled) zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
