import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { dateCell } from './writer.js';

/**
 * A streaming `.xlsx` (exceljs WorkbookWriter): rows are committed as they come, so memory does not grow with
 * the row count. Sheets are written one after the other (the archive holds one open entry at a time). Text is
 * always written as a string cell, never as a formula; date cells get a date format.
 */
export class StreamingWorkbook {
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly names = new Set<string>();
  private readonly done: Promise<void>;

  constructor(out: Writable) {
    this.done = new Promise<void>((resolve, reject) => {
      out.on('error', reject);
      out.on('finish', resolve);
    });
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  }

  /** A sheet named `name` (cut to Excel's 31 characters, characters Excel refuses replaced, made unique). */
  sheet(name: string): SheetWriter {
    let base = name.replace(/[[\]:*?/\\]/g, ' ').trim().slice(0, 31) || 'Sheet';
    let candidate = base;
    for (let n = 2; this.names.has(candidate.toLowerCase()); n++) {
      const suffix = ` (${n})`;
      base = base.slice(0, 31 - suffix.length);
      candidate = base + suffix;
    }
    this.names.add(candidate.toLowerCase());
    return new SheetWriter(this.workbook.addWorksheet(candidate));
  }

  async commit(): Promise<void> {
    await this.workbook.commit();
    await this.done;
  }
}

export type CellKind = 'text' | 'number' | 'date';

const DATE_STYLE: Partial<ExcelJS.Style> = Object.freeze({ numFmt: 'yyyy-mm-dd' });
const PLAIN_STYLE: Partial<ExcelJS.Style> = Object.freeze({});

export class SheetWriter {
  constructor(private readonly ws: ExcelJS.Worksheet) {}

  /** One row; `kinds[i]` says how cell i is written (text by default). */
  add(values: readonly unknown[], kinds?: readonly CellKind[]): void {
    // An empty cell is left out (undefined), not written as a null cell: exceljs then makes no cell object for it,
    // and a reader sees the same empty cell (Incident Recorder rows are about half empty).
    const cells: (ExcelJS.CellValue | undefined)[] = values.map((v, i) => {
      if (v === null || v === undefined || v === '') return undefined;
      const kind = kinds?.[i] ?? 'text';
      if (kind === 'date') {
        const d = dateCell(v);
        if (d) return d;
      }
      if (typeof v === 'number' && (kind === 'number' || kind === 'date')) return v;
      if (typeof v === 'boolean') return v;
      return typeof v === 'string' ? v : String(v);
    });
    const row = this.ws.addRow(cells);
    // One shared style object per kind: exceljs caches a style's id by object, so styling costs once per sheet,
    // not once per cell (a fresh style object per cell made the style table the slowest part of a big export).
    for (let i = 0; i < cells.length; i++) {
      const value = cells[i];
      if (value !== undefined) row.getCell(i + 1).style = value instanceof Date ? DATE_STYLE : PLAIN_STYLE;
    }
    row.commit();
  }

  async commit(): Promise<void> {
    await this.ws.commit();
  }
}
