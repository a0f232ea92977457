import { dictionary } from '@zxcvbn-ts/language-common';
import type { Issue } from '../common/errors.js';
import type { SystemSettings } from '../config/system-settings.js';

export type PasswordPolicy = SystemSettings['passwordPolicy'];

/** Codes of password policy issues (each failure is its own issue). */
export const PASSWORD_ISSUE_CODES = ['too_short', 'contains_username', 'common_password'] as const;

let common: ReadonlySet<string> | undefined;

/** The ~49k most common passwords (zxcvbn's list), lower-cased; built on first use, then kept. */
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()));
  return common;
}

/**
 * Checks a new password against the policy of the active configuration and returns every failure, never
 * throws. Used by the admin routes (create, reset) and by the self-service password change; `path` is the
 * JSON pointer of the password in the caller's body.
 */
export function checkPassword(password: string, username: string, policy: PasswordPolicy, path = '/password'): Issue[] {
  const issues: Issue[] = [];
  // Code points, not UTF-16 units: an emoji is one character to the person typing it.
  const length = [...password].length;
  if (length < policy.minLength) {
    issues.push({
      code: 'too_short',
      path,
      message: `The password must be at least ${policy.minLength} characters long.`,
      params: { minLength: policy.minLength },
    });
  }
  const lower = password.toLowerCase();
  const name = username.trim().toLowerCase();
  if (policy.disallowUsername && name.length > 0 && lower.includes(name)) {
    issues.push({ code: 'contains_username', path, message: 'The password must not be or contain the username.' });
  }
  if (policy.disallowCommon && commonPasswords().has(lower)) {
    issues.push({ code: 'common_password', path, message: 'The password is too common: it is on a list of frequently used passwords.' });
  }
  return issues;
}
