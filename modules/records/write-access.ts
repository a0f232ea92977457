import type { CompiledRecordType } from '../../engine/index.js';
import { type Issue, pointer } from '../common/errors.js';
import { type MergeShape, sameValue } from './merge.js';

/**
 * Which fields a write may touch. Every field the caller may not write is refused (`field_not_writable`, one issue
 * each), never silently dropped. Tolerated without write access:
 * - a derived (computed, read-only) field the caller may read: the engine compares the value with what it
 *   computes (`computed_mismatch`);
 * - a readable field sent with its stored value (clients that send back what they read): that is no change.
 * Keys that are not fields at all are left to the engine (`unknown_field`).
 */

const shapes = new WeakMap<CompiledRecordType, MergeShape>();

/** Subform keys and derived paths of a record type (computed once per compiled record type). */
export function mergeShape(rt: CompiledRecordType): MergeShape {
  let shape = shapes.get(rt);
  if (shape === undefined) {
    shape = {
      subforms: new Set(rt.subforms.map((s) => s.key)),
      derived: new Set(rt.fields.filter((f) => f.computed && f.readOnly).map((f) => f.path)),
    };
    shapes.set(rt, shape);
  }
  return shape;
}

export interface WriteAccess {
  readonly writable: ReadonlySet<string>;
  readonly readable: ReadonlySet<string>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function notWritable(path: string): Issue {
  return { code: 'field_not_writable', path, message: 'You may not write this field.' };
}

/** Issues (JSON pointers from the request body: `/data/…`) for every field of `data` the caller may not write. */
export function unwritableFields(rt: CompiledRecordType, data: Readonly<Record<string, unknown>>, stored: Readonly<Record<string, unknown>>, access: WriteAccess): Issue[] {
  const shape = mergeShape(rt);
  const issues: Issue[] = [];
  const tolerated = (path: string, value: unknown, current: unknown): boolean =>
    access.readable.has(path) && (shape.derived.has(path) || sameValue(value, current));
  for (const [key, value] of Object.entries(data)) {
    if (access.writable.has(key) && !shape.subforms.has(key)) continue;
    if (rt.field(key) === undefined) continue;
    if (!shape.subforms.has(key)) {
      if (!tolerated(key, value, stored[key])) issues.push(notWritable(pointer('data', key)));
      continue;
    }
    if (!Array.isArray(value)) {
      if (!access.writable.has(key)) issues.push(notWritable(pointer('data', key)));
      continue;
    }
    const storedRows = new Map<unknown, Record<string, unknown>>();
    if (Array.isArray(stored[key])) for (const row of stored[key]) if (isObject(row)) storedRows.set(row._id, row);
    value.forEach((row: unknown, i) => {
      if (!isObject(row)) return;
      const current = row._id === undefined ? undefined : storedRows.get(row._id);
      // Adding or removing a row needs write access to the subform itself.
      if ((current === undefined || row._removed === true) && !access.writable.has(key)) {
        issues.push(notWritable(pointer('data', key, i)));
        return;
      }
      if (row._removed === true) return;
      for (const [child, childValue] of Object.entries(row)) {
        const path = `${key}.${child}`;
        if (child === '_id' || child === '_removed' || access.writable.has(path) || rt.field(path) === undefined) continue;
        if (!tolerated(path, childValue, current?.[child])) issues.push(notWritable(pointer('data', key, i, child)));
      }
    });
  }
  return issues;
}

/** Rows without an `_id` get one (a new row); rows that are not objects are left for the engine to report. */
export function withRowIds(data: Readonly<Record<string, unknown>>, subforms: ReadonlySet<string>, newId: () => string): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of subforms) {
    const rows = data[key];
    if (!Array.isArray(rows) || !rows.some((row) => isObject(row) && (row._id === undefined || row._id === null) && row._removed !== true)) continue;
    out ??= { ...data };
    out[key] = rows.map((row: unknown) => (isObject(row) && (row._id === undefined || row._id === null) && row._removed !== true ? { _id: newId(), ...row } : row));
  }
  return out ?? (data as Record<string, unknown>);
}

const unescapeSegment = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * An engine issue (a JSON pointer into the data it processed) as an issue of the request body (`/data/…`). For a
 * change merged onto stored data, a row index points at the row as the body sent it when the body carries that row
 * (by `_id`), else at its place in the merged record; row issues also name the row (`params.rowId`).
 */
export function bodyIssue(
  issue: { code: string; path: string; message: string; params?: Readonly<Record<string, unknown>> },
  processed: Readonly<Record<string, unknown>>,
  body: Readonly<Record<string, unknown>>,
  subforms: ReadonlySet<string>,
): Issue {
  const segments = issue.path.split('/');
  const params = issue.params === undefined ? undefined : { ...issue.params };
  const key = segments[1] === undefined ? undefined : unescapeSegment(segments[1]);
  const index = segments[2];
  if (key !== undefined && index !== undefined && subforms.has(key) && /^\d+$/.test(index)) {
    const rows = processed[key];
    const row = Array.isArray(rows) ? (rows[Number(index)] as unknown) : undefined;
    const rowId = isObject(row) && typeof row._id === 'string' ? row._id : undefined;
    if (rowId !== undefined) {
      const sent = body[key];
      const at = Array.isArray(sent) ? sent.findIndex((r: unknown) => isObject(r) && r._id === rowId) : -1;
      if (at >= 0) segments[2] = String(at);
      const out: Issue = { code: issue.code, path: `/data${segments.join('/')}`, message: issue.message, params: { ...params, rowId } };
      return out;
    }
  }
  return params === undefined
    ? { code: issue.code, path: `/data${issue.path}`, message: issue.message }
    : { code: issue.code, path: `/data${issue.path}`, message: issue.message, params };
}

const attachmentPathsCache = new WeakMap<CompiledRecordType, ReadonlySet<string>>();

/** Paths (`key`, `subform.key`) of the record type's attachment fields (computed once per compiled record type). */
function attachmentPaths(rt: CompiledRecordType): ReadonlySet<string> {
  let paths = attachmentPathsCache.get(rt);
  if (paths === undefined) {
    paths = new Set(rt.fields.filter((f) => f.type === 'attachment').map((f) => f.path));
    attachmentPathsCache.set(rt, paths);
  }
  return paths;
}

/** No files (missing, null or an empty list): sending that where there are none is no write. */
const noFiles = (value: unknown): boolean => value === undefined || value === null || (Array.isArray(value) && value.length === 0);

const sameFiles = (value: unknown, current: unknown): boolean => (noFiles(value) && noFiles(current)) || sameValue(value, current);

function attachmentIssue(path: string): Issue {
  return {
    code: 'attachment_not_writable',
    path,
    message: 'Attachment fields change only through the attachments routes (POST or DELETE …/attachments).',
  };
}

/**
 * Issues for every attachment field a create or PATCH writes (the metadata of stored files: only the attachments
 * routes may change it). Sending back the stored value unchanged is no write and passes.
 */
export function attachmentWrites(rt: CompiledRecordType, data: Readonly<Record<string, unknown>>, stored: Readonly<Record<string, unknown>>): Issue[] {
  const paths = attachmentPaths(rt);
  if (paths.size === 0) return [];
  const subforms = mergeShape(rt).subforms;
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (paths.has(key)) {
      if (!sameFiles(value, stored[key])) issues.push(attachmentIssue(pointer('data', key)));
      continue;
    }
    if (!subforms.has(key) || !Array.isArray(value)) continue;
    const storedRows = new Map<unknown, Record<string, unknown>>();
    if (Array.isArray(stored[key])) for (const row of stored[key]) if (isObject(row)) storedRows.set(row._id, row);
    value.forEach((row: unknown, i) => {
      if (!isObject(row) || row._removed === true) return;
      const current = row._id === undefined ? undefined : storedRows.get(row._id);
      for (const [child, childValue] of Object.entries(row)) {
        if (paths.has(`${key}.${child}`) && !sameFiles(childValue, current?.[child])) issues.push(attachmentIssue(pointer('data', key, i, child)));
      }
    });
  }
  return issues;
}
