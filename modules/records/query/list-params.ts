import { HavenError, pointer, type Issue } from '../../common/errors.js';

/**
 * Stage 1 of a list query: the SHAPE of the query string, independent of any record type. Express's extended
 * parser (qs) hands over nested objects and arrays (`filter[age][gte]=1` → `{ filter: { age: { gte: '1' } } }`);
 * everything here is checked defensively, and every problem is a 400 issue, never an exception.
 */

export const FILTER_OPERATORS = ['eq', 'gt', 'gte', 'lt', 'lte'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];
export type RangeOperator = Exclude<FilterOperator, 'eq'>;

export const LIST_LIMITS = {
  /** Longest `q` (characters). */
  q: 200,
  page: 10_000,
  pageSize: 100,
  defaultPageSize: 20,
  sortKeys: 3,
  filters: 30,
  /** Values of one filter (`a,b,c`). */
  values: 100,
  valueLength: 200,
} as const;

export interface FilterParam {
  readonly name: string;
  readonly op: FilterOperator;
  /** One or more values (comma-separated lists and repeated parameters are split). */
  readonly values: readonly string[];
  /** JSON pointer of the parameter (`/filter/age/gte`). */
  readonly path: string;
}

export interface SortParam {
  readonly name: string;
  readonly desc: boolean;
}

export interface ListParams {
  readonly module?: string;
  readonly q?: string;
  readonly filters: readonly FilterParam[];
  readonly sort?: readonly SortParam[];
  readonly page: number;
  readonly pageSize: number;
}

const TOP_LEVEL = new Set(['module', 'q', 'filter', 'sort', 'page', 'pageSize']);
const OPERATORS: ReadonlySet<string> = new Set(FILTER_OPERATORS);
/** Names never taken as parameter, field or operator names (prototype pollution). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const SORT_KEY = /^-?[A-Za-z][A-Za-z0-9_.]{0,127}$/;
const FILTER_NAME = /^[A-Za-z][A-Za-z0-9_.]{0,127}$/;

const own = (obj: object, key: string) => Object.prototype.hasOwnProperty.call(obj, key);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * qs silently drops `__proto__` segments (`filter[__proto__][x]=1` arrives as `{ filter: {} }`), so prototype keys
 * are looked for in the raw query string: every one is an issue at its path.
 */
export function forbiddenKeyIssues(rawQueryString: string): Issue[] {
  const issues = new Map<string, Issue>();
  for (const part of rawQueryString.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    if (key === undefined) {
      issues.set(`malformed:${part}`, { code: 'malformed_parameter', path: '', message: 'A query parameter is not valid percent-encoding.' });
      continue;
    }
    const segments = key.split(/\]?\[|\]$/).filter((s, i) => s !== '' || i === 0);
    const at = segments.findIndex((s) => FORBIDDEN_KEYS.has(s) || FORBIDDEN_KEYS.has(s.trim()));
    if (at >= 0) {
      const path = pointer(...segments.slice(0, at + 1));
      issues.set(path, { code: 'forbidden_key', path, message: `"${segments[at]}" is not a parameter name this server accepts.` });
    }
  }
  return [...issues.values()];
}

function splitValues(raw: readonly string[], path: string, issues: Issue[]): string[] {
  const values = raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (values.length === 0) issues.push({ code: 'required', path, message: 'Give a value.' });
  if (values.length > LIST_LIMITS.values) issues.push({ code: 'too_many', path, message: `At most ${LIST_LIMITS.values} values.` });
  if (values.some((v) => v.length > LIST_LIMITS.valueLength)) issues.push({ code: 'too_long', path, message: `A value is longer than ${LIST_LIMITS.valueLength} characters.` });
  return values;
}

/** A string, or an array of strings (repeated parameter); anything nested is refused. */
function strings(value: unknown, path: string, issues: Issue[], allowList: boolean): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (allowList && Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value as string[];
  issues.push({ code: 'invalid_type', path, message: allowList ? 'Expected a value or a list of values.' : 'Expected a single value.' });
  return undefined;
}

function integer(value: unknown, path: string, min: number, max: number, fallback: number, issues: Issue[]): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    issues.push({ code: 'invalid_type', path, message: 'Expected a whole number.' });
    return fallback;
  }
  const n = Number(value);
  if (n < min) issues.push({ code: 'too_small', path, message: `The smallest value is ${min}.` });
  else if (n > max) issues.push({ code: 'too_large', path, message: `The largest value is ${max}.` });
  return n;
}

function readFilters(value: unknown, issues: Issue[]): FilterParam[] {
  if (value === undefined) return [];
  if (!isRecord(value)) {
    issues.push({ code: 'invalid_type', path: '/filter', message: 'Filters are written filter[<field>]=<value> or filter[<field>][<operator>]=<value>.' });
    return [];
  }
  const names = Object.keys(value);
  if (names.length > LIST_LIMITS.filters) {
    issues.push({ code: 'too_many', path: '/filter', message: `At most ${LIST_LIMITS.filters} filters.` });
    return [];
  }
  const out: FilterParam[] = [];
  for (const name of names) {
    const path = pointer('filter', name);
    if (FORBIDDEN_KEYS.has(name) || !FILTER_NAME.test(name)) {
      issues.push({ code: 'not_filterable', path, message: `There is no field "${name.slice(0, 64)}" you can filter on.` });
      continue;
    }
    const spec = value[name];
    if (isRecord(spec)) {
      const ops = Object.keys(spec);
      if (ops.length === 0) issues.push({ code: 'required', path, message: 'Give a value.' });
      for (const op of ops) {
        const opPath = pointer('filter', name, op);
        if (!OPERATORS.has(op) || !own(spec, op)) {
          issues.push({ code: 'unsupported_operator', path: opPath, message: `Unknown operator "${op.slice(0, 32)}": use ${FILTER_OPERATORS.join(', ')}.` });
          continue;
        }
        const raw = strings(spec[op], opPath, issues, op === 'eq');
        if (!raw) continue;
        const values = splitValues(raw, opPath, issues);
        if (op !== 'eq' && values.length > 1) {
          issues.push({ code: 'invalid_value', path: opPath, message: `"${op}" takes one value.` });
          continue;
        }
        out.push({ name, op: op as FilterOperator, values, path: opPath });
      }
      continue;
    }
    const raw = strings(spec, path, issues, true);
    if (raw) out.push({ name, op: 'eq', values: splitValues(raw, path, issues), path });
  }
  return out;
}

function readSort(value: unknown, issues: Issue[]): SortParam[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    issues.push({ code: 'invalid_type', path: '/sort', message: 'Expected sort=<field> or sort=-<field> (comma-separated for several).' });
    return undefined;
  }
  const keys = value.split(',').map((k) => k.trim());
  if (keys.length > LIST_LIMITS.sortKeys) {
    issues.push({ code: 'too_many', path: '/sort', message: `At most ${LIST_LIMITS.sortKeys} sort keys.` });
    return undefined;
  }
  const out: SortParam[] = [];
  for (const key of keys) {
    if (!SORT_KEY.test(key)) {
      issues.push({ code: 'not_sortable', path: '/sort', message: `"${key.slice(0, 64)}" is not a field you can sort on.` });
      continue;
    }
    const desc = key.startsWith('-');
    out.push({ name: desc ? key.slice(1) : key, desc });
  }
  return out;
}

/** The shape of a list query; throws a 400 listing every problem. */
export function readListParams(query: unknown, rawQueryString: string): ListParams {
  const { params, issues } = parseListParams(query, rawQueryString);
  if (issues.length) throw HavenError.validation(issues, 'The list query is not valid.');
  return params;
}

/**
 * The shape of a list query and its problems, without throwing: the well-formed parts still go through the
 * record-type checks, so that one 400 lists every bad parameter.
 */
export function parseListParams(query: unknown, rawQueryString: string): { params: ListParams; issues: Issue[] } {
  const issues: Issue[] = forbiddenKeyIssues(rawQueryString);
  const q: Record<string, unknown> = isRecord(query) ? query : {};
  for (const key of Object.keys(q)) {
    if (!TOP_LEVEL.has(key)) issues.push({ code: 'unknown_parameter', path: pointer(key), message: `Unknown parameter "${key.slice(0, 64)}".` });
  }
  const get = (key: string) => (own(q, key) ? q[key] : undefined);

  let module: string | undefined;
  const rawModule = get('module');
  if (rawModule !== undefined) {
    if (typeof rawModule !== 'string' || rawModule.length === 0 || rawModule.length > 64) {
      issues.push({ code: 'invalid_type', path: '/module', message: 'Expected a module key.' });
    } else module = rawModule;
  }

  let search: string | undefined;
  const rawQ = get('q');
  if (rawQ !== undefined) {
    if (typeof rawQ !== 'string') issues.push({ code: 'invalid_type', path: '/q', message: 'Expected one search text.' });
    else if (rawQ.length > LIST_LIMITS.q) issues.push({ code: 'too_long', path: '/q', message: `The search text is longer than ${LIST_LIMITS.q} characters.` });
    else if (rawQ.trim() !== '') search = rawQ.trim();
  }

  const page = integer(get('page'), '/page', 1, LIST_LIMITS.page, 1, issues);
  const pageSize = integer(get('pageSize'), '/pageSize', 1, LIST_LIMITS.pageSize, LIST_LIMITS.defaultPageSize, issues);
  const filters = readFilters(get('filter'), issues);
  const sort = readSort(get('sort'), issues);
  return { params: { module, q: search, filters, sort, page, pageSize }, issues };
}
