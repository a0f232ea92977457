import type { EntityManager } from 'typeorm';
import type { SystemSettings } from '../config/system-settings.js';

export type ThrottleVerdict =
  | { kind: 'allowed'; delayMs: number }
  | { kind: 'pair_locked'; retryAfterSeconds: number }
  | { kind: 'address_blocked'; retryAfterSeconds: number };

/**
 * Brute-force protection that cannot be turned against the real user:
 * - failures of one (username, address) pair since that pair's last success lock the pair for a while;
 * - failures from one address, whatever the usernames, block the address (password spraying);
 * - a wave of failures on one account from many addresses never locks the owner out: it slows every further
 *   attempt on that account down (growing delay), and the second factor, where the user has one, still guards it.
 */
export async function checkLoginThrottle(db: EntityManager, username: string, clientIp: string, policy: SystemSettings['loginThrottling']): Promise<ThrottleVerdict> {
  const window = `${policy.lockMinutes} minutes`;
  const [row] = await db.query(
    `WITH last_ok AS (
       SELECT max(at) AS at FROM login_attempt WHERE username = $1 AND client_ip = $2 AND success
     )
     SELECT
       (SELECT count(*)::int FROM login_attempt, last_ok
         WHERE username = $1 AND client_ip = $2 AND NOT success AND login_attempt.at > now() - $3::interval
           AND (last_ok.at IS NULL OR login_attempt.at > last_ok.at)) AS pair_failures,
       (SELECT extract(epoch FROM (max(at) + $3::interval - now()))::int FROM login_attempt
         WHERE username = $1 AND client_ip = $2 AND NOT success AND at > now() - $3::interval) AS pair_retry,
       (SELECT count(*)::int FROM login_attempt WHERE client_ip = $2 AND NOT success AND at > now() - $3::interval) AS address_failures,
       (SELECT count(*)::int FROM login_attempt WHERE username = $1 AND NOT success AND at > now() - $3::interval) AS account_failures`,
    [username, clientIp, window],
  );
  if (row.pair_failures >= policy.maxFailures) return { kind: 'pair_locked', retryAfterSeconds: Math.max(1, row.pair_retry ?? 60) };
  if (row.address_failures >= policy.maxFailuresPerAddress) return { kind: 'address_blocked', retryAfterSeconds: policy.lockMinutes * 60 };
  const excess = row.account_failures - policy.accountSlowdownAfter;
  const delayMs = excess >= 0 ? Math.min(250 * 2 ** Math.min(excess, 10), 8000) : 0;
  return { kind: 'allowed', delayMs };
}

export async function recordLoginAttempt(db: EntityManager, username: string, clientIp: string, success: boolean): Promise<void> {
  await db.query(`INSERT INTO login_attempt (username, client_ip, success) VALUES ($1, $2, $3)`, [username, clientIp, success]);
}
