import { describe, expect, it } from '@jest/globals';
import type { AdminSubject, CompiledConfig, HavenAbility, RoleDefinition } from '../../engine/index.js';
import { rolesBeyondOwnGrants } from './role-grants.js';

type Grants = Partial<Record<AdminSubject, Record<string, 'all' | 'agency'>>>;

function config(roles: RoleDefinition[]): CompiledConfig {
  return { source: [{ roles: roles.map((def) => ({ file: `roles/${def.key}.json`, def })) }] } as unknown as CompiledConfig;
}

function ability(grants: Grants): HavenAbility {
  return { adminScope: (action: string, subject: AdminSubject) => grants[subject]?.[action] } as unknown as HavenAbility;
}

const CONFIG = config([
  { key: 'caseworker', label: 'Caseworker' },
  { key: 'agency_admin', label: 'Agency admin', admin: [{ subject: 'user', actions: ['read', 'update'], scope: 'agency' }] },
  { key: 'system_admin', label: 'System admin', admin: [{ subject: 'user', actions: ['read', 'update'] }] },
  { key: 'auditor', label: 'Auditor', admin: [{ subject: 'audit', actions: ['read'], scope: 'agency' }] },
]);
const AGENCY_ADMIN = ability({ user: { read: 'agency', update: 'agency' } });

describe('rolesBeyondOwnGrants', () => {
  it.each<[string, string[], string[], string[]]>([
    ['roles without admin grants', ['caseworker'], [], []],
    ['a role granting what the caller holds, as widely', ['agency_admin'], [], []],
    ['a role granting an all-agency scope the caller holds for their agency only', ['caseworker', 'system_admin'], [], ['/roles/1']],
    ['a role granting a subject the caller lacks', ['auditor'], [], ['/roles/0']],
    ['a role the user already holds', ['system_admin'], ['system_admin'], []],
    ['an unknown role (reported elsewhere)', ['nope'], [], []],
  ])('%s', (_name, roles, held, paths) => {
    expect(rolesBeyondOwnGrants(CONFIG, AGENCY_ADMIN, roles, held).map((i) => i.path)).toEqual(paths);
  });

  it('names the code and the role', () => {
    expect(rolesBeyondOwnGrants(CONFIG, AGENCY_ADMIN, ['system_admin'])).toEqual([
      expect.objectContaining({ code: 'role_beyond_own_grants', params: { value: 'system_admin' } }),
    ]);
  });
});
