/**
 * Record scopes as data: which records a scope reaches for a given user (as conditions, as a test on
 * one record), and how scopes compare. recordConditions and the CASL rules are derived from
 * `scopeConditions`; `scopeReaches` (canRecord) is its allocation-free twin, held equal by the specs.
 */
import type { RecordScope } from '../bundle/schema/role-catalogue.js';
import type { AbilityUser, RecordCondition, RecordFacts } from './types.js';

/**
 * `wider` reaches every record `narrower` reaches, for every user: `all` covers everything, `group` and
 * `agency` include `own`, `own` includes `shared`. Group and agency are not comparable (a group may
 * span agencies).
 */
export function covers(wider: RecordScope, narrower: RecordScope): boolean {
  if (wider === narrower || wider === 'all') return true;
  switch (narrower) {
    case 'shared':
      return wider !== 'shared';
    case 'own':
      return wider === 'group' || wider === 'agency';
    default:
      return false;
  }
}

/** The records a scope reaches for `user`, as a disjunction (never empty: own records at least). */
export function scopeConditions(scope: RecordScope, user: AbilityUser): RecordCondition[] {
  const shared: RecordCondition = { sharedWithUser: user.id };
  const own: RecordCondition[] = [{ ownerId: user.id }, shared];
  switch (scope) {
    case 'shared':
      return [shared];
    case 'own':
      return own;
    case 'group':
      return user.groups.length === 0 ? own : [{ ownerGroupsAny: user.groups }, ...own];
    case 'agency':
      return user.agency === null ? own : [{ ownerAgency: user.agency }, ...own];
    case 'all':
      return [{}];
  }
}

export function conditionHolds(condition: RecordCondition, record: RecordFacts): boolean {
  if (condition.ownerId !== undefined && record.ownerId !== condition.ownerId) return false;
  if (condition.sharedWithUser !== undefined && !record.sharedWith.includes(condition.sharedWithUser)) return false;
  if (condition.ownerAgency !== undefined && record.ownerAgency !== condition.ownerAgency) return false;
  if (condition.ownerGroupsAny !== undefined && !condition.ownerGroupsAny.some((group) => record.ownerGroups.includes(group))) return false;
  return true;
}

/**
 * `scopeConditions(scope, user).some((c) => conditionHolds(c, record))`, without allocating: it runs for
 * every record of every list. The specs hold the two equal on a table of scopes, users and records.
 */
export function scopeReaches(scope: RecordScope, user: AbilityUser, record: RecordFacts): boolean {
  if (scope === 'all') return true;
  if (record.sharedWith.includes(user.id)) return true;
  if (scope === 'shared') return false;
  if (record.ownerId === user.id) return true;
  if (scope === 'group') return user.groups.some((group) => record.ownerGroups.includes(group));
  if (scope === 'agency') return user.agency !== null && record.ownerAgency === user.agency;
  return false;
}

/** `scopeReaches` as if the record were shared with nobody: does the scope reach it other than by a share? */
export function scopeReachesUnshared(scope: RecordScope, user: AbilityUser, record: RecordFacts): boolean {
  if (scope === 'all') return true;
  if (scope === 'shared') return false;
  if (record.ownerId === user.id) return true;
  if (scope === 'group') return user.groups.some((group) => record.ownerGroups.includes(group));
  if (scope === 'agency') return user.agency !== null && record.ownerAgency === user.agency;
  return false;
}

function conditionId(condition: RecordCondition): string {
  return JSON.stringify([condition.ownerId, condition.sharedWithUser, condition.ownerGroupsAny, condition.ownerAgency]);
}

/** The union of several scopes' conditions, without repeats; `[{}]` as soon as one reaches everything. */
export function mergeConditions(scopes: Iterable<RecordScope>, user: AbilityUser): RecordCondition[] {
  const out = new Map<string, RecordCondition>();
  for (const scope of scopes) {
    if (scope === 'all') return [{}];
    for (const condition of scopeConditions(scope, user)) {
      const id = conditionId(condition);
      if (!out.has(id)) out.set(id, condition);
    }
  }
  return [...out.values()];
}

/** The Mongo-style query CASL evaluates for a condition, on the `Record` subject's attributes. */
export function caslConditions(module: string, recordType: string, condition: RecordCondition): Record<string, unknown> {
  const query: Record<string, unknown> = { module, recordType };
  if (condition.ownerId !== undefined) query['ownerId'] = condition.ownerId;
  if (condition.sharedWithUser !== undefined) query['sharedWith'] = condition.sharedWithUser;
  if (condition.ownerAgency !== undefined) query['ownerAgency'] = condition.ownerAgency;
  if (condition.ownerGroupsAny !== undefined) query['ownerGroups'] = { $in: condition.ownerGroupsAny };
  return query;
}
