import type { AdminSubject } from '../../engine/index.js';
import type { Principal } from '../auth/principal.js';

/**
 * Which objects of an admin subject a caller reaches with an action: all of them, or those of one agency.
 * Objects outside the scope are "not found" (404), never "forbidden": whether a user exists in another agency
 * is not the caller's business. A caller without the grant reaches nothing (`agencyId: null`).
 */
export type AdminScope = { readonly kind: 'all' } | { readonly kind: 'agency'; readonly agencyId: string | null };

export const ALL: AdminScope = { kind: 'all' };
const NOTHING: AdminScope = { kind: 'agency', agencyId: null };

export function adminScope(principal: Principal, action: string, subject: AdminSubject): AdminScope {
  switch (principal.ability.adminScope(action, subject)) {
    case 'all':
      return ALL;
    case 'agency':
      return { kind: 'agency', agencyId: principal.agencyId };
    default:
      return NOTHING;
  }
}

/** A SQL condition limiting `column` (an agency id) to the scope; `add` appends a parameter and returns its placeholder. */
export function scopeCondition(scope: AdminScope, column: string, add: (value: unknown) => string): string {
  if (scope.kind === 'all') return 'true';
  if (scope.agencyId === null) return 'false';
  return `${column} = ${add(scope.agencyId)}`;
}
