import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 TOTP (30 s, 6 digits, SHA-1: what every authenticator app speaks), one step of clock drift allowed. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, username: string): TOTP {
  return new TOTP({ issuer: 'Haven', label: username, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
}

export function totpUri(secret: string, username: string): string {
  return totp(secret, username).toString();
}

/**
 * The time step (`floor(unix seconds / 30)`) a code is valid for, one step of drift either way allowed; undefined when
 * it is not valid now. Callers accept a step only once per user (`app_user.totp_last_step`): codes are single-use.
 */
export function totpStep(secret: string, username: string, code: string, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret, username).validate({ token: code, window: 1, timestamp: now });
  return delta === null ? undefined : Math.floor(now / 1000 / 30) + delta;
}

/** Ten single-use recovery codes (shown once) and their SHA-256 hashes (stored). */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: 10 }, () => {
    const raw = randomBytes(10).toString('hex');
    return `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10, 15)}-${raw.slice(15, 20)}`;
  });
  return { codes, hashes: codes.map(recoveryCodeHash) };
}

export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(code.trim().toLowerCase()).digest('hex');
}
