import { spreadsheetSafe } from '../../../engine/index.js';
import { displayValue, type ExportColumn } from '../columns.js';
import type { CellKind, SheetWriter } from './workbook.js';
import { StreamingWorkbook } from './workbook.js';
import type { ExportFormatDefinition, ExportWriter, ExportWriterContext } from './writer.js';

interface SheetPlan {
  readonly name: string;
  /** The subform this sheet lists the rows of (one sheet row per subform row), or none (one row per record). */
  readonly subform?: ExportColumn;
  readonly columns: readonly ExportColumn[];
}

const kindOf = (c: ExportColumn): CellKind => (c.type === 'date' ? 'date' : c.type === 'number' ? 'number' : 'text');
const cell = (value: unknown, c: ExportColumn) => spreadsheetSafe(displayValue(value, c));

/**
 * XLSX: one sheet per form (its readable top-level fields, one row per record, first column the record id), and
 * one extra sheet per readable subform (one row per subform row: record id, row id, the row's readable fields),
 * linked to the form sheets by the record id. A streaming workbook writes sheets one after the other, so the
 * runner makes one pass over the records per sheet (same snapshot).
 */
export const xlsxFormat: ExportFormatDefinition = {
  format: 'xlsx',
  extension: 'xlsx',
  contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  generic: true,
  create(ctx: ExportWriterContext): ExportWriter {
    const plans: SheetPlan[] = [];
    for (const form of ctx.forms) {
      const scalars = form.columns.filter((c) => !c.children);
      if (scalars.length) plans.push({ name: form.label, columns: scalars });
    }
    for (const form of ctx.forms) {
      for (const sub of form.columns.filter((c) => c.children && c.children.length)) plans.push({ name: sub.header, subform: sub, columns: sub.children! });
    }
    if (plans.length === 0) plans.push({ name: 'Records', columns: [] });
    const book = new StreamingWorkbook(ctx.out);
    let sheet: SheetWriter | undefined;
    let kinds: CellKind[] = [];
    const open = (pass: number) => {
      const plan = plans[pass];
      sheet = book.sheet(plan.name);
      const head = plan.subform ? [ctx.labels ? 'Record ID' : 'record_id', ctx.labels ? 'Row ID' : 'row_id'] : [ctx.labels ? 'Record ID' : 'record_id', ctx.labels ? 'Short ID' : 'short_id'];
      sheet.add([...head, ...plan.columns.map((c) => spreadsheetSafe(c.header))]);
      kinds = ['text', 'text', ...plan.columns.map(kindOf)];
    };
    return {
      passes: plans.length,
      write(view, _meta, pass) {
        if (!sheet) open(pass);
        const plan = plans[pass];
        if (!plan.subform) {
          sheet!.add([view.id, view.shortId, ...plan.columns.map((c) => cell(view.data[c.key], c))], kinds);
        } else {
          const rows = view.data[plan.subform.key];
          for (const row of Array.isArray(rows) ? rows : []) {
            if (!row || typeof row !== 'object') continue;
            const r = row as Record<string, unknown>;
            sheet!.add([view.id, typeof r._id === 'string' ? r._id : null, ...plan.columns.map((c) => cell(r[c.key], c))], kinds);
          }
        }
        const wait = sheet!.pressure();
        return wait ? wait.then(() => true) : true;
      },
      async endPass(pass) {
        if (!sheet) open(pass);
        await sheet!.commit();
        sheet = undefined;
      },
      async end() {
        await book.commit();
      },
    };
  },
};
