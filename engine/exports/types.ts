/** Public shapes of compiled export mappings (docs/config-format.md, "Export mappings"). */
import type { ImportIssueCode } from '../bundle/issue-codes.js';
import type { ExportCellType, ExportFormat, ExportMapping } from '../bundle/schema/export.js';

/** One cell: text, a number, or empty. Dates are `YYYY-MM-DD` text in `date` columns. */
export type Cell = string | number | null;

/**
 * What a record's data does not hold but an export shows, supplied by the server for each record
 * (columns read it as `meta.owner.code`, `meta.agency.code`, …).
 */
export interface ExportMeta {
  /** The record's owner: username and user code (the Incident Recorder's caseworker code). */
  readonly owner?: { readonly username?: string | null; readonly code?: string | null } | null;
  /** The agency that created the record (Primero's `created_organization`). */
  readonly agency?: { readonly code?: string | null; readonly name?: string | null } | null;
  /** ISO timestamp of creation. */
  readonly createdAt?: string | null;
  readonly shortId?: string | null;
  readonly displayId?: string | null;
}

export interface ExportColumnInfo {
  readonly key: string;
  readonly type: ExportCellType;
  /** Base-language header. */
  readonly header: string;
  /** Whether `importRow` reads this column back into a field (its `import`). */
  readonly reversible: boolean;
}

/** One column of a menu sheet: distinct values of a data column, in order of first appearance. */
export interface MenuColumn {
  /** The data column it collects (`from`). */
  readonly from: string;
  readonly values: readonly Cell[];
  /** True when there were more distinct values than the sheet's `maxValues`. */
  readonly truncated: boolean;
}

/** Collects menu values while rows stream by (`menuValues` in one pass over an iterable). */
export interface MenuCollector {
  add(row: readonly Cell[]): void;
  values(): MenuColumn[];
}

export interface ImportIssue {
  readonly code: ImportIssueCode;
  /** The column's key, or the header text for a header no column has. */
  readonly column: string;
  readonly message: string;
  readonly value?: unknown;
}

export interface ImportResult {
  /** Record data for the reversible columns (plus the unmapped-values text field); to be `process()`ed. */
  readonly data: Record<string, unknown>;
  /** Cells not imported into a field: by column key (by header text for unknown headers). */
  readonly unmapped: Record<string, unknown>;
  readonly issues: readonly ImportIssue[];
}

export interface ImportOptions {
  /** Id of the one row an import writes into a subform (default `ir_import`); the server may mint UUIDs. */
  readonly rowId?: (subform: string) => string;
}

/** An export mapping compiled against a configuration: pure, and fast enough to stream (see README). */
export interface CompiledExport {
  readonly key: string;
  readonly module: string;
  readonly recordType: string;
  readonly format: ExportFormat;
  readonly definition: ExportMapping;
  /** The locales of the mapping's bundle (headers are translated into these; others fall back). */
  readonly locales: readonly string[];
  readonly dataSheet: { readonly key: string };
  readonly menuSheet?: { readonly key: string; readonly maxValues?: number };
  readonly columns: readonly ExportColumnInfo[];
  label(locale?: string): string;
  sheetLabel(sheet: string, locale?: string): string;
  /** The data sheet's header row. */
  headers(locale?: string): Cell[];
  /** The menu sheet's header row (empty without a menu sheet). */
  menuHeaders(locale?: string): Cell[];
  /** Whether the mapping's `include` holds for the record (records it refuses are not exported). */
  includes(record: Readonly<Record<string, unknown>>, meta?: ExportMeta): boolean;
  /** One data row (every text cell made spreadsheet-safe). Does not apply `include`. */
  row(record: Readonly<Record<string, unknown>>, meta?: ExportMeta, locale?: string): Cell[];
  /** The menu sheet's columns from the data rows written. */
  menuValues(rows: Iterable<readonly Cell[]>): MenuColumn[];
  menuCollector(): MenuCollector;
  /** Reads one spreadsheet row back (legacy imports): headers in any locale of the mapping. */
  importRow(headers: readonly unknown[], cells: readonly unknown[], options?: ImportOptions): ImportResult;
}
