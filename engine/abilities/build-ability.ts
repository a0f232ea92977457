/**
 * `buildAbility(compiled, user)`: one per request. The expensive part (merged grants, field sets) is the
 * cached policy of the user's role set; binding it to the user allocates one small object. CASL rules
 * are built on first use of `.casl` only.
 */
import type { MongoAbility } from '@casl/ability';
import type { AdminScope, AdminSubject } from '../bundle/schema/role-catalogue.js';
import type { CompiledConfig } from '../compile/types.js';
import { buildCaslAbility } from './casl-rules.js';
import type { CompiledGrant } from './grants.js';
import { configRoles, policyFor, typeId, type Policy, type TypePolicy } from './policy.js';
import { mergeConditions, scopeReaches, scopeReachesUnshared } from './scopes.js';
import type { AbilityUser, FormAccess, HavenAbility, RecordCondition, RecordFacts } from './types.js';

const EMPTY_SET: ReadonlySet<string> = new Set();
const EMPTY_FORMS: ReadonlyMap<string, FormAccess> = new Map();
const NO_CONDITIONS: readonly RecordCondition[] = Object.freeze([]);

export function buildAbility(compiled: CompiledConfig, user: AbilityUser): HavenAbility {
  const entry = configRoles(compiled);
  const roles: string[] = [];
  const unknownRoles: string[] = [];
  for (const role of user.roles) {
    const into = entry.roles.has(role) ? roles : unknownRoles;
    if (!into.includes(role)) into.push(role);
  }
  return new BoundAbility(policyFor(compiled, entry, roles), user, roles, unknownRoles);
}

/** The fields of `fields` on one of `forms` (a grant reaching a record only through a referral share). */
function onForms(fields: ReadonlySet<string>, forms: readonly string[], formOf: ReadonlyMap<string, string>): ReadonlySet<string> {
  const out = new Set<string>();
  for (const path of fields) if (forms.includes(formOf.get(path) as string)) out.add(path);
  return out;
}

/**
 * Union of one field set over the grants that reach the record (the record-aware merge rule). A grant that
 * reaches the record only because it is shared with the user, where the user's shares are referrals
 * (`record.sharedForms`), contributes only the fields of the shared forms.
 */
function fieldsOnRecord(
  type: TypePolicy | undefined,
  user: AbilityUser,
  record: RecordFacts,
  fieldsOf: (grant: CompiledGrant) => ReadonlySet<string>,
): ReadonlySet<string> {
  if (type === undefined || record.module !== type.module || record.recordType !== type.recordType) return EMPTY_SET;
  const narrowTo = record.sharedForms === undefined || !Object.hasOwn(record.sharedForms, user.id) ? undefined : record.sharedForms[user.id];
  let out: ReadonlySet<string> = EMPTY_SET;
  let copied = false;
  for (const grant of type.grants) {
    let fields = fieldsOf(grant);
    if (fields.size === 0 || !scopeReaches(grant.scope, user, record)) continue;
    if (narrowTo !== undefined && !scopeReachesUnshared(grant.scope, user, record)) {
      fields = onForms(fields, narrowTo, type.formOf);
      if (fields.size === 0) continue;
    }
    if (out.size === 0) {
      out = fields;
    } else {
      const merged: Set<string> = copied ? (out as Set<string>) : new Set(out);
      copied = true;
      for (const path of fields) merged.add(path);
      out = merged;
    }
  }
  return out;
}

/** Prototype methods, not closures: one small object per request (call them as methods). */
class BoundAbility implements HavenAbility {
  private caslAbility: MongoAbility | undefined;

  constructor(
    private readonly policy: Policy,
    readonly user: AbilityUser,
    readonly roles: readonly string[],
    readonly unknownRoles: readonly string[],
  ) {}

  get casl(): MongoAbility {
    this.caslAbility ??= buildCaslAbility(this.policy, this.user);
    return this.caslAbility;
  }

  get aggregateReports(): boolean {
    return this.policy.aggregateReports;
  }

  get secondFactorRequired(): boolean {
    return this.policy.secondFactorRequired;
  }

  private typeOf(module: string, recordType: string): TypePolicy | undefined {
    return this.policy.types.get(typeId(module, recordType));
  }

  adminScope(action: string, subject: AdminSubject): AdminScope | undefined {
    const scope = this.policy.admin.get(subject)?.get(action);
    // An agency-scoped grant reaches nothing for a user without an agency.
    return scope === 'agency' && this.user.agency === null ? undefined : scope;
  }

  can(action: string, subject: AdminSubject): boolean {
    return this.adminScope(action, subject) !== undefined;
  }

  canRecord(action: string, module: string, recordType: string, record?: RecordFacts): boolean {
    const scopes = this.typeOf(module, recordType)?.actionScopes.get(action);
    if (scopes === undefined) return false;
    if (record === undefined) return true;
    if (record.module !== module || record.recordType !== recordType) return false;
    return scopes.some((scope) => scopeReaches(scope, this.user, record));
  }

  recordConditions(action: string, module: string, recordType: string): readonly RecordCondition[] {
    const scopes = this.typeOf(module, recordType)?.actionScopes.get(action);
    return scopes === undefined ? NO_CONDITIONS : mergeConditions(scopes, this.user);
  }

  readableFields(module: string, recordType: string, record?: RecordFacts): ReadonlySet<string> {
    const type = this.typeOf(module, recordType);
    if (record === undefined) return type?.readable ?? EMPTY_SET;
    return fieldsOnRecord(type, this.user, record, (grant) => grant.readable);
  }

  writableFields(module: string, recordType: string, record?: RecordFacts): ReadonlySet<string> {
    const type = this.typeOf(module, recordType);
    if (record === undefined) return type?.writable ?? EMPTY_SET;
    return fieldsOnRecord(type, this.user, record, (grant) => grant.writable);
  }

  formAccess(module: string, recordType: string): ReadonlyMap<string, FormAccess> {
    return this.typeOf(module, recordType)?.forms ?? EMPTY_FORMS;
  }
}
