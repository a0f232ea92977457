import { hash, randomBytes } from 'node:crypto';

/** Opaque bearer tokens: 256 random bits; only their SHA-256 is stored, so a database leak yields no token. */
const PREFIX = 'hvn_';

export function newToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): Buffer {
  return Buffer.from(tokenHashHex(token), 'hex');
}

/** The same hash as hex (the session cache's key); one-shot hashing, as it runs on every signed-in request. */
export function tokenHashHex(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Cheap shape check before any database work: anything else is simply not a Haven token. */
export function looksLikeToken(token: string): boolean {
  return token.length === PREFIX.length + 43 && token.startsWith(PREFIX) && /^[A-Za-z0-9_-]+$/.test(token.slice(PREFIX.length));
}
