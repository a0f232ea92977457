import type { CompiledConfig, HavenAbility } from '../../engine/index.js';
import { type Issue, pointer } from '../common/errors.js';

/**
 * An administrator whose user grant is limited to their agency may only hand out roles whose admin grants
 * they hold themselves, as widely: otherwise an agency administrator could make someone (or, through a
 * colleague, themselves) a system administrator. Roles the user already has are not re-checked.
 * Administrators of every agency are not limited here.
 */
export function rolesBeyondOwnGrants(compiled: CompiledConfig, ability: HavenAbility, roles: readonly string[], alreadyHeld: readonly string[] = []): Issue[] {
  const definitions = new Map(compiled.source.flatMap((bundle) => bundle.roles.map((role) => [role.def.key, role.def] as const)));
  const issues: Issue[] = [];
  roles.forEach((key, index) => {
    if (alreadyHeld.includes(key)) return;
    const role = definitions.get(key);
    if (!role) return; // reported as unknown_role
    const beyond = (role.admin ?? []).some((grant) =>
      grant.actions.some((action) => {
        const own = ability.adminScope(action, grant.subject);
        return own === undefined || ((grant.scope ?? 'all') === 'all' && own !== 'all');
      }),
    );
    if (beyond) {
      issues.push({
        code: 'role_beyond_own_grants',
        path: pointer('roles', index),
        message: `The role "${key}" grants administration you do not hold yourself.`,
        params: { value: key },
      });
    }
  });
  return issues;
}
