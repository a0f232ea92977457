import type { ExportFormatDefinition, ExportWriter, ExportWriterContext } from './writer.js';
import { fileFinished, writeChunk } from './writer.js';

/**
 * JSON: an array of redacted record views (the shape of `GET /records/:type/:id`), streamed one record at a
 * time. A template narrows `data` to its forms and fields; labels do not apply (keys and stored values).
 */
export const jsonFormat: ExportFormatDefinition = {
  format: 'json',
  extension: 'json',
  contentType: 'application/json; charset=utf-8',
  generic: true,
  create(ctx: ExportWriterContext): ExportWriter {
    const keys = ctx.forms.flatMap((f) => f.columns.map((c) => c.key));
    let first = true;
    const done = fileFinished(ctx.out);
    return {
      passes: 1,
      async write(view) {
        const data: Record<string, unknown> = {};
        for (const key of keys) if (view.data[key] !== undefined) data[key] = view.data[key];
        const text = JSON.stringify({ ...view, data });
        const pending = writeChunk(ctx.out, (first ? '[\n' : ',\n') + text);
        first = false;
        if (pending) await pending;
        return true;
      },
      async end() {
        ctx.out.end(first ? '[]\n' : '\n]\n');
        await done;
      },
    };
  },
};
