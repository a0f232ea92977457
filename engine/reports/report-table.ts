/**
 * Turns the counts of a report run (`buildReportQuery`'s rows) into the published table: one section per
 * indicator (one row, or one row per bucket of its `by` split), columns of the `groupBy` split (or one column
 * "All"), row totals, per-section column totals and grand totals — all true counts — and then small-cell
 * suppression per section (`suppressSmallCells`). Only displayed values leave this function.
 */
import { displayCount, suppressSmallCells, SUPPRESSION_WORK_LIMIT, type CellState, type SuppressionBudget } from './suppress.js';
import { NONE_BUCKET, OTHER_BUCKET, type Bucket, type Dimension, type PlannedDerived, type ReportPlan } from './report-query.js';

/**
 * One row of the SQL answer: indicator index, row bucket, column bucket, count, GROUPING(rk, ck); for an
 * average (index past the indicators), `n` is the number of records with a value and `s` their sum.
 */
export interface ReportCountRow {
  readonly i: number;
  readonly rk: string | null;
  readonly ck: string | null;
  readonly n: number;
  readonly s?: number | null;
  readonly g: number;
}

export type DisplayCount = number | string;

export interface ReportTableRow {
  readonly key: string;
  readonly indicator: string;
  readonly indicatorLabel: string;
  /** The bucket of the indicator's split (absent for one-row indicators). */
  readonly value?: string;
  readonly label: string;
  readonly cells: readonly DisplayCount[];
  readonly total: DisplayCount;
}

export interface ReportTableTotals {
  readonly indicator: string;
  readonly label: string;
  readonly cells: readonly DisplayCount[];
  readonly total: DisplayCount;
}

/** A rate or average: a number, `*` where a count it derives from is suppressed, null where it has no value (0 denominator). */
export type DerivedValue = number | string | null;

export interface ReportDerivedRow {
  readonly key: string;
  readonly label: string;
  readonly format: 'percent' | 'decimal';
  readonly cells: readonly DerivedValue[];
  readonly total: DerivedValue;
}

export interface ReportTable {
  readonly key: string;
  readonly label: string;
  readonly groupBy?: { readonly key: string; readonly label: string };
  readonly columns: readonly Bucket[];
  readonly indicators: readonly { readonly key: string; readonly label: string; readonly by?: string }[];
  readonly rows: readonly ReportTableRow[];
  /** Column totals of the indicators split by a `by` (the one-row indicators' totals are their `total`). */
  readonly totals: readonly ReportTableTotals[];
  /** Rates and averages, one value per column and a total (docs/reports.md, "Rates and averages"). */
  readonly derived: readonly ReportDerivedRow[];
  readonly suppressed: boolean;
  readonly threshold: number;
}

/** Buckets of a split: fixed ones, then any seen in the data, then "not recorded"; "other" only when seen. */
function buckets(dimension: Dimension | undefined, seen: ReadonlySet<string>, texts: ReportPlan['texts'], range?: readonly string[]): Bucket[] {
  if (dimension === undefined) return [{ key: 'all', label: texts.all }];
  const out: Bucket[] = [...dimension.fixed];
  const known = new Set(out.map((b) => b.key));
  const extra = [...(range ?? []), ...[...seen].sort()].filter((key) => key !== NONE_BUCKET && key !== OTHER_BUCKET);
  for (const key of extra) {
    if (known.has(key)) continue;
    known.add(key);
    out.push({ key, label: dimension.labelOf(key) });
  }
  out.push({ key: NONE_BUCKET, label: texts.notRecorded });
  if (seen.has(OTHER_BUCKET)) out.push({ key: OTHER_BUCKET, label: texts.other });
  return out;
}

export function assembleReportTable(plan: ReportPlan, counts: readonly ReportCountRow[]): ReportTable {
  const columnSeen = new Set<string>();
  for (const row of counts) if ((row.g & 1) === 0 && row.ck !== null && row.n > 0) columnSeen.add(row.ck);
  const columns = buckets(plan.columnDimension, columnSeen, plan.texts, plan.columnRange);
  const columnIndex = new Map(columns.map((c, j) => [c.key, j]));
  const colOf = (ck: string | null): number => (plan.columnDimension === undefined ? 0 : (columnIndex.get(ck ?? '') ?? -1));

  const rows: ReportTableRow[] = [];
  const totals: ReportTableTotals[] = [];
  let suppressed = false;
  /** True counts and their suppression states per count reference, one per column and the total last. */
  const lines = new Map<string, { readonly values: readonly number[]; readonly states: readonly CellState[] }>();
  const budget: SuppressionBudget = { left: SUPPRESSION_WORK_LIMIT };
  plan.indicators.forEach((ind, i) => {
    const mine = counts.filter((row) => row.i === i);
    const rowSeen = new Set<string>();
    for (const row of mine) if ((row.g & 2) === 0 && row.rk !== null && row.n > 0) rowSeen.add(row.rk);
    const rowBuckets = ind.rowDimension === undefined ? [{ key: '', label: ind.label }] : buckets(ind.rowDimension, rowSeen, plan.texts);
    const rowIndex = new Map(rowBuckets.map((b, r) => [b.key, r]));
    const rowOf = (rk: string | null): number => (ind.rowDimension === undefined ? 0 : (rowIndex.get(rk ?? '') ?? -1));

    const cells = rowBuckets.map(() => columns.map(() => 0));
    const rowTotals = rowBuckets.map(() => 0);
    const columnTotals = columns.map(() => 0);
    let grandTotal = 0;
    for (const row of mine) {
      const r = rowOf(row.rk);
      const c = colOf(row.ck);
      if (row.g === 0 && r >= 0 && c >= 0) (cells[r] as number[])[c] = row.n;
      else if (row.g === 1 && r >= 0) rowTotals[r] = row.n;
      else if (row.g === 2 && c >= 0) columnTotals[c] = row.n;
      else if (row.g === 3) grandTotal = row.n;
    }
    const hidden = suppressSmallCells({ cells, rowTotals, columnTotals, grandTotal }, plan.threshold, budget);
    suppressed ||= hidden.suppressed;
    if (ind.rowDimension === undefined) {
      lines.set(ind.key, { values: [...(cells[0] as number[]), rowTotals[0] as number], states: [...(hidden.cells[0] ?? []), hidden.rowTotals[0] ?? 'shown'] });
    } else {
      rowBuckets.forEach((bucket, r) =>
        lines.set(`${ind.key}.${bucket.key}`, { values: [...(cells[r] as number[]), rowTotals[r] as number], states: [...(hidden.cells[r] ?? []), hidden.rowTotals[r] ?? 'shown'] }),
      );
      lines.set(ind.key, { values: [...columnTotals, grandTotal], states: [...hidden.columnTotals, hidden.grandTotal] });
    }
    const show = (n: number, state: Parameters<typeof displayCount>[1]): DisplayCount => displayCount(n, state, plan.threshold);
    rowBuckets.forEach((bucket, r) => {
      rows.push({
        key: ind.rowDimension === undefined ? ind.key : `${ind.key}.${bucket.key}`,
        indicator: ind.key,
        indicatorLabel: ind.label,
        ...(ind.rowDimension === undefined ? {} : { value: bucket.key }),
        label: bucket.label,
        cells: (cells[r] as number[]).map((n, c) => show(n, hidden.cells[r]?.[c] ?? 'shown')),
        total: show(rowTotals[r] as number, hidden.rowTotals[r] ?? 'shown'),
      });
    });
    if (ind.rowDimension !== undefined) {
      totals.push({
        indicator: ind.key,
        label: ind.label,
        cells: columnTotals.map((n, c) => show(n, hidden.columnTotals[c] ?? 'shown')),
        total: show(grandTotal, hidden.grandTotal),
      });
    }
  });

  const derived = (plan.derived ?? []).map((d): ReportDerivedRow => {
    const values = deriveValues(d, lines, counts, columns.length, colOf, plan.threshold);
    return { key: d.key, label: d.label, format: d.format, cells: values.slice(0, columns.length), total: values[columns.length] ?? null };
  });
  // An average hidden for having too few values hides something too.
  suppressed ||= derived.some((d) => [...d.cells, d.total].includes('*'));

  return {
    key: plan.key,
    label: plan.label,
    ...(plan.columnDimension === undefined ? {} : { groupBy: { key: plan.columnDimension.key, label: plan.columnDimension.label } }),
    columns,
    indicators: plan.indicators.map((ind) => ({ key: ind.key, label: ind.label, ...(ind.rowDimension === undefined ? {} : { by: ind.rowDimension.key }) })),
    rows,
    totals,
    derived,
    suppressed,
    threshold: plan.threshold,
  };
}

function formatted(value: number, format: PlannedDerived['format']): number {
  return format === 'percent' ? Math.round(value * 1000) / 10 : Math.round(value * 100) / 100;
}

/**
 * A derived figure per column and total. A value is published only where every count it derives from is
 * published unsuppressed (shown, so 0 or at least the threshold); an average also needs at least `threshold`
 * records with a value. Otherwise `*`; null where there is nothing to divide by.
 */
function deriveValues(
  d: PlannedDerived,
  lines: ReadonlyMap<string, { readonly values: readonly number[]; readonly states: readonly CellState[] }>,
  counts: readonly ReportCountRow[],
  columns: number,
  colOf: (ck: string | null) => number,
  threshold: number,
): DerivedValue[] {
  const out: DerivedValue[] = [];
  if (d.ratio !== undefined) {
    // A row of a split the data never reached (a status no record has) counts 0 in every column.
    const none = { values: Array.from({ length: columns + 1 }, () => 0), states: Array.from({ length: columns + 1 }, (): CellState => 'shown') };
    const numerator = lines.get(d.ratio.numerator) ?? none;
    const denominator = lines.get(d.ratio.denominator) ?? none;
    for (let c = 0; c <= columns; c++) {
      if (numerator.states[c] !== 'shown' || denominator.states[c] !== 'shown') out.push('*');
      else {
        const den = denominator.values[c] ?? 0;
        out.push(den === 0 ? null : formatted((numerator.values[c] ?? 0) / den, d.format));
      }
    }
    return out;
  }
  const average = d.average as NonNullable<PlannedDerived['average']>;
  const over = lines.get(average.over);
  const sums: { n: number; s: number }[] = Array.from({ length: columns + 1 }, () => ({ n: 0, s: 0 }));
  for (const row of counts) {
    if (row.i !== average.index) continue;
    const c = row.g === 0 ? colOf(row.ck) : row.g === 1 ? columns : -1;
    if (c >= 0 && sums[c] !== undefined) sums[c] = { n: row.n, s: Number(row.s ?? 0) };
  }
  for (let c = 0; c <= columns; c++) {
    const { n, s } = sums[c] as { n: number; s: number };
    if (over === undefined) out.push(null);
    else if (over.states[c] !== 'shown' || (n > 0 && n < threshold)) out.push('*');
    else out.push(n === 0 ? null : formatted(s / n, d.format));
  }
  return out;
}
