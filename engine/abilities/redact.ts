/**
 * Redaction of record data to a set of readable paths (from `readableFields`). Builds new objects and
 * never mutates its input. A top-level key is kept when listed; when some `<key>.<child>` paths are
 * listed too, the key is a subform and each row keeps its `_id` and the listed children only.
 */
import { hasOwn, isPlainObject } from '../util/objects.js';

/**
 * Field keys are snake_case and never this, but the set may come from elsewhere: assigning it would set
 * the output's prototype instead of a property.
 */
const UNSAFE_KEY = '__proto__';

/** Subform key -> readable child keys, per readable set (the sets are long-lived policy objects). */
const childrenCache = new WeakMap<ReadonlySet<string>, ReadonlyMap<string, ReadonlySet<string>>>();

function subformChildren(readable: ReadonlySet<string>): ReadonlyMap<string, ReadonlySet<string>> {
  let children = childrenCache.get(readable);
  if (children === undefined) {
    const map = new Map<string, Set<string>>();
    for (const path of readable) {
      const dot = path.indexOf('.');
      if (dot < 0) continue;
      const key = path.slice(0, dot);
      const set = map.get(key) ?? new Set<string>();
      set.add(path.slice(dot + 1));
      map.set(key, set);
    }
    children = map;
    childrenCache.set(readable, children);
  }
  return children;
}

function redactRows(rows: unknown, children: ReadonlySet<string>): unknown {
  if (!Array.isArray(rows)) return rows;
  // Rows are objects by the record schema; anything else is dropped rather than shown unredacted.
  return rows.filter(isPlainObject).map((row) => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(row)) {
      if (key === '_id' || (children.has(key) && key !== UNSAFE_KEY)) out[key] = row[key];
    }
    return out;
  });
}

/**
 * Whether `redactRecordData(data, readable)` would leave anything out: an own key that is not readable (or is
 * `__proto__`), a subform value with a row that is not an object, or a subform row key that is neither `_id` nor
 * a readable child. When it returns false the redacted copy would equal `data` key for key, row for row, so a
 * caller that owns `data` (parsed for this one use) may hand it out as it is instead of copying it.
 */
export function redactionNeeded(data: Record<string, unknown>, readable: ReadonlySet<string>): boolean {
  const children = subformChildren(readable);
  for (const key in data) {
    if (!hasOwn(data, key)) continue;
    if (!readable.has(key) || key === UNSAFE_KEY) return true;
    const rowKeys = children.get(key);
    const rows = data[key];
    if (rowKeys === undefined || !Array.isArray(rows)) continue;
    for (const row of rows) {
      if (!isPlainObject(row)) return true;
      for (const rowKey in row) {
        if (!hasOwn(row, rowKey)) continue;
        if (rowKey !== '_id' && (!rowKeys.has(rowKey) || rowKey === UNSAFE_KEY)) return true;
      }
    }
  }
  return false;
}

export function redactRecordData(data: Record<string, unknown>, readable: ReadonlySet<string>): Record<string, unknown> {
  const children = subformChildren(readable);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    if (!readable.has(key) || key === UNSAFE_KEY || !hasOwn(data, key)) continue;
    const rows = children.get(key);
    out[key] = rows === undefined ? data[key] : redactRows(data[key], rows);
  }
  return out;
}
