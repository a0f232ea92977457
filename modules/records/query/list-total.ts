/**
 * How a list's `total` is found. Exact up to EXACT_TOTAL_LIMIT (a count over a `LIMIT limit + 1` subquery, so a
 * huge result is never counted in full); beyond that the planner's row estimate (EXPLAIN), flagged
 * `totalIsEstimate`. A page that is not full already tells the total, and no count runs at all.
 */
export const EXACT_TOTAL_LIMIT = 10_000;

export interface ListTotal {
  total: number;
  totalIsEstimate?: true;
}

/** The total when the page itself tells it (a short page that is not past the end), else undefined. */
export function totalFromPage(page: number, pageSize: number, itemCount: number): number | undefined {
  if (itemCount >= pageSize) return undefined;
  if (itemCount === 0 && page > 1) return undefined;
  return (page - 1) * pageSize + itemCount;
}

/**
 * The total from a capped count: exact when at most `limit`, otherwise the estimate (never less than
 * `limit + 1`, which the count proved), flagged.
 */
export function totalFromCount(cappedCount: number, estimate: number | undefined, limit = EXACT_TOTAL_LIMIT): ListTotal {
  if (cappedCount <= limit) return { total: cappedCount };
  const rounded = Number.isFinite(estimate) ? Math.round(estimate as number) : 0;
  return { total: Math.max(rounded, limit + 1), totalIsEstimate: true };
}

/** The row estimate of the top plan node of `EXPLAIN (FORMAT JSON)` output, undefined when unreadable. */
export function planRows(explainRows: unknown): number | undefined {
  const first = Array.isArray(explainRows) ? (explainRows[0] as Record<string, unknown> | undefined) : undefined;
  let plan = first?.['QUERY PLAN'];
  if (typeof plan === 'string') {
    try {
      plan = JSON.parse(plan);
    } catch {
      return undefined;
    }
  }
  const rows = (Array.isArray(plan) ? (plan[0] as { Plan?: { 'Plan Rows'?: unknown } } | undefined) : undefined)?.Plan?.['Plan Rows'];
  return typeof rows === 'number' && Number.isFinite(rows) ? rows : undefined;
}
