import { describe, expect, it } from '@jest/globals';
import { checkPassword, type PasswordPolicy } from './password-policy.js';

const DEFAULT: PasswordPolicy = { minLength: 12, disallowUsername: true, disallowCommon: true };

describe('checkPassword', () => {
  it.each<[string, string, string, PasswordPolicy, string[]]>([
    ['a long random password', 'correct-horse-battery', 'amina', DEFAULT, []],
    ['exactly the minimum length', 'k7#vQ2!mZp9w', 'amina', DEFAULT, []],
    ['one character short', 'k7#vQ2!mZp9', 'amina', DEFAULT, ['too_short']],
    ['length in code points (emoji count once)', '😀😀😀😀😀😀😀😀😀😀😀', 'amina', DEFAULT, ['too_short']],
    ['equal to the username', 'fatima.rahman', 'fatima.rahman', DEFAULT, ['contains_username']],
    ['containing the username, other case', 'xx-Amina.K-2025!', 'amina.k', DEFAULT, ['contains_username']],
    ['a common password', 'qwerty123456', 'amina', DEFAULT, ['common_password']],
    ['a common password in capitals', 'QWERTY123456', 'amina', DEFAULT, ['common_password']],
    ['short, common and containing the username', 'password', 'pass', DEFAULT, ['too_short', 'contains_username', 'common_password']],
    ['username check switched off', 'fatima.rahman!', 'fatima.rahman', { ...DEFAULT, disallowUsername: false }, []],
    ['common check switched off', 'qwerty123456', 'amina', { ...DEFAULT, disallowCommon: false }, []],
    ['a longer minimum', 'k7#vQ2!mZp9w', 'amina', { ...DEFAULT, minLength: 16 }, ['too_short']],
    ['an empty username never matches', 'k7#vQ2!mZp9w', '', DEFAULT, []],
  ])('%s', (_name, password, username, policy, codes) => {
    const issues = checkPassword(password, username, policy);
    expect(issues.map((i) => i.code)).toEqual(codes);
    for (const issue of issues) {
      expect(issue.path).toBe('/password');
      expect(issue.message).toEqual(expect.any(String));
    }
  });

  it('reports at the pointer the caller names', () => {
    expect(checkPassword('k7#vQ2', 'amina', DEFAULT, '/newPassword')).toEqual([
      { code: 'too_short', path: '/newPassword', message: 'The password must be at least 12 characters long.', params: { minLength: 12 } },
    ]);
  });

  it('never puts the password in an issue', () => {
    const password = 'Sunshine';
    const text = JSON.stringify(checkPassword(password, 'someone', DEFAULT));
    expect(text).not.toContain(password);
  });
});
