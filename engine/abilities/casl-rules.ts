/**
 * The policy bound to a user, as CASL rules. Conditions come from `scopeConditions` (the same source as
 * canRecord and recordConditions), so CASL and the engine's own answers agree by construction; a spec
 * checks it on a table of users, records and actions anyway.
 */
import { createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';
import type { Policy } from './policy.js';
import { caslConditions, scopeConditions } from './scopes.js';
import type { AbilityUser } from './types.js';

/** The subject type of record rules. */
export const RECORD_SUBJECT = 'Record';

/**
 * CASL refuses an empty `fields` list (and no list would mean every field): a grant that opens no field
 * lists this name, which no field can have (keys are snake_case).
 */
export const NO_FIELDS: readonly string[] = Object.freeze(['#none']);

type Rule = RawRuleOf<MongoAbility>;

/** The lists are frozen and shared by every request: handed to CASL as they are (it never mutates them). */
function fieldList(fields: readonly string[]): string[] {
  return (fields.length > 0 ? fields : NO_FIELDS) as string[];
}

export function caslRules(policy: Policy, user: AbilityUser): Rule[] {
  const rules: Rule[] = [];
  for (const type of policy.types.values()) {
    for (const grant of type.grants) {
      for (const condition of scopeConditions(grant.scope, user)) {
        const conditions = caslConditions(type.module, type.recordType, condition);
        if (grant.reads) {
          rules.push({ action: 'read', subject: RECORD_SUBJECT, conditions, fields: fieldList(grant.readableList) });
        }
        if (grant.writes) {
          rules.push({ action: grant.writeActions as string[], subject: RECORD_SUBJECT, conditions, fields: fieldList(grant.writableList) });
        }
        if (grant.otherActions.length > 0) rules.push({ action: grant.otherActions as string[], subject: RECORD_SUBJECT, conditions });
      }
    }
  }
  for (const [subject, actions] of policy.admin) {
    const all = [...actions].filter(([, scope]) => scope === 'all').map(([action]) => action);
    const agency = [...actions].filter(([, scope]) => scope === 'agency').map(([action]) => action);
    if (all.length > 0) rules.push({ action: all, subject });
    if (agency.length > 0 && user.agency !== null) rules.push({ action: agency, subject, conditions: { agency: user.agency } });
  }
  return rules;
}

export function buildCaslAbility(policy: Policy, user: AbilityUser): MongoAbility {
  return createMongoAbility(caslRules(policy, user));
}
