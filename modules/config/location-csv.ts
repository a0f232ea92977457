import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { StoredLocationNode } from './overlays.js';

/**
 * The location hierarchy as CSV (docs/governance.md, "Location hierarchy"): one row per place, columns
 * `code`, `parent_code`, `admin_level`, `name:<locale>` per locale (the base language's is required),
 * optional `latitude`, `longitude` and `disabled`. Parsing reports EVERY problem with its line number
 * (the header is line 1) before anything is written.
 */

export interface CsvProblem {
  /** Line of the file (header = 1); 0 for problems not tied to a line. */
  readonly row: number;
  readonly column?: string;
  readonly code:
    | 'malformed_csv'
    | 'missing_column'
    | 'unknown_column'
    | 'duplicate_column'
    | 'unknown_locale'
    | 'missing_code'
    | 'invalid_code'
    | 'duplicate_code'
    | 'unknown_parent'
    | 'location_cycle'
    | 'wrong_level'
    | 'bad_number'
    | 'missing_name'
    | 'invalid_value'
    | 'empty_file'
    | 'in_use'
    | 'invalid_hierarchy';
  readonly message: string;
}

export interface HierarchyContext {
  readonly baseLanguage: string;
  /** Locales a name may be given in (the bundle's). */
  readonly locales: readonly string[];
  /** Admin levels by number (level -> key). */
  readonly levels: ReadonlyMap<number, string>;
  /** Places of non-localizable locations files: they stay, and a row may name them as parent. */
  readonly fixed: ReadonlyMap<string, { readonly level: number }>;
}

export interface ParsedHierarchy {
  readonly nodes: StoredLocationNode[];
  /** Line of each code. */
  readonly lines: ReadonlyMap<string, number>;
  readonly problems: CsvProblem[];
  readonly rows: number;
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const INTEGER = /^\d+$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEANS: Record<string, boolean> = { '': false, true: true, false: false, yes: true, no: false, '1': true, '0': false };

export function parseLocationCsv(text: string, ctx: HierarchyContext): ParsedHierarchy {
  const problems: CsvProblem[] = [];
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    return { nodes: [], lines: new Map(), rows: 0, problems: [{ row: e.lines ?? 0, code: 'malformed_csv', message: e.message ?? 'The file is not valid CSV.' }] };
  }
  if (records.length === 0) return { nodes: [], lines: new Map(), rows: 0, problems: [{ row: 1, code: 'empty_file', message: 'The file has no header and no rows.' }] };
  // PostgreSQL text cannot hold NUL: such a cell is a problem of its line, and is not stored.
  for (const { record, info } of records) {
    record.forEach((value, i) => {
      if (!value.includes('\u0000')) return;
      problems.push({ row: info.lines, column: records[0]!.record[i] ?? `#${i + 1}`, code: 'invalid_value', message: 'A cell cannot contain NUL characters.' });
      record[i] = value.split('\u0000').join('');
    });
  }

  // ---- header -----------------------------------------------------------------------------------
  const header = records[0]!.record.map((h) => h.trim());
  const column = new Map<string, number>();
  const nameColumns: Array<{ locale: string; index: number }> = [];
  header.forEach((name, index) => {
    if (column.has(name)) {
      problems.push({ row: 1, column: name, code: 'duplicate_column', message: `Column "${name}" appears twice.` });
      return;
    }
    column.set(name, index);
    if (name.startsWith('name:')) {
      const locale = name.slice(5);
      if (!ctx.locales.includes(locale)) problems.push({ row: 1, column: name, code: 'unknown_locale', message: `"${locale}" is not one of the locales (${ctx.locales.join(', ')}).` });
      else nameColumns.push({ locale, index });
    } else if (!['code', 'parent_code', 'admin_level', 'latitude', 'longitude', 'disabled'].includes(name)) {
      problems.push({ row: 1, column: name, code: 'unknown_column', message: `Unknown column "${name}" (expected code, parent_code, admin_level, name:<locale>, latitude, longitude, disabled).` });
    }
  });
  const baseName = `name:${ctx.baseLanguage}`;
  for (const required of ['code', 'parent_code', 'admin_level', baseName]) {
    if (!column.has(required)) problems.push({ row: 1, column: required, code: 'missing_column', message: `The header has no "${required}" column.` });
  }
  if (!column.has('code') || !column.has('admin_level')) return { nodes: [], lines: new Map(), rows: records.length - 1, problems };

  const cell = (record: readonly string[], name: string): string => {
    const index = column.get(name);
    return index === undefined ? '' : (record[index] ?? '').trim();
  };

  // ---- rows: each on its own ----------------------------------------------------------------------
  interface Row {
    line: number;
    code: string;
    parent?: string;
    level?: number;
    node?: StoredLocationNode;
  }
  const rows: Row[] = [];
  const firstLine = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const code = cell(record, 'code');
    const parent = cell(record, 'parent_code');
    const levelText = cell(record, 'admin_level');
    const row: Row = { line, code, ...(parent ? { parent } : {}) };
    rows.push(row);
    if (code === '') problems.push({ row: line, column: 'code', code: 'missing_code', message: 'The code is empty.' });
    else if (!CODE.test(code) || code.length > 64) problems.push({ row: line, column: 'code', code: 'invalid_code', message: `"${code}" is not a location code (letters, digits, "_", "-" and ".", at most 64).` });
    else if (ctx.fixed.has(code)) problems.push({ row: line, column: 'code', code: 'duplicate_code', message: `"${code}" is a location fixed by a configuration bundle.` });
    else if (firstLine.has(code)) problems.push({ row: line, column: 'code', code: 'duplicate_code', message: `"${code}" is also on line ${firstLine.get(code)}.` });
    else firstLine.set(code, line);
    if (parent !== '' && !CODE.test(parent)) problems.push({ row: line, column: 'parent_code', code: 'invalid_code', message: `"${parent}" is not a location code.` });
    if (!INTEGER.test(levelText) || Number(levelText) > 20) {
      problems.push({ row: line, column: 'admin_level', code: 'bad_number', message: `admin_level must be a whole number from 0 to 20, not "${levelText}".` });
    } else {
      row.level = Number(levelText);
      if (!ctx.levels.has(row.level)) problems.push({ row: line, column: 'admin_level', code: 'wrong_level', message: `Level ${row.level} is not one of the admin levels (${[...ctx.levels.keys()].join(', ')}).` });
    }
    const names: Record<string, string> = {};
    for (const { locale, index } of nameColumns) {
      const value = (record[index] ?? '').trim();
      if (value.length > 500) problems.push({ row: line, column: `name:${locale}`, code: 'invalid_value', message: 'A name has at most 500 characters.' });
      else if (value !== '') names[locale] = value;
    }
    if (!names[ctx.baseLanguage]) problems.push({ row: line, column: baseName, code: 'missing_name', message: `The ${ctx.baseLanguage} name is empty.` });
    const coordinates: { latitude?: number; longitude?: number } = {};
    for (const [name, limit] of [['latitude', 90], ['longitude', 180]] as const) {
      const value = cell(record, name);
      if (value === '') continue;
      const n = Number(value);
      if (!NUMBER.test(value) || !Number.isFinite(n) || Math.abs(n) > limit) {
        problems.push({ row: line, column: name, code: 'bad_number', message: `${name} must be a number from -${limit} to ${limit}, not "${value}".` });
      } else coordinates[name] = n;
    }
    const disabledText = cell(record, 'disabled').toLowerCase();
    const disabled = Object.hasOwn(BOOLEANS, disabledText) ? BOOLEANS[disabledText] : undefined;
    if (disabled === undefined) problems.push({ row: line, column: 'disabled', code: 'invalid_value', message: `disabled must be true or false, not "${disabledText}".` });
    if (code !== '' && row.level !== undefined) {
      row.node = { code, level: row.level, names, ...(parent ? { parent } : {}), ...coordinates, ...(disabled ? { disabled: true } : {}) };
    }
  }

  // ---- rows against each other -------------------------------------------------------------------
  const byCode = new Map<string, Row>();
  for (const row of rows) if (row.code !== '' && firstLine.get(row.code) === row.line) byCode.set(row.code, row);
  // Cycles first: follow parents inside the file; each cycle reported once, on its first line (its rows get no
  // level complaint on top: no level could be right in a cycle).
  const settled = new Set<string>();
  const inCycle = new Set<string>();
  for (const start of byCode.values()) {
    const chain: string[] = [];
    const onChain = new Set<string>();
    let current: Row | undefined = start;
    while (current !== undefined && !settled.has(current.code)) {
      if (onChain.has(current.code)) {
        const cycle = chain.slice(chain.indexOf(current.code));
        const lines = cycle.map((code) => byCode.get(code)!.line);
        for (const code of cycle) inCycle.add(code);
        problems.push({
          row: Math.min(...lines),
          column: 'parent_code',
          code: 'location_cycle',
          message: `Places are their own ancestors: ${[...cycle, current.code].join(' -> ')} (lines ${lines.join(', ')}).`,
        });
        break;
      }
      chain.push(current.code);
      onChain.add(current.code);
      current = current.parent === undefined ? undefined : byCode.get(current.parent);
    }
    for (const code of chain) settled.add(code);
  }
  for (const row of rows) {
    if (row.level === undefined || inCycle.has(row.code)) continue;
    if (row.parent === undefined) {
      if (row.level !== 0) problems.push({ row: row.line, column: 'admin_level', code: 'wrong_level', message: `A place without a parent is at level 0, not ${row.level}.` });
      continue;
    }
    const parentLevel = byCode.get(row.parent)?.level ?? ctx.fixed.get(row.parent)?.level;
    if (!byCode.has(row.parent) && !ctx.fixed.has(row.parent)) {
      problems.push({ row: row.line, column: 'parent_code', code: 'unknown_parent', message: `There is no location "${row.parent}".` });
    } else if (parentLevel !== undefined && !inCycle.has(row.parent) && row.level !== parentLevel + 1) {
      problems.push({ row: row.line, column: 'admin_level', code: 'wrong_level', message: `Level must be ${parentLevel + 1}: one below its parent "${row.parent}" (level ${parentLevel}).` });
    }
  }

  problems.sort((a, b) => a.row - b.row || (a.column ?? '').localeCompare(b.column ?? ''));
  const nodes = [...byCode.values()].flatMap((row) => (row.node ? [row.node] : []));
  return { nodes, lines: new Map([...byCode.values()].map((r) => [r.code, r.line])), problems, rows: rows.length };
}

/** The hierarchy as CSV, parents before children, in the columns the import takes. */
export function locationCsv(nodes: readonly StoredLocationNode[], locales: readonly string[]): string {
  const children = new Map<string | undefined, StoredLocationNode[]>();
  const codes = new Set(nodes.map((n) => n.code));
  for (const node of nodes) {
    const parent = node.parent !== undefined && codes.has(node.parent) ? node.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  const ordered: StoredLocationNode[] = [];
  const walk = (parent: string | undefined): void => {
    for (const node of children.get(parent) ?? []) {
      ordered.push(node);
      walk(node.code);
    }
  };
  walk(undefined);
  const header = ['code', 'parent_code', 'admin_level', ...locales.map((l) => `name:${l}`), 'latitude', 'longitude', 'disabled'];
  const rows = ordered.map((n) => [
    n.code,
    n.parent ?? '',
    String(n.level),
    ...locales.map((l) => n.names[l] ?? ''),
    n.latitude === undefined ? '' : String(n.latitude),
    n.longitude === undefined ? '' : String(n.longitude),
    n.disabled ? 'true' : '',
  ]);
  return stringify([header, ...rows], { eof: true });
}
