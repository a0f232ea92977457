import { randomFillSync } from 'node:crypto';

/** Digits and capitals a person can read aloud and copy by hand: no 0/O, 1/I/L. */
export const SHORT_ID_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const SHORT_ID_LENGTH = 7;

/** Bytes at or above this are skipped so that every character is equally likely (31 × 8 = 248). */
const UNBIASED_LIMIT = Math.floor(256 / SHORT_ID_ALPHABET.length) * SHORT_ID_ALPHABET.length;

/**
 * Random bytes drawn 4 KiB at a time: one call into the system's generator serves about 500 ids (a call per id was
 * 1.5% of a create's CPU). Each process fills its own pool on first use, so worker processes share no bytes.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomByte(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return pool[used++] as number;
}

/** A random short id (31^7 ≈ 2.75e10 values); uniqueness is the caller's job (unique index + retry). */
export function newShortId(): string {
  let id = '';
  while (id.length < SHORT_ID_LENGTH) {
    const byte = randomByte();
    if (byte >= UNBIASED_LIMIT) continue;
    id += SHORT_ID_ALPHABET[byte % SHORT_ID_ALPHABET.length];
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
