/**
 * The static part of an ability: the merged grants of a set of roles in one compiled config. It does
 * not depend on the user (only on role keys), so it is built once per (config, sorted role keys) and
 * cached; a request then only binds it to its user.
 */
import type { RoleDefinition } from '../bundle/schema/role.js';
import type { AdminScope, AdminSubject, RecordScope } from '../bundle/schema/role-catalogue.js';
import type { CompiledConfig } from '../compile/types.js';
import { compileGrant, coveredUnion, type CompiledGrant } from './grants.js';
import type { FormAccess } from './types.js';

export interface TypePolicy {
  readonly module: string;
  readonly recordType: string;
  readonly grants: readonly CompiledGrant[];
  /** Action -> the distinct scopes granting it. */
  readonly actionScopes: ReadonlyMap<string, readonly RecordScope[]>;
  /** Record-independent field sets (the covered-union rule of grants.ts). */
  readonly readable: ReadonlySet<string>;
  readonly writable: ReadonlySet<string>;
  readonly forms: ReadonlyMap<string, FormAccess>;
  /** Field path -> the form it is on (narrowing to the forms a referral shares). */
  readonly formOf: ReadonlyMap<string, string>;
}

export interface Policy {
  /** Sorted role keys. */
  readonly roles: readonly string[];
  readonly types: ReadonlyMap<string, TypePolicy>;
  /** Subject -> action -> widest scope. */
  readonly admin: ReadonlyMap<AdminSubject, ReadonlyMap<string, AdminScope>>;
  readonly aggregateReports: boolean;
  readonly secondFactorRequired: boolean;
}

export const typeId = (module: string, recordType: string): string => `${module}\u0000${recordType}`;

function typePolicy(module: string, recordType: string, grants: readonly CompiledGrant[], formOf: ReadonlyMap<string, string>): TypePolicy {
  const actionScopes = new Map<string, RecordScope[]>();
  for (const grant of grants) {
    for (const action of grant.actions) {
      const scopes = actionScopes.get(action) ?? [];
      if (!scopes.includes(grant.scope)) scopes.push(grant.scope);
      actionScopes.set(action, scopes);
    }
  }
  const readers = grants.filter((grant) => grant.reads);
  const readable = coveredUnion(readers, (grant) => grant.readable);
  const writable = coveredUnion(grants.filter((grant) => grant.writes), (grant) => grant.writable);
  for (const path of writable) if (!readable.has(path)) writable.delete(path);
  const forms = new Map<string, FormAccess>();
  for (const grant of readers) {
    for (const [form, level] of grant.forms) if (forms.get(form) !== 'read_write') forms.set(form, level);
  }
  return { module, recordType, grants, actionScopes, readable, writable, forms, formOf };
}

export function buildPolicy(compiled: CompiledConfig, roles: readonly RoleDefinition[]): Policy {
  const byType = new Map<string, CompiledGrant[]>();
  const admin = new Map<AdminSubject, Map<string, AdminScope>>();
  for (const role of roles) {
    for (const grant of role.records ?? []) {
      for (const key of grant.recordTypes) {
        const recordType = compiled.findRecordType(grant.module, key);
        if (recordType === undefined) continue; // only a checked config compiles: cannot happen
        const id = typeId(grant.module, key);
        const list = byType.get(id) ?? [];
        list.push(compileGrant(role.key, grant, recordType));
        byType.set(id, list);
      }
    }
    for (const grant of role.admin ?? []) {
      const actions = admin.get(grant.subject) ?? new Map<string, AdminScope>();
      for (const action of grant.actions) {
        if (actions.get(action) !== 'all') actions.set(action, grant.scope ?? 'all');
      }
      admin.set(grant.subject, actions);
    }
  }
  const types = new Map<string, TypePolicy>();
  for (const [id, grants] of byType) {
    const first = grants[0] as CompiledGrant;
    const fields = compiled.findRecordType(first.module, first.recordType)?.fields ?? [];
    types.set(id, typePolicy(first.module, first.recordType, grants, new Map(fields.map((info) => [info.path, info.form] as const))));
  }
  return {
    roles: roles.map((role) => role.key),
    types,
    admin,
    aggregateReports: roles.some((role) => role.reports?.aggregate === true),
    secondFactorRequired: roles.some((role) => role.secondFactor === 'required'),
  };
}

/** Policies per config: a bounded memo, since role sets are few but user input decides them. */
const POLICIES_PER_CONFIG = 256;

interface ConfigRoles {
  readonly roles: ReadonlyMap<string, RoleDefinition>;
  readonly policies: Map<string, Policy>;
}

// Keyed by the compiled config object: compiled configs are memoised per bundle hashes, and the
// entry goes away with its config.
const byConfig = new WeakMap<CompiledConfig, ConfigRoles>();

export function configRoles(compiled: CompiledConfig): ConfigRoles {
  let entry = byConfig.get(compiled);
  if (entry === undefined) {
    const roles = new Map<string, RoleDefinition>();
    for (const bundle of compiled.source) for (const { def } of bundle.roles) roles.set(def.key, def);
    entry = { roles, policies: new Map() };
    byConfig.set(compiled, entry);
  }
  return entry;
}

/** The policy of known role keys (any order, no repeats), from the memo when possible. */
export function policyFor(compiled: CompiledConfig, entry: ConfigRoles, roleKeys: readonly string[]): Policy {
  const sorted = [...roleKeys].sort();
  const cacheKey = sorted.join('\n');
  const cached = entry.policies.get(cacheKey);
  if (cached !== undefined) return cached;
  const policy = buildPolicy(compiled, sorted.map((key) => entry.roles.get(key) as RoleDefinition));
  entry.policies.set(cacheKey, policy);
  if (entry.policies.size > POLICIES_PER_CONFIG) entry.policies.delete(entry.policies.keys().next().value as string);
  return policy;
}
