/**
 * Lists and referral shares. A receiver of a referral reads only the shared forms of that record, but list
 * filters, sorting and text search are checked against the fields readable on every record the caller can list.
 * A list that filters, sorts or searches on a field outside the shared forms would tell, by which shared records
 * match, something of a value the receiver cannot read. For a caller holding referral shares of the record type,
 * such a list therefore leaves out the records they reach only because they are shared with them: the
 * `sharedWithUser` branch of the read conditions goes.
 */
import type { RecordCondition } from '../abilities/types.js';
import type { ReferralConfig } from './referral-config.js';

/**
 * Whether a list filtering, sorting or searching on `usedPaths` (top-level keys, `<subform>.<field>`) reaches
 * beyond the forms referrals of the record type share. False when the record type takes no referrals.
 */
export function usesUnsharedFields(referral: ReferralConfig | undefined, usedPaths: Iterable<string>): boolean {
  if (referral === undefined) return false;
  for (const path of usedPaths) if (!referral.sharedFields.has(path)) return true;
  return false;
}

/** The read conditions without the records reached only through shares. */
export function withoutShares(conditions: readonly RecordCondition[]): readonly RecordCondition[] {
  return conditions.filter((c) => c.sharedWithUser === undefined);
}
