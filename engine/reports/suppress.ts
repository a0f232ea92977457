/**
 * Small-cell suppression (docs/reports.md). A table of true counts is published with its row totals,
 * column totals and grand total. Seen as one (rows+1) × (columns+1) matrix whose last column holds the row
 * totals and whose last row the column totals, every line (row or column) is a relation "cells add up to
 * the total", and a reader can solve a relation that hides exactly one entry.
 *
 * 1. Primary: every entry (cells and totals) from 1 to threshold−1 is hidden ("small"); zeros stay 0.
 * 2. Lines: while some line hides exactly one entry, hide the smallest other non-zero cell of that line
 *    (a total only when the line has no such cell left), first line first.
 * 3. Bridges: two hidden entries per line are not always enough: hidden entries are the edges of a graph
 *    between row-lines and column-lines, and an entry that is a bridge of that graph (on no cycle) can be
 *    solved by adding up the relations on one side of it. For each bridge, hide the smallest non-zero entry
 *    that joins the two sides (one always exists: otherwise the bridge would add up to zero), then go back
 *    to step 2. An entry on a cycle cannot be solved: the cycle's alternating ±1 change keeps every total.
 * 4. Audit: bounds can still pin a hidden entry (see `determined`); while one is pinned, hide the smallest
 *    non-zero cell of its row or column and go back to step 2. A reader who knows the rule also knows that an entry
 *    hidden in steps 2–4 is no larger than the candidates of its choice that are still shown: the audit counts that
 *    upper bound too (otherwise `<5 | * | 5 | 7 | 19` gives `*` = 5 and the `<5` away).
 *
 * Deterministic: ties go to the first entry in row-major order. Pure; thoroughly specced (suppress.spec.ts).
 */

export type CellState = 'shown' | 'small' | 'secondary';

export interface TableCounts {
  readonly cells: readonly (readonly number[])[];
  readonly rowTotals: readonly number[];
  readonly columnTotals: readonly number[];
  readonly grandTotal: number;
}

export interface SuppressedTable {
  readonly cells: readonly (readonly CellState[])[];
  readonly rowTotals: readonly CellState[];
  readonly columnTotals: readonly CellState[];
  readonly grandTotal: CellState;
  readonly suppressed: boolean;
}

type Entry = { r: number; c: number };

/**
 * The bridges of the graph whose nodes are the R row-lines and C column-lines and whose edges are `edges` (an entry
 * joins its row and its column): edges on no cycle. Tarjan's low-link search, iterative, in O(nodes + edges) (one
 * reachability search per edge made wide tables take tens of seconds).
 */
function bridgesOf(edges: readonly Entry[], R: number, C: number): Set<Entry> {
  const nodes = R + C;
  const adjacency: Array<Array<{ to: number; edge: number }>> = Array.from({ length: nodes }, () => []);
  edges.forEach((e, i) => {
    adjacency[e.r]!.push({ to: R + e.c, edge: i });
    adjacency[R + e.c]!.push({ to: e.r, edge: i });
  });
  const order = new Array<number>(nodes).fill(-1);
  const low = new Array<number>(nodes).fill(0);
  const out = new Set<Entry>();
  let counter = 0;
  for (let root = 0; root < nodes; root++) {
    if (order[root] !== -1) continue;
    // Frames: node, the edge it was entered by, the next adjacency index to look at.
    const stack: Array<{ node: number; via: number; next: number }> = [{ node: root, via: -1, next: 0 }];
    order[root] = low[root] = counter++;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const links = adjacency[frame.node]!;
      if (frame.next < links.length) {
        const { to, edge } = links[frame.next++]!;
        if (edge === frame.via) continue;
        if (order[to] === -1) {
          order[to] = low[to] = counter++;
          stack.push({ node: to, via: edge, next: 0 });
        } else {
          low[frame.node] = Math.min(low[frame.node]!, order[to]!);
        }
        continue;
      }
      stack.pop();
      const parent = stack[stack.length - 1];
      if (parent === undefined) continue;
      low[parent.node] = Math.min(low[parent.node]!, low[frame.node]!);
      if (low[frame.node]! > order[parent.node]!) out.add(edges[frame.via]!);
    }
  }
  return out;
}

/**
 * Steps of graph search a report's suppression may take, all its sections together (about a second on a slow core).
 * A section beyond it (hundreds of columns of mostly small counts) is published with every non-zero entry hidden:
 * safe, and it would have hidden most anyway. The audit's searches grow with the square of the hidden entries, and a
 * report must not hold the server for minutes.
 */
export const SUPPRESSION_WORK_LIMIT = 15_000_000;

/** What is left of the work a report's suppression may take (shared by its sections). */
export interface SuppressionBudget {
  left: number;
}

class WorkLimit extends Error {}

export function suppressSmallCells(table: TableCounts, threshold: number, budget: SuppressionBudget = { left: SUPPRESSION_WORK_LIMIT }): SuppressedTable {
  try {
    return suppressWithin(table, threshold, budget);
  } catch (err) {
    if (!(err instanceof WorkLimit)) throw err;
    const hideAll = (n: number): CellState => (n === 0 ? 'shown' : n < threshold ? 'small' : 'secondary');
    return {
      cells: table.cells.map((row) => table.columnTotals.map((_, c) => hideAll(row[c] ?? 0))),
      rowTotals: table.rowTotals.map(hideAll),
      columnTotals: table.columnTotals.map(hideAll),
      grandTotal: hideAll(table.grandTotal),
      suppressed: true,
    };
  }
}

function suppressWithin(table: TableCounts, threshold: number, budget: SuppressionBudget): SuppressedTable {
  const spend = (steps: number): void => {
    budget.left -= steps;
    if (budget.left < 0) throw new WorkLimit();
  };
  const rows = table.cells.length;
  const cols = table.columnTotals.length;
  // The extended matrix: rows 0..rows-1 then the column-totals row; columns 0..cols-1 then the row totals.
  const value: number[][] = [];
  for (let r = 0; r < rows; r++) value.push([...(table.cells[r] ?? []).slice(0, cols), table.rowTotals[r] ?? 0]);
  value.push([...table.columnTotals, table.grandTotal]);
  const state: CellState[][] = value.map((line) => line.map((v) => (v >= 1 && v < threshold ? 'small' : 'shown')));
  const R = rows + 1;
  const C = cols + 1;
  const hidden = (r: number, c: number): boolean => state[r]?.[c] !== 'shown';
  const v = (r: number, c: number): number => value[r]?.[c] ?? 0;

  /**
   * Why each secondary entry was chosen: the candidates it was the smallest of, and its place among them. The rule
   * is public, so a reader knows the entry is no larger than every candidate still shown (and smaller than those
   * before it, which lost the tie): an upper bound the audit (step 4) takes into account.
   */
  const chosen = new Map<string, { candidates: readonly Entry[]; index: number }>();
  const hide = (pick: Entry, candidates: readonly Entry[]): void => {
    (state[pick.r] as CellState[])[pick.c] = 'secondary';
    chosen.set(`${pick.r},${pick.c}`, { candidates, index: candidates.indexOf(pick) });
  };
  /** The smallest non-zero shown entry of the first candidate list that has one, hidden; false when none has. */
  const hideSmallest = (...lists: Entry[][]): boolean => {
    for (const list of lists) {
      const pick = smallest(list);
      if (pick === undefined) continue;
      hide(pick, list);
      return true;
    }
    return false;
  };

  /** Smallest non-zero shown entry among candidates (first one on ties). */
  const smallest = (candidates: Entry[]): Entry | undefined => {
    let best: Entry | undefined;
    for (const e of candidates) {
      if (hidden(e.r, e.c) || v(e.r, e.c) <= 0) continue;
      if (best === undefined || v(e.r, e.c) < v(best.r, best.c)) best = e;
    }
    return best;
  };

  const lineEntries = (kind: 'row' | 'col', i: number): Entry[] =>
    kind === 'row' ? Array.from({ length: C }, (_, c) => ({ r: i, c })) : Array.from({ length: R }, (_, r) => ({ r, c: i }));

  /** Step 2 once: hides one entry and returns true, or returns false when no line hides exactly one. */
  const fixOneLine = (): boolean => {
    for (const [kind, count] of [['row', R], ['col', C]] as const) {
      for (let i = 0; i < count; i++) {
        const entries = lineEntries(kind, i);
        if (entries.filter((e) => hidden(e.r, e.c)).length !== 1) continue;
        const cellsOnly = entries.slice(0, entries.length - 1);
        if (hideSmallest(cellsOnly, entries)) return true;
        // (no candidate cannot happen for consistent totals: see header)
      }
    }
    return false;
  };

  /** Step 3 once: hides one entry joining the sides of the first bridge; false when there is none. */
  const fixOneBridge = (): boolean => {
    const edges: Entry[] = [];
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) if (hidden(r, c)) edges.push({ r, c });
    spend(R * C + edges.length);
    const adjacency = new Map<string, Entry[]>();
    for (const e of edges) {
      for (const node of [`r${e.r}`, `c${e.c}`]) {
        const list = adjacency.get(node) ?? [];
        list.push(e);
        adjacency.set(node, list);
      }
    }
    /** Line nodes reachable from `start` without crossing `skip` (node ids `r<i>`, `c<j>`). */
    const reach = (start: string, skip: Entry): Set<string> => {
      const seen = new Set<string>([start]);
      const queue = [start];
      while (queue.length > 0) {
        const node = queue.pop() as string;
        const links = adjacency.get(node) ?? [];
        spend(links.length + 1);
        for (const e of links) {
          if (e === skip) continue;
          const next = node[0] === 'r' ? `c${e.c}` : `r${e.r}`;
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      return seen;
    };
    const bridges = bridgesOf(edges, R, C);
    for (const bridge of edges) {
      if (!bridges.has(bridge)) continue; // on a cycle
      const seen = reach(`r${bridge.r}`, bridge);
      const sideB = reach(`c${bridge.c}`, bridge);
      const joining: Entry[] = [];
      for (let r = 0; r < R; r++) {
        for (let c = 0; c < C; c++) {
          const a = seen.has(`r${r}`) && sideB.has(`c${c}`);
          const b = sideB.has(`r${r}`) && seen.has(`c${c}`);
          if (a || b) joining.push({ r, c });
        }
      }
      if (hideSmallest(joining)) return true;
    }
    return false;
  };

  /**
   * Step 4, the audit: a reader also knows bounds — a "<t" entry lies in [1, t−1], a "*" entry is at least t
   * (it was not small) — and bounds can pin an entry on a cycle (a 6-cycle whose small cells sit at 4 and 1
   * has one solution). The hidden entries form a network with these bounds; another solution exists exactly
   * when a cycle of the residual graph passes through the entry (flow decomposition), so an entry is
   * determined iff no such cycle exists. Returns the first determined entry, row-major.
   */
  const determined = (): Entry | undefined => {
    const sign = (r: number, c: number): number => ((r === R - 1) !== (c === C - 1) ? -1 : 1);
    const lower = (r: number, c: number): number => (state[r]?.[c] === 'small' ? 1 : threshold);
    const upper = (r: number, c: number): number => {
      if (state[r]?.[c] === 'small') return threshold - 1;
      const why = chosen.get(`${r},${c}`);
      let bound = Number.POSITIVE_INFINITY;
      why?.candidates.forEach((e, i) => {
        if (i === why.index || hidden(e.r, e.c) || v(e.r, e.c) <= 0) return;
        bound = Math.min(bound, v(e.r, e.c) - (i < why.index ? 1 : 0));
      });
      return bound;
    };
    // Residual arcs: row-line -> column-line when the signed value may grow by one, the reverse when it may shrink.
    const arcs = new Map<string, { to: string; entry: Entry }[]>();
    const arc = (from: string, to: string, entry: Entry): void => {
      const list = arcs.get(from) ?? [];
      list.push({ to, entry });
      arcs.set(from, list);
    };
    const hiddenEntries: Entry[] = [];
    spend(R * C);
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        if (!hidden(r, c)) continue;
        const e = { r, c };
        hiddenEntries.push(e);
        const x = v(r, c);
        const s = sign(r, c);
        if (x + s >= lower(r, c) && x + s <= upper(r, c)) arc(`r${r}`, `c${c}`, e);
        if (x - s >= lower(r, c) && x - s <= upper(r, c)) arc(`c${c}`, `r${r}`, e);
      }
    }
    const reaches = (from: string, to: string, skip: Entry): boolean => {
      const seen = new Set([from]);
      const stack = [from];
      while (stack.length > 0) {
        const node = stack.pop() as string;
        if (node === to) return true;
        const links = arcs.get(node) ?? [];
        spend(links.length + 1);
        for (const next of links) {
          if (next.entry === skip || seen.has(next.to)) continue;
          seen.add(next.to);
          stack.push(next.to);
        }
      }
      return false;
    };
    return hiddenEntries.find((e) => {
      const up = (arcs.get(`r${e.r}`) ?? []).some((a) => a.entry === e) && reaches(`c${e.c}`, `r${e.r}`, e);
      const down = (arcs.get(`c${e.c}`) ?? []).some((a) => a.entry === e) && reaches(`r${e.r}`, `c${e.c}`, e);
      return !up && !down;
    });
  };

  /** Hides one more entry next to a determined one: its row's and column's smallest cell, else any entry. */
  const fixOneDetermined = (): boolean => {
    const e = determined();
    if (e === undefined) return false;
    const line = [...lineEntries('row', e.r), ...lineEntries('col', e.c)];
    // False when everything non-zero is hidden already.
    return hideSmallest(
      line.filter((x) => x.r < R - 1 && x.c < C - 1),
      line,
      Array.from({ length: R * C }, (_, i) => ({ r: Math.floor(i / C), c: i % C })),
    );
  };

  for (;;) {
    if (fixOneLine()) continue;
    if (fixOneBridge()) continue;
    if (!fixOneDetermined()) break;
  }

  const cells = state.slice(0, rows).map((line) => line.slice(0, cols));
  const rowTotals = state.slice(0, rows).map((line) => line[cols] as CellState);
  const totalsLine = state[rows] as CellState[];
  return {
    cells,
    rowTotals,
    columnTotals: totalsLine.slice(0, cols),
    grandTotal: totalsLine[cols] as CellState,
    suppressed: state.some((line) => line.some((s) => s !== 'shown')),
  };
}

/** What a reader sees for an entry: the count, `<threshold` for a small one, `*` for one hidden to protect another. */
export function displayCount(count: number, state: CellState, threshold: number): number | string {
  if (state === 'small') return `<${threshold}`;
  if (state === 'secondary') return '*';
  return count;
}
