/** Which lists leave out records reached only through shares (docs/referrals.md "Lists"). */
import { describe, expect, it } from '@jest/globals';
import type { RecordCondition } from '../abilities/types.js';
import { usesUnsharedFields, withoutShares } from './list-guard.js';
import type { ReferralConfig } from './referral-config.js';

const referral = { sharedFields: new Set(['sex', 'age', 'plan', 'plan.service']) } as unknown as ReferralConfig;

describe('list guard', () => {
  it.each<[string, string[], boolean]>([
    ['no data field', [], false],
    ['shared fields only', ['sex', 'plan.service'], false],
    ['a field of another form', ['sex', 'safety_plan_needed'], true],
    ['a subform field of another form', ['followups.date'], true],
  ])('%s: %s', (_name, paths, expected) => {
    expect(usesUnsharedFields(referral, paths)).toBe(expected);
  });

  it('never applies to record types without referrals', () => {
    expect(usesUnsharedFields(undefined, ['anything'])).toBe(false);
  });

  it('drops exactly the shared branch', () => {
    const conditions: RecordCondition[] = [{ ownerId: 'u1' }, { sharedWithUser: 'u1' }, { ownerGroupsAny: ['g'] }];
    expect(withoutShares(conditions)).toEqual([{ ownerId: 'u1' }, { ownerGroupsAny: ['g'] }]);
    expect(withoutShares([{ sharedWithUser: 'u1' }])).toEqual([]);
    expect(withoutShares([{}])).toEqual([{}]);
  });
});
