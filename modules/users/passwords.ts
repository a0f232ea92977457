import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/** argon2id with OWASP's second recommended profile (m=19 MiB, t=2, p=1): strong and quick enough for logins. */
// `Algorithm` is a const enum (not importable under isolatedModules); 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  try {
    return await verify(encoded, password);
  } catch {
    return false;
  }
}

/** A random password that satisfies the default policy (24 characters from a URL-safe alphabet). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
