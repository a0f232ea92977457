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

/** 64 lowercase hex characters. Formatting and key order inside files do not change it. */
export function bundleHash(files: Readonly<Record<string, string>>): string {
  const canonical: Record<string, unknown> = {};
  for (const path of Object.keys(files)) {
    // defineProperty: a file literally named `__proto__` must stay data, not become a prototype.
    Object.defineProperty(canonical, path, { value: fileValue(path, files[path] ?? ''), enumerable: true });
  }
  return sha256Hex(canonicalJson(canonical));
}

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
