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

/** Empty in the sense of "required": absent, null, blank string, empty array or empty object. */
export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) {
    for (const key in value) if (hasOwn(value, key) && !isEmptyValue(value[key])) return false;
    return true;
  }
  return false;
}

/** Structural equality of JSON values; numbers compare with a tolerance so 0.1 + 0.2 equals 0.3. */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) if (!hasOwn(b, key) || !jsonEquals(a[key], b[key])) return false;
    return true;
  }
  return false;
}
