import { randomBytes } from 'node:crypto';

/** Digits and capitals a person can read aloud and copy by hand: no 0/O, 1/I/L. */
export const SHORT_ID_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const SHORT_ID_LENGTH = 7;

/** Bytes at or above this are skipped so that every character is equally likely (31 × 8 = 248). */
const UNBIASED_LIMIT = Math.floor(256 / SHORT_ID_ALPHABET.length) * SHORT_ID_ALPHABET.length;

/** A random short id (31^7 ≈ 2.75e10 values); uniqueness is the caller's job (unique index + retry). */
export function newShortId(): string {
  let id = '';
  while (id.length < SHORT_ID_LENGTH) {
    for (const byte of randomBytes(16)) {
      if (byte >= UNBIASED_LIMIT) continue;
      id += SHORT_ID_ALPHABET[byte % SHORT_ID_ALPHABET.length];
      if (id.length === SHORT_ID_LENGTH) break;
    }
  }
  return id;
}

export interface DisplayIdFormat {
  readonly prefix?: string;
  readonly pattern?: string;
}

/** The human id shown on screens and paper: the record type's `displayId` pattern (default `{prefix}-{shortId}`). */
export function formatDisplayId(format: DisplayIdFormat | undefined, shortId: string): string {
  const prefix = format?.prefix ?? '';
  const pattern = format?.pattern ?? (prefix ? '{prefix}-{shortId}' : '{shortId}');
  return pattern.replaceAll('{prefix}', prefix).replaceAll('{shortId}', shortId);
}
