/** A bundle's identity: SHA-256 of its canonical JSON (docs/config-format.md). */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../util/canonical-json.js';

/** The value a file contributes to the hash: parsed JSON for `.json` files, the text otherwise. */
function fileValue(path: string, text: string): unknown {
  if (!path.endsWith('.json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // An unparseable file still gets a hash (it is reported as invalid_json elsewhere).
    return text;
  }
}

/** One file's canonical JSON; text nested too deep to canonicalise (a stack overflow) is hashed as text. */
function canonicalFile(path: string, text: string): string {
  try {
    return canonicalJson(fileValue(path, text));
  } catch {
    return JSON.stringify(text);
  }
}

/**
 * 64 lowercase hex characters. Formatting and key order inside files do not change it. Built file by
 * file, it is exactly the canonical JSON of `{ path: parsed value }`.
 */
export function bundleHash(files: Readonly<Record<string, string>>): string {
  const entries = Object.keys(files)
    .sort()
    .map((path) => `${JSON.stringify(path)}:${canonicalFile(path, files[path] ?? '')}`);
  return sha256Hex(`{${entries.join(',')}}`);
}

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
