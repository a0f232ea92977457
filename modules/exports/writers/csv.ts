import { spreadsheetSafe } from '../../../engine/index.js';
import { cellOf, type ExportColumn } from '../columns.js';
import { FILE_CHUNK_BYTES } from '../exports.repository.js';
import { CsvBuffer, csvLine } from './csv-line.js';
import type { ExportFormatDefinition, ExportWriter, ExportWriterContext } from './writer.js';
import { fileFinished, writeChunk } from './writer.js';

/** Record columns every CSV starts with (not configured fields). */
const RECORD_HEADERS = ['id', 'short_id', 'display_id', 'owner', 'agency', 'status', 'created_at', 'updated_at'];
/** Bytes handed to the file stream at a time: a whole `export_file` row, stored as it is (DatabaseFileSink). */
const CHUNK_BYTES = FILE_CHUNK_BYTES;

/**
 * CSV: one row per record, UTF-8 with a byte-order mark (so that Excel reads it as UTF-8), CRLF line ends
 * (RFC 4180). Columns: the record's ids and state, then every readable top-level field in form order. Subform rows
 * are written as a JSON array in one cell (`[{"_id":…,"field":…}]`, only the readable row fields). Every text cell
 * is spreadsheet-safe.
 */
export const csvFormat: ExportFormatDefinition = {
  format: 'csv',
  extension: 'csv',
  contentType: 'text/csv; charset=utf-8',
  generic: true,
  create(ctx: ExportWriterContext): ExportWriter {
    const columns: ExportColumn[] = ctx.forms.flatMap((f) => f.columns);
    const keys = columns.map((c) => c.key);
    const cells = columns.map(cellOf);
    const done = fileFinished(ctx.out);
    // Room for a chunk and the record that fills it, so that the buffer rarely has to grow.
    const buffer = new CsvBuffer(CHUNK_BYTES + 64 * 1024);
    // A sink that says when it holds a chunk no more (DatabaseFileSink) gets the same few buffers back and again.
    ctx.out.on('released', (chunk: Buffer) => buffer.recycle(chunk));
    buffer.raw(`\uFEFF${csvLine([...RECORD_HEADERS, ...columns.map((c) => spreadsheetSafe(c.header))])}`);
    return {
      passes: 1,
      write(view) {
        buffer.cell(view.id);
        buffer.cell(view.shortId);
        buffer.cell(view.displayId);
        buffer.cell(spreadsheetSafe(view.owner));
        buffer.cell(spreadsheetSafe(view.agency));
        buffer.cell(view.status);
        buffer.cell(view.createdAt);
        buffer.cell(view.updatedAt);
        const data = view.data;
        for (let i = 0; i < keys.length; i++) buffer.cell(cells[i](data[keys[i]]));
        buffer.endLine();
        if (buffer.length < CHUNK_BYTES) return true;
        const drained = writeChunk(ctx.out, buffer.take());
        return drained ? drained.then(() => true) : true;
      },
      async end() {
        if (buffer.length) await writeChunk(ctx.out, buffer.take());
        ctx.out.end();
        await done;
      },
    };
  },
};
