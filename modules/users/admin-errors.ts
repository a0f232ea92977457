import { HavenError } from '../common/errors.js';

/** A code taken by another agency or group: unique whatever the case, as the database's unique index says. */
export function duplicateCode(kind: 'agency' | 'user group', code: string): HavenError {
  return new HavenError('conflict', `The ${kind} code "${code}" is taken.`, [
    { code: 'duplicate', path: '/code', message: `The code "${code}" is taken (codes are compared without regard to case).` },
  ]);
}

export function duplicateUsername(username: string): HavenError {
  return new HavenError('conflict', `The username "${username}" is taken.`, [
    { code: 'duplicate', path: '/username', message: `The username "${username}" is taken (usernames are compared without regard to case).` },
  ]);
}
