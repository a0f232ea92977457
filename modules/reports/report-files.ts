import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafe, type ReportTable } from '../../engine/index.js';

type Cell = string | number;

/**
 * The table as spreadsheet rows: a header (indicator, value, the columns, total), one line per table row, and
 * a "Total" line under each split indicator. Counts stay numbers; suppressed cells are the same text as in
 * JSON ("<5", "*"); every text goes through `spreadsheetSafe`, so no label can become a formula.
 */
export function reportRows(table: ReportTable, texts: { indicator: string; value: string; total: string }): Cell[][] {
  const safe = (value: Cell): Cell => spreadsheetSafe(value);
  const rows: Cell[][] = [[texts.indicator, texts.value, ...table.columns.map((c) => c.label), texts.total].map(safe)];
  for (const ind of table.indicators) {
    for (const row of table.rows.filter((r) => r.indicator === ind.key)) {
      rows.push([ind.label, row.value === undefined ? '' : row.label, ...row.cells, row.total].map(safe));
    }
    const totals = table.totals.find((t) => t.indicator === ind.key);
    if (totals !== undefined) rows.push([ind.label, texts.total, ...totals.cells, totals.total].map(safe));
  }
  // Rates and averages after the counts; a figure without a value (nothing to divide by) is an empty cell.
  for (const d of table.derived) rows.push([d.label, '', ...d.cells, d.total].map((value) => safe(value ?? '')));
  return rows;
}

export function reportCsv(rows: Cell[][]): Buffer {
  // A byte order mark so spreadsheet programs read the UTF-8 labels (French, Arabic) correctly.
  return Buffer.from('\uFEFF' + stringify(rows), 'utf8');
}

export async function reportXlsx(table: ReportTable, rows: Cell[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(table.key.slice(0, 31));
  for (const row of rows) sheet.addRow(row);
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1, xSplit: 2 }];
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
