import type { EntityManager } from 'typeorm';
import type { CompiledConfig } from '../../engine/index.js';
import { type Issue, pointer } from '../common/errors.js';
import type { AdminScope } from './admin-scope.js';
import { AgenciesRepository } from './agencies.repository.js';
import { UserGroupsRepository } from './user-groups.repository.js';

/** The role keys of the active configuration (every bundle's `roles/*.json`). */
export function roleKeys(compiled: CompiledConfig): ReadonlySet<string> {
  return new Set(compiled.source.flatMap((bundle) => bundle.roles.map((role) => role.def.key)));
}

export interface ReferenceInput {
  agency?: string;
  groups?: readonly string[];
  roles?: readonly string[];
  locale?: string;
}

export interface ResolvedReferences {
  agencyId?: string;
  groupIds?: string[];
  issues: Issue[];
}

export interface ReferenceContext {
  compiled: CompiledConfig;
  /** Agencies and groups outside these scopes are unknown to the caller. */
  agencyScope: AdminScope;
  groupScope: AdminScope;
  /** What the user already has: keeping a since-disabled agency or group is not a new reference to it. */
  current?: { agencyId: string | null; groupIds: readonly string[] };
}

/**
 * Resolves the agency, group, role and locale references of a user body, in bulk. Every unknown (or out of
 * scope) value is its own issue at its JSON pointer (`/groups/1`), so the form can be fixed in one pass.
 */
export async function resolveReferences(db: EntityManager, input: ReferenceInput, ctx: ReferenceContext): Promise<ResolvedReferences> {
  const issues: Issue[] = [];
  const resolved: ResolvedReferences = { issues };

  if (input.agency !== undefined) {
    const agency = (await new AgenciesRepository(db).findByCodes([input.agency], ctx.agencyScope)).get(input.agency.toLowerCase());
    if (!agency) {
      issues.push({ code: 'unknown_agency', path: '/agency', message: `There is no agency "${input.agency}".`, params: { value: input.agency } });
    } else if (agency.disabled && agency.id !== ctx.current?.agencyId) {
      issues.push({ code: 'disabled_agency', path: '/agency', message: `The agency "${agency.code}" is disabled.`, params: { value: input.agency } });
    } else {
      resolved.agencyId = agency.id;
    }
  }

  if (input.groups !== undefined) {
    const found = await new UserGroupsRepository(db).findByCodes(input.groups, ctx.groupScope);
    const ids: string[] = [];
    input.groups.forEach((code, index) => {
      const group = found.get(code.toLowerCase());
      if (!group) {
        issues.push({ code: 'unknown_group', path: pointer('groups', index), message: `There is no user group "${code}".`, params: { value: code } });
      } else if (group.disabled && !ctx.current?.groupIds.includes(group.id)) {
        issues.push({ code: 'disabled_group', path: pointer('groups', index), message: `The user group "${group.code}" is disabled.`, params: { value: code } });
      } else {
        ids.push(group.id);
      }
    });
    resolved.groupIds = ids;
  }

  if (input.roles !== undefined) {
    const known = roleKeys(ctx.compiled);
    input.roles.forEach((role, index) => {
      if (!known.has(role)) {
        issues.push({ code: 'unknown_role', path: pointer('roles', index), message: `There is no role "${role}" in the active configuration.`, params: { value: role } });
      }
    });
  }

  if (input.locale !== undefined && ctx.compiled.locales.length > 0 && !ctx.compiled.locales.some((l) => l.code === input.locale)) {
    issues.push({
      code: 'unknown_locale',
      path: '/locale',
      message: `The locale "${input.locale}" is not one of the active configuration.`,
      params: { value: input.locale, allowed: ctx.compiled.locales.map((l) => l.code) },
    });
  }
  return resolved;
}
