/** Normalisers shared by several field types. Each accepts any input and leaves foreign types alone. */

/** Trims strings; a blank string means "no value" and becomes null. */
export function trimToNull(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** A decimal number as people and spreadsheets write it (not `0x10`, `0b1`, `1_000`, `Infinity`). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Decimal numeric strings (from HTML forms or CSV imports) become numbers; blank strings become null. */
export function toNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (!DECIMAL.test(trimmed)) return value;
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

/** An unpaired UTF-16 surrogate (a high one not followed by a low one, or a low one not preceded by a high one). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether text holds a character no record can store: NUL (PostgreSQL text and jsonb refuse `\u0000`) or an
 * unpaired surrogate (not valid Unicode; jsonb refuses its escape). Other characters, bidi controls included,
 * are text like any other: they are stored as sent and displayed escaped.
 */
export function hasUnstorableCharacter(value: string): boolean {
  if (value.includes('\u0000')) return true;
  // `isWellFormed` (ES2024: Node 20, current browsers) is native and fast; the pattern is the fallback.
  const wellFormed = (value as { isWellFormed?: () => boolean }).isWellFormed;
  return wellFormed === undefined ? LONE_SURROGATE.test(value) : !wellFormed.call(value);
}
