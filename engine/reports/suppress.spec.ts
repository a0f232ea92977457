import { describe, expect, it } from '@jest/globals';
import { displayCount, suppressSmallCells, SUPPRESSION_WORK_LIMIT, type TableCounts } from './suppress.js';

/** Builds consistent totals for a matrix of true counts (a partition: cells add up). */
function table(cells: number[][]): TableCounts {
  const rowTotals = cells.map((row) => row.reduce((a, b) => a + b, 0));
  const columnTotals = (cells[0] ?? []).map((_, c) => cells.reduce((a, row) => a + (row[c] ?? 0), 0));
  return { cells, rowTotals, columnTotals, grandTotal: rowTotals.reduce((a, b) => a + b, 0) };
}

/** The published matrix, totals included: row totals as the last column, column totals as the last row. */
function published(t: TableCounts, threshold = 5): (number | string)[][] {
  const s = suppressSmallCells(t, threshold);
  const rows = t.cells.map((row, r) => [...row.map((n, c) => displayCount(n, s.cells[r]![c]!, threshold)), displayCount(t.rowTotals[r]!, s.rowTotals[r]!, threshold)]);
  rows.push([...t.columnTotals.map((n, c) => displayCount(n, s.columnTotals[c]!, threshold)), displayCount(t.grandTotal, s.grandTotal, threshold)]);
  return rows;
}

/**
 * Brute force: is some hidden entry determined by the published ones? Enumerates every assignment of the
 * hidden entries that a reader cannot rule out ("<5": 1–4; "*": from the threshold to `max`) and keeps all
 * line sums, and reports the hidden entries that take one value in all of them.
 */
function recoverable(t: TableCounts, threshold = 5, max = 60): string[] {
  const s = suppressSmallCells(t, threshold);
  const R = t.cells.length;
  const C = t.columnTotals.length;
  const value = [...t.cells.map((row, r) => [...row, t.rowTotals[r]!]), [...t.columnTotals, t.grandTotal]];
  const state = [...s.cells.map((row, r) => [...row, s.rowTotals[r]!]), [...s.columnTotals, s.grandTotal]];
  const hidden: [number, number][] = [];
  state.forEach((row, r) => row.forEach((st, c) => st !== 'shown' && hidden.push([r, c])));
  const seen = hidden.map(() => new Set<number>());
  const grid = value.map((row) => [...row]);
  const assigned = value.map((row) => row.map(() => true));
  for (const [r, c] of hidden) assigned[r]![c] = false;
  // A line is checked as soon as all its entries are assigned (pruning keeps the search small).
  const lineOk = (r: number, c: number): boolean => {
    const row = grid[r]!;
    if (assigned[r]!.every(Boolean) && row.slice(0, C).reduce((a, b) => a + b, 0) !== row[C]) return false;
    const col = grid.map((line) => line[c]!);
    if (assigned.every((line) => line[c]) && col.slice(0, R).reduce((a, b) => a + b, 0) !== col[R]) return false;
    return true;
  };
  const walk = (i: number): void => {
    if (i === hidden.length) {
      hidden.forEach(([r, c], j) => seen[j]!.add(grid[r]![c]!));
      return;
    }
    const [r, c] = hidden[i]!;
    const small = state[r]![c] === 'small';
    assigned[r]![c] = true;
    for (let v = small ? 1 : threshold; v <= (small ? threshold - 1 : max); v++) {
      grid[r]![c] = v;
      if (lineOk(r, c)) walk(i + 1);
    }
    assigned[r]![c] = false;
    grid[r]![c] = value[r]![c]!;
  };
  walk(0);
  return hidden.filter((_, j) => seen[j]!.size === 1).map(([r, c]) => `${r},${c}`);
}

/**
 * Brute force for a reader who also knows the rule: every table of true counts that agrees with the published
 * entries and that the rule would have suppressed in exactly the same way (the same entries "<5", the same "*");
 * reports the hidden entries that take one value in all of them.
 */
function recoverableKnowingRule(t: TableCounts, threshold = 5, max = 30): string[] {
  const states = (x: TableCounts) => {
    const s = suppressSmallCells(x, threshold);
    return JSON.stringify([s.cells, s.rowTotals, s.columnTotals, s.grandTotal]);
  };
  const s = suppressSmallCells(t, threshold);
  const published = states(t);
  const R = t.cells.length;
  const C = t.columnTotals.length;
  const hiddenCells: [number, number][] = [];
  t.cells.forEach((row, r) => row.forEach((_, c) => s.cells[r]![c] !== 'shown' && hiddenCells.push([r, c])));
  const seen = new Map<string, Set<number>>();
  const note = (key: string, value: number) => (seen.get(key) ?? seen.set(key, new Set()).get(key)!).add(value);
  const grid = t.cells.map((row) => [...row]);
  const walk = (i: number): void => {
    if (i === hiddenCells.length) {
      const candidate = table(grid);
      const shownTotalsAgree =
        candidate.rowTotals.every((n, r) => s.rowTotals[r] !== 'shown' || n === t.rowTotals[r]) &&
        candidate.columnTotals.every((n, c) => s.columnTotals[c] !== 'shown' || n === t.columnTotals[c]) &&
        (s.grandTotal !== 'shown' || candidate.grandTotal === t.grandTotal);
      if (!shownTotalsAgree || states(candidate) !== published) return;
      hiddenCells.forEach(([r, c]) => note(`${r},${c}`, grid[r]![c]!));
      candidate.rowTotals.forEach((n, r) => s.rowTotals[r] !== 'shown' && note(`${r},${C}`, n));
      candidate.columnTotals.forEach((n, c) => s.columnTotals[c] !== 'shown' && note(`${R},${c}`, n));
      if (s.grandTotal !== 'shown') note(`${R},${C}`, candidate.grandTotal);
      return;
    }
    const [r, c] = hiddenCells[i]!;
    const small = s.cells[r]![c] === 'small';
    for (let v = small ? 1 : threshold; v <= (small ? threshold - 1 : max); v++) {
      grid[r]![c] = v;
      walk(i + 1);
    }
    grid[r]![c] = t.cells[r]![c]!;
  };
  walk(0);
  return [...seen].filter(([, values]) => values.size === 1).map(([key]) => key);
}

describe('small-cell suppression', () => {
  it('shows a table without small cells as it is', () => {
    const t = table([[10, 20], [30, 40]]);
    expect(published(t)).toEqual([[10, 20, 30], [30, 40, 70], [40, 60, 100]]);
    expect(suppressSmallCells(t, 5).suppressed).toBe(false);
  });

  it('keeps zeros', () => {
    expect(published(table([[0, 12], [6, 9]]))).toEqual([[0, 12, 12], [6, 9, 15], [6, 21, 27]]);
  });

  it('hides a small cell and, through its row and column, the cells that would reveal it (a cascade)', () => {
    // 3 is small; row 0 then hides 10; column 0 hides 7; row 1 hides 8 — every line hides two, totals stay.
    expect(published(table([[10, 3], [7, 8]]))).toEqual([['*', '<5', 13], ['*', '*', 15], [17, 11, 28]]);
  });

  it('hides the smallest other non-zero cell, first on ties', () => {
    // 2 is small; row 0 hides its smallest other cell, 6 (not 9); column 0 then hides 6 below the 2; row 1 hides
    // its smallest other cell, the 6 of column 2 (not 20), which also gives column 2 its second hidden cell.
    const t = table([[2, 9, 6], [6, 20, 6]]);
    expect(published(t)).toEqual([['<5', 9, '*', 17], ['*', 20, '*', 32], [8, 29, 12, 49]]);
    expect(recoverable(t)).toEqual([]);
  });

  it('one column (no split): the row total equals the cell and is hidden with it; the section total still shows', () => {
    // Survivors by sex with no column split: female 12, male 3, not recorded 0.
    const t = table([[12], [3], [0]]);
    expect(published(t)).toEqual([['*', '*'], ['<5', '<5'], [0, 0], [15, 15]]);
    expect(recoverable(t)).toEqual([]);
  });

  it('a small total is hidden too, and what would reveal it', () => {
    const t = table([[2, 0], [0, 30]]);
    expect(published(t)).toEqual([['<5', 0, '<5'], [0, '*', '*'], ['<5', '*', 32]]);
    expect(recoverable(t)).toEqual([]);
  });

  it('everything small: all hidden, zeros excepted', () => {
    expect(published(table([[3]]))).toEqual([['<5', '<5'], ['<5', '<5']]);
    expect(published(table([[0, 0], [0, 0]]))).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  });

  it('breaks a bridge: two hidden cells per line are not enough when one hidden cell joins two blocks', () => {
    // Two 2x2 blocks of small cells joined by the small cell (0,2): every line hides two or more, but (0,2) can be
    // recomputed as (rows 2+3) − (columns 2+3) over the shown cells. The smallest cell joining the two sides (30
    // at (3,1)) is hidden as well, which closes a cycle through (0,2).
    const t = table([
      [1, 2, 3, 50],
      [2, 1, 60, 70],
      [80, 90, 1, 2],
      [40, 30, 2, 1],
    ]);
    expect(published(t)).toEqual([
      ['<5', '<5', '<5', 50, 56],
      ['<5', '<5', 60, 70, 133],
      [80, 90, '<5', '<5', 173],
      [40, '*', '<5', '<5', 73],
      [123, 123, 66, 123, 435],
    ]);
    expect(recoverable(t, 5, 100)).toEqual([]);
  });

  it('audits bounds: hides more where "<5" and "*" would pin a count on a cycle', () => {
    // Lines and bridges alone hide the 6-cycle 4, 7 / 6, 1 / 8, 8: every line then hides two entries and there
    // is no bridge, yet 1 ≤ "<5" ≤ 4 on both small cells leaves one solution (4 and 1). The audit finds the
    // first pinned entry (the 4) and hides the smallest entry of its row or column (its row total, 11), and the
    // line rule then hides the other row total (7).
    const t = table([[4, 0, 7], [0, 6, 1], [8, 8, 8]]);
    expect(published(t)).toEqual([['<5', 0, '*', '*'], [0, '*', '<5', '*'], ['*', '*', 8, 24], [12, 14, 16, 42]]);
    expect(recoverable(t)).toEqual([]);
  });

  it('the line rule alone would have left the bridge cell recoverable', () => {
    // Same shape, brute force on a smaller scale: with (3,1) shown, (0,2) is determined.
    const t = table([
      [1, 2, 3, 7],
      [2, 1, 6, 8],
      [8, 9, 1, 2],
      [6, 5, 2, 1],
    ]);
    const s = suppressSmallCells(t, 5);
    expect(s.cells[3]![1]).toBe('secondary');
  });

  it('never leaves a hidden count recoverable from the published totals (brute force over small tables)', () => {
    const tables = [
      [[10, 3], [7, 8]],
      [[1, 9], [9, 9]],
      [[4, 0, 7], [0, 6, 1], [8, 8, 8]],
      [[2, 5, 0], [5, 2, 9]],
      [[1, 2], [2, 9]],
      [[3, 4, 12], [4, 3, 0], [0, 9, 6]],
      [[6], [1], [9]],
      [[0, 3, 0], [12, 0, 7]],
    ];
    for (const cells of tables) expect([cells, recoverable(table(cells), 5, 40)]).toEqual([cells, []]);
  });

  it('never leaves a hidden count recoverable by a reader who knows the rule (which cell the smallest-first choice hid)', () => {
    // `<5 | * | 5 | 7 | 19`: were `*` more than 5, the visible 5 would have been hidden instead: `*` = 5 and `<5` = 2.
    const tables = [
      [[2, 5, 5, 7]],
      [[2, 5, 5, 7], [0, 9, 12, 20]],
      [[3, 6, 6, 9]],
      [[1, 8, 5, 5]],
      [[2, 5], [5, 7]],
    ];
    for (const cells of tables) expect([cells, recoverableKnowingRule(table(cells), 5, 24)]).toEqual([cells, []]);
  });

  it('what no suppression can hide: a whole table below the threshold', () => {
    // Every entry is hidden, but a reader knows each "<5" is at least 1: four cells adding up to less than 5
    // are all 1. Zeros staying 0 (the rule) makes "<5" mean 1–4; such a table says nothing new only if it is
    // not published at all, which is the reader's decision (docs/reports.md, "Limits").
    const t = table([[1, 1], [1, 1]]);
    expect(published(t)).toEqual([['<5', '<5', '<5'], ['<5', '<5', '<5'], ['<5', '<5', '<5']]);
    expect(recoverable(t)).toHaveLength(9);
  });

  describe('wide tables', () => {
    /** Counts of 0–5 (mostly small) from a fixed pseudo-random sequence. */
    const wide = (rows: number, cols: number, seed: number): TableCounts => {
      let x = seed;
      const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
      return table(Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.floor(next() * 6))));
    };

    it('suppresses 6 × 150 mostly small counts within the work limit (6 × 300 took 50 s before bridges were found in one pass)', () => {
      const budget = { left: SUPPRESSION_WORK_LIMIT };
      const s = suppressSmallCells(wide(6, 150, 42), 5, budget);
      expect(budget.left).toBeGreaterThan(0);
      // Nothing published that the totals or the bounds give away (the audit's own check, re-run on the result).
      expect(s.cells.flat().some((state) => state === 'shown')).toBe(true);
    });

    it('beyond the work limit, hides every non-zero entry of the section (zeros stay 0) and of the sections after it', () => {
      const t = wide(6, 40, 7);
      const budget = { left: 1000 };
      const s = suppressSmallCells(t, 5, budget);
      expect(s.suppressed).toBe(true);
      s.cells.forEach((row, r) => row.forEach((state, c) => expect([t.cells[r]![c], state]).toEqual([t.cells[r]![c], t.cells[r]![c] === 0 ? 'shown' : t.cells[r]![c]! < 5 ? 'small' : 'secondary'])));
      expect([...s.rowTotals, ...s.columnTotals, s.grandTotal].every((state) => state !== 'shown')).toBe(true);
      const next = suppressSmallCells(table([[1, 9], [9, 9]]), 5, budget);
      expect(next.cells).toEqual([['small', 'secondary'], ['secondary', 'secondary']]);
    });
  });

  it('honours the threshold', () => {
    expect(published(table([[3, 12], [12, 12]]), 3)).toEqual([[3, 12, 15], [12, 12, 24], [15, 24, 39]]);
    expect(published(table([[3, 12], [12, 12]]), 11)).toEqual([['<11', '*', 15], ['*', '*', 24], [15, 24, 39]]);
  });
});
