/** Normalisers shared by several field types. Each accepts any input and leaves foreign types alone. */

/** Trims strings; a blank string means "no value" and becomes null. */
export function trimToNull(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** Numeric strings (from HTML forms or CSV imports) become numbers; blank strings become null. */
export function toNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : value;
}

/** `"true"`/`"false"` (any case) become booleans; blank strings become null. */
export function toBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim().toLowerCase();
  if (trimmed === '') return null;
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  return value;
}

/**
 * Length in characters (code points), as JSON Schema counts it. `.length` counts UTF-16 units, never
 * fewer than code points, so the exact count is needed only when `.length` is over the limit.
 */
export function exceedsLength(value: string, max: number): boolean {
  if (value.length <= max) return false;
  let count = 0;
  for (const _ of value) if (++count > max) return true;
  return false;
}
