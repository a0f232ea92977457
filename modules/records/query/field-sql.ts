import type { FieldInfo } from '../../../engine/index.js';

/**
 * How a configured field behaves in list queries: which operators it takes and which SQL expression reads it.
 * The SAME expression serves the per-bundle expression indexes (record-indexes.ts) and the queries, so that the
 * planner can match one with the other.
 */
export type FieldKind = 'text' | 'number' | 'date' | 'boolean' | 'location' | 'list';

const KIND_BY_TYPE: ReadonlyMap<string, FieldKind> = new Map<string, FieldKind>([
  ['text', 'text'],
  ['textarea', 'text'],
  ['select', 'text'],
  ['radio', 'text'],
  ['calculated', 'text'],
  ['agency', 'text'],
  ['number', 'number'],
  ['date', 'date'],
  ['yes_no', 'boolean'],
  ['tick_box', 'boolean'],
  ['location', 'location'],
  ['multi_select', 'list'],
]);

/** The query kind of a field; undefined for what cannot be filtered or sorted (subforms, attachments, ranges…). */
export function fieldKind(field: FieldInfo): FieldKind | undefined {
  if (!field.stored) return undefined;
  if (field.type === 'user') return (field.definition as { multiple?: boolean }).multiple === true ? 'list' : 'text';
  return KIND_BY_TYPE.get(field.type);
}

/** Kinds that have a btree-indexable scalar expression (and can be sorted on). */
export function isScalarKind(kind: FieldKind): boolean {
  return kind !== 'list';
}

const SQL_KEY = /^[a-z][a-z0-9_]*$/;

/**
 * A configured key as an SQL string literal. Keys are `^[a-z][a-z0-9_]*$` by the bundle schema; anything else
 * is refused here as well, so that no request or bundle text is ever spliced into SQL.
 */
export function sqlKey(key: string): string {
  if (!SQL_KEY.test(key) || key.length > 63) throw new Error(`Not a safe configured key: ${JSON.stringify(key)}`);
  return `'${key}'`;
}

/**
 * The scalar SQL expression for field `key` of the JSON object `base` (`r.data` for a record, `e` for a subform
 * row, `data` inside an index definition):
 *  - number: the JSON number as numeric, NULL for anything else (a cast can never fail, so an index on it can
 *    never break a write);
 *  - date: the ISO text under the "C" collation (ISO dates and UTC date-times order correctly as bytes);
 *  - others: the text form (`true`/`false` for booleans, the code for locations).
 */
export function valueExpr(kind: FieldKind, key: string, base = 'r.data'): string {
  const k = sqlKey(key);
  switch (kind) {
    case 'number':
      return `(CASE WHEN jsonb_typeof(${base}->${k}) = 'number' THEN (${base}->>${k})::numeric END)`;
    case 'date':
      return `((${base}->>${k}) COLLATE "C")`;
    default:
      return `(${base}->>${k})`;
  }
}

/** The JSON value (not text) of a field, for list fields (`?|`). */
export function jsonExpr(key: string, base = 'r.data'): string {
  return `(${base}->${sqlKey(key)})`;
}

/** The rows of subform `key` of a record (`[]` when the value is not an array). */
export function subformRows(key: string): string {
  const k = sqlKey(key);
  return `jsonb_array_elements(CASE WHEN jsonb_typeof(r.data->${k}) = 'array' THEN r.data->${k} ELSE '[]'::jsonb END)`;
}
