/**
 * The two json-logic-js 2.0.5 primitives every operation relies on, as pure functions shared by the
 * json-logic-js registration (json-logic.ts) and the compiler (compile-logic.ts).
 */

/** JSON Logic truthiness: JavaScript's, except that an empty array is false. */
export function jsonLogicTruthy(value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return false;
  return !!value;
}

/**
 * `var`, as json-logic-js defines it (dotted path, `null` or the fallback when absent), but splitting
 * each path once: rules read the same few dozen paths on every record.
 */
const splitPaths = new Map<string, readonly string[]>();

export function readVar(data: unknown, path: unknown, fallback: unknown): unknown {
  const notFound = fallback === undefined ? null : fallback;
  if (path === undefined || path === '' || path === null) return data;
  const key = String(path);
  let segments = splitPaths.get(key);
  if (segments === undefined) {
    segments = key.split('.');
    // Paths come from bundles, so the set is small; the bound only guards against misuse.
    if (splitPaths.size < 10_000) splitPaths.set(key, segments);
  }
  let current: unknown = data;
  for (const segment of segments) {
    if (current === null || current === undefined) return notFound;
    current = (current as Record<string, unknown>)[segment];
    if (current === undefined) return notFound;
  }
  return current;
}
