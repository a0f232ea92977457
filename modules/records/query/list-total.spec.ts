import { describe, expect, it } from '@jest/globals';
import { EXACT_TOTAL_LIMIT, planRows, totalFromCount, totalFromPage } from './list-total.js';

describe('list totals', () => {
  it('a short page tells the total without counting', () => {
    expect(totalFromPage(1, 20, 0)).toBe(0);
    expect(totalFromPage(1, 20, 7)).toBe(7);
    expect(totalFromPage(3, 20, 5)).toBe(45);
  });

  it('a full page, or an empty page past the first, needs a count', () => {
    expect(totalFromPage(1, 20, 20)).toBeUndefined();
    expect(totalFromPage(4, 20, 0)).toBeUndefined();
  });

  it('is exact up to the limit', () => {
    expect(totalFromCount(0, undefined)).toEqual({ total: 0 });
    expect(totalFromCount(EXACT_TOTAL_LIMIT, 123_456)).toEqual({ total: EXACT_TOTAL_LIMIT });
  });

  it('beyond the limit: the estimate, flagged, never below what the count proved', () => {
    expect(totalFromCount(EXACT_TOTAL_LIMIT + 1, 250_000.4)).toEqual({ total: 250_000, totalIsEstimate: true });
    expect(totalFromCount(EXACT_TOTAL_LIMIT + 1, 12)).toEqual({ total: EXACT_TOTAL_LIMIT + 1, totalIsEstimate: true });
    expect(totalFromCount(EXACT_TOTAL_LIMIT + 1, undefined)).toEqual({ total: EXACT_TOTAL_LIMIT + 1, totalIsEstimate: true });
    expect(totalFromCount(6, 99, 5)).toEqual({ total: 99, totalIsEstimate: true });
  });

  it('reads the planner estimate from EXPLAIN (FORMAT JSON), parsed or as text', () => {
    const plan = [{ Plan: { 'Node Type': 'Bitmap Heap Scan', 'Plan Rows': 31_337 } }];
    expect(planRows([{ 'QUERY PLAN': plan }])).toBe(31_337);
    expect(planRows([{ 'QUERY PLAN': JSON.stringify(plan) }])).toBe(31_337);
    expect(planRows([])).toBeUndefined();
    expect(planRows([{ 'QUERY PLAN': 'nope' }])).toBeUndefined();
  });
});
