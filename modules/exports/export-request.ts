import { listExportMappings, type CompiledConfig, type CompiledRecordType, type HavenAbility } from '../../engine/index.js';
import { HavenError, pointer, type Issue } from '../common/errors.js';
import { FORBIDDEN_KEYS, parseListParams } from '../records/query/list-params.js';
import { compileListQuery, type ListQuery } from '../records/query/list-query.js';
import { EXPORT_FORMATS, type ExportFormatDefinition } from './writers/index.js';

/**
 * An export request checked against the configuration and what the requester may do — the same code at request
 * time (a 400 listing every problem) and again when the job runs (with the requester's ability as it is then:
 * a filter on a field they can no longer read makes the job fail closed).
 *
 * The filter is the records list's filter vocabulary (`modules/records/query/*`) written as JSON:
 * `{ "sex": "female", "age": { "gte": 12 }, "incident_location": ["XX01", "XX02"] }`; numbers and booleans are
 * accepted for their text. It goes through the very checks of `GET /records/:type?filter[…]`.
 */
export interface ExportRequestBody {
  format?: unknown;
  recordType?: unknown;
  module?: unknown;
  filter?: unknown;
  locale?: unknown;
  labels?: unknown;
  template?: unknown;
}

export interface ExportPlan {
  readonly format: ExportFormatDefinition;
  readonly type: CompiledRecordType;
  /** The export mapping key (formats with a mapping). */
  readonly mappingKey?: string;
  /** The filter as sent, normalised to strings (stored with the job, re-checked at run time). */
  readonly filter: Record<string, unknown>;
  readonly query: ListQuery;
  readonly locale: string;
  readonly labels: boolean;
  readonly template?: string;
}

const KEY = /^[a-z][a-z0-9_]{0,62}$/;
const TOP_LEVEL = new Set(['format', 'recordType', 'module', 'filter', 'locale', 'labels', 'template']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const scalarText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'boolean' ? String(v) : undefined;

/** JSON filter values → the query-string shape `parseListParams` reads (strings, lists of strings, operator objects). */
function filterShape(filter: Record<string, unknown>, issues: Issue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const forbidden = (key: string, path: string): boolean => {
    if (!FORBIDDEN_KEYS.has(key.trim())) return false;
    issues.push({ code: 'forbidden_key', path, message: `"${key}" is not a name this server accepts.` });
    return true;
  };
  const value = (v: unknown, path: string, allowObject: boolean): unknown => {
    const text = scalarText(v);
    if (text !== undefined) return text;
    if (Array.isArray(v)) {
      const items = v.map(scalarText);
      if (items.length > 0 && items.every((i) => i !== undefined)) return items;
    } else if (allowObject && isRecord(v)) {
      const ops = Object.entries(v).filter(([op]) => !forbidden(op, pointer('filter', path, op)));
      return Object.fromEntries(ops.map(([op, inner]) => [op, value(inner, pointer('filter', path, op), false)]));
    }
    issues.push({ code: 'invalid_type', path: allowObject ? pointer('filter', path) : path, message: 'Expected a value, a list of values or { "<operator>": <value> }.' });
    return undefined;
  };
  for (const [name, v] of Object.entries(filter)) {
    if (forbidden(name, pointer('filter', name))) continue;
    const shaped = value(v, name, true);
    if (shaped !== undefined) out[name] = shaped;
  }
  return out;
}

/** The record type a request names, among those the requester may export (`export` and `read`). */
function exportableTypes(compiled: CompiledConfig, ability: HavenAbility, recordType: string, module: string | undefined): CompiledRecordType[] {
  return compiled.recordTypes.filter(
    (t) => t.key === recordType && (module === undefined || t.module === module) && ability.canRecord('export', t.module, t.key) && ability.canRecord('read', t.module, t.key),
  );
}

export interface PlanContext {
  readonly compiled: CompiledConfig;
  readonly ability: HavenAbility;
  readonly defaultLocale: string;
  /** Whether the requester has a template with this key for the record type (checked by the caller's repository). */
  readonly templateExists?: (key: string, type: CompiledRecordType) => boolean;
}

/**
 * Checks a request; throws a 400 listing every problem. A record type the requester may not export answers like
 * one that does not exist (`/recordType`: "no record type … you can export").
 */
export function planExport(body: unknown, ctx: PlanContext): ExportPlan {
  const issues: Issue[] = [];
  const b: ExportRequestBody = isRecord(body) ? body : {};
  if (!isRecord(body)) issues.push({ code: 'invalid_type', path: '', message: 'Expected a JSON object.' });
  for (const key of Object.keys(b)) {
    if (!TOP_LEVEL.has(key)) issues.push({ code: 'unknown_property', path: pointer(key), message: `Unknown property "${key.slice(0, 64)}".` });
  }
  const format = typeof b.format === 'string' ? EXPORT_FORMATS.get(b.format) : undefined;
  if (!format) issues.push({ code: b.format === undefined ? 'required' : 'invalid_value', path: '/format', message: `Give a format: ${[...EXPORT_FORMATS.keys()].join(', ')}.` });

  let module: string | undefined;
  if (b.module !== undefined) {
    if (typeof b.module !== 'string' || !KEY.test(b.module)) issues.push({ code: 'invalid_value', path: '/module', message: 'Expected a module key.' });
    else module = b.module;
  }
  let type: CompiledRecordType | undefined;
  if (typeof b.recordType !== 'string' || b.recordType === '') {
    issues.push({ code: 'required', path: '/recordType', message: 'Give the record type to export.' });
  } else {
    const types = KEY.test(b.recordType) ? exportableTypes(ctx.compiled, ctx.ability, b.recordType, module) : [];
    if (types.length === 0) issues.push({ code: 'not_found', path: '/recordType', message: `There is no record type "${b.recordType.slice(0, 64)}" you can export.` });
    else if (types.length > 1) issues.push({ code: 'module_required', path: '/module', message: `Several modules define "${b.recordType}": give module (${types.map((t) => t.module).join(', ')}).` });
    else type = types[0];
  }

  let locale = ctx.defaultLocale;
  if (b.locale !== undefined) {
    if (typeof b.locale !== 'string' || !ctx.compiled.locales.some((l) => l.code === b.locale)) {
      issues.push({ code: 'invalid_value', path: '/locale', message: `Unknown locale; use one of ${ctx.compiled.locales.map((l) => l.code).join(', ')}.` });
    } else locale = b.locale;
  }
  if (!ctx.compiled.locales.some((l) => l.code === locale)) locale = 'en';

  let labels = true;
  if (b.labels !== undefined) {
    if (typeof b.labels !== 'boolean') issues.push({ code: 'invalid_type', path: '/labels', message: 'Expected true or false.' });
    else labels = b.labels;
  }

  let mappingKey: string | undefined;
  if (format?.mappingFormat && type) {
    const mapping = listExportMappings(ctx.compiled).find((m) => m.format === format.mappingFormat && m.module === type!.module && m.recordType === type!.key);
    if (!mapping) issues.push({ code: 'invalid_value', path: '/format', message: `The configuration has no ${format.format} mapping for ${type.module}/${type.key}.` });
    else mappingKey = mapping.key;
  }
  if (format && !format.generic) {
    if (b.labels !== undefined) issues.push({ code: 'not_applicable', path: '/labels', message: `The ${format.format} format has its own columns and headers.` });
    if (b.template !== undefined) issues.push({ code: 'not_applicable', path: '/template', message: `The ${format.format} format has its own columns.` });
  }

  let template: string | undefined;
  if (b.template !== undefined && format?.generic !== false) {
    if (typeof b.template !== 'string' || !KEY.test(b.template)) issues.push({ code: 'invalid_value', path: '/template', message: 'Expected a template key.' });
    else if (type && ctx.templateExists && !ctx.templateExists(b.template, type)) issues.push({ code: 'not_found', path: '/template', message: `You have no export template "${b.template}" for ${type.module}/${type.key}.` });
    else template = b.template;
  }

  let filter: Record<string, unknown> = {};
  if (b.filter !== undefined && !isRecord(b.filter)) issues.push({ code: 'invalid_type', path: '/filter', message: 'Expected an object of filters.' });
  else if (b.filter !== undefined) filter = filterShape(b.filter, issues);

  const parsed = parseListParams({ filter }, '');
  if (!type) {
    throw HavenError.validation([...issues, ...parsed.issues], 'The export request is not valid.');
  }
  const readable = ctx.ability.readableFields(type.module, type.key);
  let query: ListQuery;
  try {
    query = compileListQuery(parsed.params, { type, readable, canSeeDisabled: ctx.ability.canRecord('disable', type.module, type.key), locations: ctx.compiled.locations }, [
      ...issues,
      ...parsed.issues,
    ]);
  } catch (err) {
    if (err instanceof HavenError) throw HavenError.validation(err.issues, 'The export request is not valid.');
    throw err;
  }
  if (issues.length) throw HavenError.validation(issues, 'The export request is not valid.');
  return { format: format!, type, ...(mappingKey ? { mappingKey } : {}), filter, query, locale, labels, ...(template ? { template } : {}) };
}
