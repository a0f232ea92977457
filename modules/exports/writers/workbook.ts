import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { dateCell, fileFinished } from './writer.js';

/**
 * A streaming `.xlsx` (exceljs WorkbookWriter): rows are committed as they come, so memory does not grow with
 * the row count. Sheets are written one after the other (the archive holds one open entry at a time). Text is
 * always written as a string cell, never as a formula; date cells get a date format.
 */
export class StreamingWorkbook {
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly names = new Set<string>();
  private readonly done: Promise<void>;
  /** Why the file failed (its stream's error), once it has. */
  private failure?: Error;
  private readonly onFail = new Set<(err: Error) => void>();
  /** Rejects with the file's error, if it fails; never resolves. */
  readonly failed: Promise<never>;

  constructor(out: Writable) {
    this.done = fileFinished(out);
    this.failed = new Promise<never>((_, reject) => out.on('error', reject));
    // Observed here (commit() rethrows it): a file that fails before commit() is no unhandled rejection.
    this.failed.catch(() => undefined);
    out.on('error', (err: Error) => {
      this.failure ??= err;
      for (const fn of this.onFail) fn(err);
      this.onFail.clear();
    });
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  }

  /**
   * Calls `fn` when the file fails (archiver does not pass its output's errors back to the entries, so a sheet
   * waiting for the compressor would otherwise wait for good); returns what cancels it. The failure so far, if any.
   */
  whenFailed(fn: (err: Error) => void): { failure?: Error; cancel: () => void } {
    if (this.failure) return { failure: this.failure, cancel: () => undefined };
    this.onFail.add(fn);
    return { cancel: () => this.onFail.delete(fn) };
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
    return new SheetWriter(this.workbook.addWorksheet(candidate), this);
  }

  async commit(): Promise<void> {
    // A file that failed ends the commit with its error (exceljs would wait for the archive for good).
    await Promise.race([this.workbook.commit(), this.done]);
    await this.done;
  }
}

export type CellKind = 'text' | 'number' | 'date';

/** Bytes of a sheet's XML that may wait for the archive's compressor before the writer waits (`SheetWriter.pressure`). */
export const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** What `pressure` reads of exceljs's entry stream (a readable-stream PassThrough). */
interface EntryStream {
  readonly _writableState?: { readonly length?: number };
  once(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

const DATE_STYLE: Partial<ExcelJS.Style> = Object.freeze({ numFmt: 'yyyy-mm-dd' });
const PLAIN_STYLE: Partial<ExcelJS.Style> = Object.freeze({});

export class SheetWriter {
  constructor(
    private readonly ws: ExcelJS.Worksheet,
    private readonly book: StreamingWorkbook,
  ) {}

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

  /**
   * A promise to wait on while too much of this sheet's XML waits for the archive's compressor; undefined when
   * there is room. exceljs hands the XML on without waiting (its StreamBuf ignores what `write()` answers), so when
   * rows come faster than the archive compresses them (two cores, one of them busy with the database) the XML
   * piles up in the entry stream: 80 MB by the end of a 100,000-incident Incident Recorder export, and growing with
   * the export. Reads exceljs's entry stream (`worksheet.stream.pipes[0]`); workbook.spec.ts checks that it is
   * found, so that an exceljs upgrade that moves it fails there instead of silently losing the back-pressure.
   */
  pressure(): Promise<void> | undefined {
    const entry = this.entryStream();
    if (!entry || (entry._writableState?.length ?? 0) <= MAX_BACKLOG_BYTES) return undefined;
    return new Promise<void>((resolve, reject) => {
      const events = ['drain', 'error', 'close'];
      const settle = (err?: Error) => {
        for (const event of events) entry.removeListener(event, onEntry);
        failed.cancel();
        if (err) reject(err);
        else resolve();
      };
      const onEntry = () => settle();
      // The file failing (an INSERT of a chunk refused, the connection lost) ends the wait with its error.
      const failed = this.book.whenFailed((err) => settle(err));
      if (failed.failure) return reject(failed.failure);
      for (const event of events) entry.once(event, onEntry);
    });
  }

  /** The stream the archive reads this sheet's XML from (exceljs internals; undefined until the archive reads it). */
  entryStream(): EntryStream | undefined {
    const pipes = (this.ws as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes;
    const entry = pipes?.[0] as EntryStream | undefined;
    return entry && typeof entry.once === 'function' && typeof entry._writableState?.length === 'number' ? entry : undefined;
  }

  async commit(): Promise<void> {
    // A file that failed ends the commit with its error (exceljs would wait for the archive for good).
    await Promise.race([this.ws.commit(), this.book.failed]);
  }
}
