import type { Cell } from '../../../engine/index.js';
import type { CellKind } from './workbook.js';
import { StreamingWorkbook } from './workbook.js';
import type { ExportFormatDefinition, ExportWriter, ExportWriterContext } from './writer.js';

/**
 * The GBVIMS Incident Recorder (docs/incident-recorder.md): the bundle's export mapping (`format:
 * "incident-recorder"`) compiled by the engine decides columns, headers, transformations and which incidents go
 * in (`includes`); this writer only lays the cells out: the data sheet, then the menu sheet from the values
 * collected while streaming. Dates are date cells, numbers numbers, everything else text (already
 * spreadsheet-safe from the engine).
 */
export const incidentRecorderFormat: ExportFormatDefinition = {
  format: 'incident-recorder',
  extension: 'xlsx',
  contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  mappingFormat: 'incident-recorder',
  generic: false,
  create(ctx: ExportWriterContext): ExportWriter {
    const mapping = ctx.mapping;
    if (!mapping) throw new Error('The Incident Recorder needs its export mapping.');
    const book = new StreamingWorkbook(ctx.out);
    const data = book.sheet(mapping.sheetLabel(mapping.dataSheet.key, ctx.locale));
    data.add(mapping.headers(ctx.locale));
    const kinds: CellKind[] = mapping.columns.map((c) => c.type);
    const menus = mapping.menuSheet ? mapping.menuCollector() : undefined;
    return {
      passes: 1,
      write(view, meta) {
        if (!mapping.includes(view.data, meta)) return false;
        const row: Cell[] = mapping.row(view.data, meta, ctx.locale);
        data.add(row, kinds);
        menus?.add(row);
        const wait = data.pressure();
        return wait ? wait.then(() => true) : true;
      },
      async end() {
        await data.commit();
        if (mapping.menuSheet && menus) {
          const sheet = book.sheet(mapping.sheetLabel(mapping.menuSheet.key, ctx.locale));
          sheet.add(mapping.menuHeaders(ctx.locale));
          const columns = menus.values();
          const height = Math.max(0, ...columns.map((c) => c.values.length));
          for (let i = 0; i < height; i++) sheet.add(columns.map((c) => c.values[i] ?? null));
          await sheet.commit();
        }
        await book.commit();
      },
    };
  },
};
