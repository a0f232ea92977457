/** RFC 6901 JSON pointers: every issue the engine reports names its place with one. */

/** Escapes one reference token (`~` -> `~0`, `/` -> `~1`). */
export function escapePointerToken(token: string | number): string {
  const text = String(token);
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

/** Appends tokens to a pointer: `pointer('/fields', 3, 'key')` -> `/fields/3/key`. */
export function pointer(base: string, ...tokens: ReadonlyArray<string | number>): string {
  let out = base;
  for (const token of tokens) out += `/${escapePointerToken(token)}`;
  return out;
}

/** Splits a pointer into unescaped tokens; `''` is the whole document. */
export function parsePointer(value: string): string[] | undefined {
  if (value === '') return [];
  if (!value.startsWith('/')) return undefined;
  return value
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}
