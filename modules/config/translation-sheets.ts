import ExcelJS from 'exceljs';
import { exportTranslationTable, importTranslationTable, type BundleIssue, type ParsedBundle } from '../../engine/index.js';

/**
 * Translation spreadsheets for translators, who never edit JSON: one row per translation key, a column for
 * the base language and one per locale. `.xlsx` or `.csv`, by the file's extension.
 */
function isCsv(file: string): boolean {
  return file.toLowerCase().endsWith('.csv');
}

export async function exportTranslations(bundle: ParsedBundle, file: string, locales?: string[]): Promise<number> {
  const table = exportTranslationTable(bundle, locales);
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('translations');
  sheet.addRow([...table.header]);
  for (const row of table.rows) sheet.addRow([...row]);
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  table.header.forEach((_, i) => (sheet.getColumn(i + 1).width = i < 3 ? 28 : 48));
  if (isCsv(file)) await workbook.csv.writeFile(file);
  else await workbook.xlsx.writeFile(file);
  return table.rows.length;
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
    if ('text' in value) return String(value.text);
    if ('result' in value) return String(value.result ?? '');
  }
  return String(value);
}

export async function importTranslations(bundle: ParsedBundle, file: string): Promise<{ written: Record<string, string>; issues: readonly BundleIssue[] }> {
  const workbook = new ExcelJS.Workbook();
  const sheet = isCsv(file) ? await workbook.csv.readFile(file) : (await workbook.xlsx.readFile(file), workbook.worksheets[0]);
  const rows: string[][] = [];
  sheet?.eachRow({ includeEmpty: false }, (row) => {
    const values = row.values as ExcelJS.CellValue[];
    rows.push(values.slice(1).map(cellText));
  });
  const [header = [], ...body] = rows;
  const { files, issues } = importTranslationTable(bundle, { header, rows: body });
  return { written: { ...files }, issues };
}
