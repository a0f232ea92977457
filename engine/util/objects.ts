/** Small helpers for handling untrusted JSON without prototype surprises. */

export type JsonObject = { [key: string]: unknown };

/** True for `{…}` values (not arrays, not null, not class instances such as Date). */
export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** Own-property test: `obj.constructor` must never count as a value a client sent. */
export function hasOwn(obj: object, key: string): boolean {
  return hasOwnProperty.call(obj, key);
}

/** Reads an own property only (inherited members such as `constructor` read as undefined). */
export function ownValue(obj: object, key: string): unknown {
  return hasOwnProperty.call(obj, key) ? (obj as JsonObject)[key] : undefined;
}

/** Freezes a parsed JSON tree so that definitions shared by every request cannot be mutated by one. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

/**
 * Empty in the sense of "required": absent, null, blank string, empty array, or an object whose values
 * are all blank (`{ "from": null, "to": null }`). One level only: data can be nested arbitrarily deep.
 */
export function isEmptyValue(value: unknown): boolean {
  if (isBlank(value)) return true;
  if (isPlainObject(value)) {
    for (const key in value) if (hasOwn(value, key) && !isBlank(value[key])) return false;
    return true;
  }
  return false;
}

/** Deeper than any definition or record needs: values beyond it are refused, not recursed into. */
export const MAX_JSON_DEPTH = 64;

/**
 * Structural equality of JSON values; numbers compare with a tolerance so 0.1 + 0.2 equals 0.3.
 * Bounded in depth (structures deeper than MAX_JSON_DEPTH are unequal) so hostile data cannot
 * exhaust the stack.
 */
export function jsonEquals(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (depth > MAX_JSON_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) if (!hasOwn(b, key) || !jsonEquals(a[key], b[key], depth + 1)) return false;
    return true;
  }
  return false;
}

/** Whether a JSON value nests deeper than `limit`; iterative, so it is safe on any input. */
export function exceedsDepth(value: unknown, limit: number = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** JSON text of a value for a message; never throws (cyclic or absurdly deep values get a placeholder). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '(value)';
  }
}
