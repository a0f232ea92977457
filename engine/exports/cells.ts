/**
 * Cells of exported spreadsheets: typed values, and text that no spreadsheet evaluates.
 *
 * Formula injection (CSV/XLSX injection) was a finding of Primero's own penetration tests: a free-text
 * field holding `=HYPERLINK(…)` or `=cmd|…` became a live formula in the analyst's spreadsheet. Haven
 * neutralises such text the way OWASP recommends: a cell whose text starts with `=`, `+`, `-`, `@`, a tab
 * or a carriage return (or their full-width forms, which some spreadsheet front ends normalise) gets a
 * single quote `'` in front. The quote is part of the text, so the cell shows it: an honest marker that
 * survives CSV, XLSX and copy/paste alike, where Excel's hidden "quote prefix" style would not survive a
 * CSV round trip. The xlsx writer must still write every text cell as a string (never as a formula), and
 * `importRow` strips the quote again before such text, so exported values read back unchanged.
 */
import type { ExportCellType } from '../bundle/schema/export.js';
import type { Cell } from './types.js';

/** Characters a spreadsheet may read as the start of a formula (or a DDE command), as a pattern (`isFormulaLike` tests them one by one). */
export const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
/** Our own neutralising quote, in front of such a character. */
const NEUTRALISED = /^'(?=[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20])/;

/** True for text that a spreadsheet could evaluate (FORMULA_START, tested on the first code unit: exports call it per cell). */
export function isFormulaLike(text: string): boolean {
  switch (text.charCodeAt(0)) {
    case 0x3d: // =
    case 0x2b: // +
    case 0x2d: // -
    case 0x40: // @
    case 0x09: // tab
    case 0x0d: // carriage return
    case 0xff1d:
    case 0xff0b:
    case 0xff0d:
    case 0xff20:
      return true;
    default:
      return false;
  }
}

/**
 * A value as a spreadsheet-safe cell: text starting like a formula is returned with a leading `'`
 * (see above); numbers, null and other text are returned as they are.
 */
export function spreadsheetSafe<T>(value: T): T | string {
  return typeof value === 'string' && isFormulaLike(value) ? `'${value}` : value;
}

/** Undoes `spreadsheetSafe` (imports): the leading quote before a formula character is dropped. */
export function unneutralise(text: string): string {
  return NEUTRALISED.test(text) ? text.slice(1) : text;
}

function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map(textOf).filter((part): part is string => part !== null);
    return parts.length === 0 ? null : parts.join(', ');
  }
  // Objects (subform rows, date ranges…) never reach a cell as JSON.
  return null;
}

/**
 * A column value as a cell of its type: numbers stay numbers in `number` and `date` columns (a year in
 * a date column), everything else becomes text; empty values (null, "", []) are null; objects never
 * reach a cell. Text is made spreadsheet-safe.
 */
export function toCell(value: unknown, type: ExportCellType): Cell {
  if (typeof value === 'number' && type !== 'text') return Number.isFinite(value) ? value : null;
  const text = textOf(value);
  return text === null ? null : (spreadsheetSafe(text) as string);
}
