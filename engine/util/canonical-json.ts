/**
 * Canonical JSON: sorted object keys at every depth, no white space. The bundle hash is taken over
 * this text, so reformatting a file or reordering its keys never changes a bundle's identity.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify gives the shortest round-trip form for numbers, so `1.0` and `1` agree.
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
