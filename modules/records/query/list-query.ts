import type { CompiledLocations, CompiledRecordType } from '../../../engine/index.js';
import { HavenError, type Issue } from '../../common/errors.js';
import { fieldKind, isScalarKind, type FieldKind } from './field-sql.js';
import type { FilterParam, ListParams, RangeOperator, SortParam } from './list-params.js';

/**
 * Stage 2 of a list query: names and values checked against ONE record type and what the caller may read.
 * A field the caller may not read is reported exactly like one that does not exist (same code, same message),
 * so a 400 reveals nothing about fields outside the caller's view.
 */

/** Typed record columns a list can filter or sort on (data fields with these keys are reached as `data.<key>`). */
export type RecordColumn = 'status' | 'short_id' | 'flagged' | 'created_at' | 'updated_at';

export type Target =
  | { readonly type: 'column'; readonly column: RecordColumn; readonly kind: 'text' | 'boolean' | 'timestamp' }
  | { readonly type: 'owner' }
  | { readonly type: 'data'; readonly key: string; readonly kind: FieldKind; readonly subform?: string };

export type Condition =
  | { readonly target: Target; readonly op: 'in'; readonly values: readonly string[] }
  | { readonly target: Target; readonly op: RangeOperator; readonly value: string };

export interface SortKey {
  readonly target: Target;
  readonly desc: boolean;
}

export interface SearchField {
  readonly key: string;
  readonly subform?: string;
}

export interface ListQuery {
  readonly conditions: readonly Condition[];
  /** Default `exclude`; the others need the `disable` action. */
  readonly disabled: 'exclude' | 'only' | 'all';
  readonly search?: { readonly text: string; readonly fields: readonly SearchField[] };
  readonly sort: readonly SortKey[];
  readonly page: number;
  readonly pageSize: number;
  /**
   * A composite index the record type declares (`indexes: [{ fields: [...] }]`), built and valid, starts with a field
   * this query filters on: it holds the filters and the scope columns, so the page is best read through it on its
   * own (list-sql.ts); otherwise the page is taken from the matches the count found.
   */
  readonly compositeIndexed?: true;
}

export interface ListQueryContext {
  readonly type: CompiledRecordType;
  /** Fields readable on every record the caller can list (`ability.readableFields(m, rt)`). */
  readonly readable: ReadonlySet<string>;
  /** The caller has the `disable` action on the record type. */
  readonly canSeeDisabled: boolean;
  readonly locations: CompiledLocations;
  /**
   * Whether the composite index declared over these fields is built and valid (`RecordIndexes.compositeReady`).
   * Until it is, a list reads as if the record type declared none: the composite path without its index was about
   * 1.5 times slower than the plain one. Left out, declared composite indexes are taken as built.
   */
  readonly compositeReady?: (fields: readonly string[]) => boolean;
}

const COLUMN_FILTERS: ReadonlyMap<string, Target> = new Map<string, Target>([
  ['status', { type: 'column', column: 'status', kind: 'text' }],
  ['shortId', { type: 'column', column: 'short_id', kind: 'text' }],
  ['flagged', { type: 'column', column: 'flagged', kind: 'boolean' }],
  ['createdAt', { type: 'column', column: 'created_at', kind: 'timestamp' }],
  ['updatedAt', { type: 'column', column: 'updated_at', kind: 'timestamp' }],
  ['owner', { type: 'owner' }],
]);

const COLUMN_SORTS: ReadonlyMap<string, Target> = new Map<string, Target>([
  ['createdAt', { type: 'column', column: 'created_at', kind: 'timestamp' }],
  ['updatedAt', { type: 'column', column: 'updated_at', kind: 'timestamp' }],
  ['shortId', { type: 'column', column: 'short_id', kind: 'text' }],
  ['status', { type: 'column', column: 'status', kind: 'text' }],
]);

export const DEFAULT_SORT: readonly SortKey[] = [{ target: { type: 'column', column: 'created_at', kind: 'timestamp' }, desc: true }];

const NUMBER = /^-?\d{1,15}(\.\d{1,15})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;

function validCalendarDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

/** `YYYY-MM-DD` stays as is; a date-time becomes its UTC ISO form (how the engine stores date-times). */
export function normaliseDateValue(value: string, allowTime: boolean): string | undefined {
  const date = DATE.exec(value);
  if (date) return validCalendarDate(date[1], date[2], date[3]) ? value : undefined;
  if (!allowTime) return undefined;
  const dt = DATE_TIME.exec(value);
  if (!dt || !validCalendarDate(dt[1], dt[2], dt[3])) return undefined;
  const ms = Date.parse(value.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Every code of the hierarchy at or below the given ones (a filter on a county matches its camps). */
export function withDescendants(locations: CompiledLocations, codes: readonly string[]): string[] {
  const out = new Set<string>();
  const queue = [...codes];
  while (queue.length > 0) {
    const code = queue.pop()!;
    if (out.has(code)) continue;
    out.add(code);
    queue.push(...locations.children(code));
  }
  return [...out];
}

const notFilterable = (name: string, path: string): Issue => ({
  code: 'not_filterable',
  path,
  message: `There is no field "${name}" you can filter on.`,
});

/** The data field a name refers to, when it exists, is stored and readable (else undefined). */
function readableField(ctx: ListQueryContext, name: string) {
  const path = name.startsWith('data.') ? name.slice(5) : name;
  const field = ctx.type.field(path);
  if (!field || !field.stored || !ctx.readable.has(field.path)) return undefined;
  // A subform child is readable only when its subform is.
  if (field.subform !== undefined && !ctx.readable.has(field.subform)) return undefined;
  return field;
}

function dataTarget(ctx: ListQueryContext, name: string): Target | undefined {
  const field = readableField(ctx, name);
  if (!field) return undefined;
  const kind = fieldKind(field);
  if (!kind) return undefined;
  return field.subform === undefined ? { type: 'data', key: field.key, kind } : { type: 'data', key: field.key, kind, subform: field.subform };
}

function targetKind(target: Target): string {
  if (target.type === 'owner') return 'owner';
  return target.kind;
}

function includesTime(ctx: ListQueryContext, target: Extract<Target, { type: 'data' }>): boolean {
  const field = ctx.type.field(target.subform === undefined ? target.key : `${target.subform}.${target.key}`);
  return (field?.definition as { includeTime?: boolean } | undefined)?.includeTime === true;
}

const RANGE_KINDS = new Set(['number', 'date', 'timestamp']);

function parseFilter(ctx: ListQueryContext, filter: FilterParam, issues: Issue[], out: Condition[]): void {
  const target = COLUMN_FILTERS.get(filter.name) ?? dataTarget(ctx, filter.name);
  if (!target) {
    issues.push(notFilterable(filter.name, filter.path.replace(/\/(eq|gt|gte|lt|lte)$/, '')));
    return;
  }
  const kind = targetKind(target);
  if (filter.op !== 'eq' && !RANGE_KINDS.has(kind)) {
    issues.push({ code: 'unsupported_operator', path: filter.path, message: `"${filter.name}" takes equality only (a value or a comma-separated list).` });
    return;
  }
  if (filter.op === 'eq' && kind === 'timestamp') {
    issues.push({ code: 'unsupported_operator', path: filter.path, message: `"${filter.name}" takes ranges only (gte, gt, lte, lt).` });
    return;
  }
  const bad = (message: string, code = 'invalid_value') => issues.push({ code, path: filter.path, message });
  let values: string[] = [...filter.values];
  switch (kind) {
    case 'number':
      if (!values.every((v) => NUMBER.test(v))) return void bad(`"${filter.name}" takes numbers.`);
      break;
    case 'date':
    case 'timestamp': {
      const allowTime = kind === 'timestamp' || (target.type === 'data' && includesTime(ctx, target));
      const dates = values.map((v) => normaliseDateValue(v, allowTime));
      if (dates.some((d) => d === undefined)) return void bad(`"${filter.name}" takes dates (YYYY-MM-DD${allowTime ? ' or an ISO 8601 date-time' : ''}).`, 'invalid_date');
      values = dates as string[];
      break;
    }
    case 'boolean':
      if (!values.every((v) => v === 'true' || v === 'false')) return void bad(`"${filter.name}" takes true or false.`);
      values = [...new Set(values)];
      break;
    case 'location': {
      const unknown = values.filter((v) => !ctx.locations.nodes.has(v));
      if (unknown.length) return void bad(`Unknown location ${unknown.map((u) => `"${u}"`).join(', ')}.`, 'unknown_location');
      values = withDescendants(ctx.locations, values);
      break;
    }
    case 'owner':
      values = [...new Set(values.map((v) => v.toLowerCase()))];
      break;
    default:
      values = [...new Set(values)];
  }
  out.push(filter.op === 'eq' ? { target, op: 'in', values } : { target, op: filter.op, value: values[0] });
}

function parseSort(ctx: ListQueryContext, sort: SortParam, issues: Issue[]): SortKey | undefined {
  const column = COLUMN_SORTS.get(sort.name);
  if (column) return { target: column, desc: sort.desc };
  const target = dataTarget(ctx, sort.name);
  if (!target || target.type !== 'data' || target.subform !== undefined || !isScalarKind(target.kind)) {
    issues.push({ code: 'not_sortable', path: '/sort', message: `There is no field "${sort.name}" you can sort on.` });
    return undefined;
  }
  return { target, desc: sort.desc };
}

/** Escapes LIKE wildcards (`\`, `%`, `_`) so that the search text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Checks a list query against a record type and the caller's readable fields; throws a 400 listing every problem
 * (after `earlier` ones: the shape issues of the same query).
 */
/** The data fields a query filters, sorts or searches on (top-level keys, `<subform>.<field>`). */
export function dataPaths(query: ListQuery): string[] {
  const path = (t: { key: string; subform?: string }) => (t.subform === undefined ? t.key : `${t.subform}.${t.key}`);
  const out: string[] = [];
  for (const c of query.conditions) if (c.target.type === 'data') out.push(path(c.target));
  for (const s of query.sort) if (s.target.type === 'data') out.push(path(s.target));
  for (const f of query.search?.fields ?? []) out.push(path(f));
  return out;
}

export function compileListQuery(params: ListParams, ctx: ListQueryContext, earlier: readonly Issue[] = []): ListQuery {
  const issues: Issue[] = [...earlier];
  const conditions: Condition[] = [];
  let disabled: ListQuery['disabled'] = 'exclude';
  for (const filter of params.filters) {
    if (filter.name === 'disabled') {
      if (!ctx.canSeeDisabled) {
        issues.push(notFilterable(filter.name, filter.path));
      } else if (filter.op !== 'eq') {
        issues.push({ code: 'unsupported_operator', path: filter.path, message: '"disabled" takes true, false or true,false.' });
      } else if (!filter.values.every((v) => v === 'true' || v === 'false')) {
        issues.push({ code: 'invalid_value', path: filter.path, message: '"disabled" takes true, false or true,false.' });
      } else {
        const set = new Set(filter.values);
        disabled = set.size === 2 ? 'all' : set.has('true') ? 'only' : 'exclude';
      }
      continue;
    }
    parseFilter(ctx, filter, issues, conditions);
  }
  const sort: SortKey[] = [];
  for (const key of params.sort ?? []) {
    const parsed = parseSort(ctx, key, issues);
    if (parsed) sort.push(parsed);
  }
  if (issues.length) throw HavenError.validation(issues, 'The list query is not valid.');

  const search =
    params.q === undefined
      ? undefined
      : {
          text: params.q,
          fields: ctx.type.searchableFields.flatMap((path): SearchField[] => {
            const field = readableField(ctx, path);
            if (!field || !fieldKind(field)) return [];
            return [field.subform === undefined ? { key: field.key } : { key: field.key, subform: field.subform }];
          }),
        };
  const filtered = new Set(conditions.flatMap((c) => (c.target.type === 'data' && c.target.subform === undefined && c.target.kind !== 'list' ? [c.target.key] : [])));
  const compositeIndexed = (ctx.type.definition.indexes ?? []).some(
    (entry) => 'fields' in entry && entry.fields.length > 0 && filtered.has(entry.fields[0] as string) && (ctx.compositeReady?.(entry.fields) ?? true),
  );
  return {
    conditions,
    disabled,
    ...(compositeIndexed ? { compositeIndexed: true as const } : {}),
    ...(search ? { search } : {}),
    sort: sort.length ? sort : DEFAULT_SORT,
    page: params.page,
    pageSize: params.pageSize,
  };
}
