/**
 * The roles shipped in configs/core, configs/gbv and configs/cp, on the real bundles: what each may and
 * may not do, CASL agreeing with the engine's own answers, and docs/permissions.md listing the catalogue.
 * Files are read with node:fs through a computed specifier (as engine-imports.spec.ts does), so the
 * engine's tsconfig keeps Node's types out.
 */
import { describe, expect, it } from '@jest/globals';
import { subject } from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
import { loadBundles } from '../bundle/load.js';
import { ADMIN_ACTIONS, ADMIN_SUBJECTS, RECORD_ACTIONS, RECORD_SCOPES } from '../bundle/schema/role-catalogue.js';
import { compileBundles } from '../compile/compile-bundles.js';
import { buildAbility } from './build-ability.js';
import { RECORD_SUBJECT } from './casl-rules.js';
import type { AbilityUser, RecordFacts } from './types.js';
import { readRepoFile, readShippedBundle } from '../testing/shipped-bundles.js';


const loaded = loadBundles(['core', 'gbv', 'cp'].map((key) => readShippedBundle(key)));
if (loaded.bundles === undefined) throw new Error(JSON.stringify(loaded.issues, null, 2));
const compiled = compileBundles(loaded.bundles);

const RECORD_TYPES = compiled.recordTypes.map((rt) => [rt.module, rt.key] as const);
const ACTIONS = Object.keys(RECORD_ACTIONS);
const SHIPPED = ['system_admin', 'steering_committee', 'gbv_caseworker', 'gbv_supervisor', 'gbv_manager', 'gbv_referral_partner', 'cp_caseworker', 'cp_supervisor', 'cp_manager'];

const user = (roles: string[], overrides: Partial<AbilityUser> = {}): AbilityUser => ({ id: 'u1', username: 'amina', agency: 'agency_a', groups: ['g1'], roles, ...overrides });
const ability = (...roles: string[]) => buildAbility(compiled, user(roles));
const identifying = (module: string, recordType: string): string[] => [...compiled.recordType(module, recordType).identifyingFields];

describe('shipped roles', () => {
  it('are exactly the nine documented ones', () => {
    expect(compiled.source.flatMap((bundle) => bundle.roles.map((role) => role.def.key)).sort()).toEqual([...SHIPPED].sort());
  });

  it.each(['system_admin', 'steering_committee', 'gbv_manager', 'cp_manager'])('%s has no record access at all', (role) => {
    const a = ability(role);
    for (const [module, recordType] of RECORD_TYPES) {
      for (const action of ACTIONS) expect(a.recordConditions(action, module, recordType)).toEqual([]);
      expect(a.readableFields(module, recordType).size).toBe(0);
      expect(a.formAccess(module, recordType).size).toBe(0);
    }
  });

  it.each<[string, boolean]>([
    ['system_admin', false],
    ['steering_committee', false],
    ['gbv_manager', true],
    ['cp_manager', true],
    ['gbv_supervisor', true],
    ['gbv_caseworker', false],
  ])('%s: aggregate reports %s', (role, aggregate) => {
    expect(ability(role).aggregateReports).toBe(aggregate);
  });

  it.each<[string, string, string, boolean]>([
    ['system_admin', 'create', 'user', true],
    ['system_admin', 'disable', 'agency', true],
    ['system_admin', 'localize', 'lookup', true],
    ['system_admin', 'export', 'location', true],
    ['system_admin', 'activate', 'bundle', true],
    ['system_admin', 'rollback', 'bundle', true],
    ['system_admin', 'submit', 'bundle', true],
    ['steering_committee', 'submit', 'bundle', false],
    ['system_admin', 'update', 'system', true],
    ['system_admin', 'read', 'audit', true],
    ['system_admin', 'approve', 'bundle', false],
    ['system_admin', 'read', 'report', false],
    ['steering_committee', 'approve', 'bundle', true],
    ['steering_committee', 'reject', 'bundle', true],
    ['steering_committee', 'read', 'bundle', true],
    ['steering_committee', 'activate', 'bundle', false],
    ['steering_committee', 'read', 'user', false],
    ['gbv_supervisor', 'read', 'user', false],
  ])('%s may %s %s: %s', (role, action, subject, allowed) => {
    expect(ability(role).can(action, subject as never)).toBe(allowed);
  });

  it.each([['gbv', 'case'], ['gbv', 'incident']])('gbv_supervisor reads no identifying field of %s/%s, and writes nothing', (module, recordType) => {
    const a = ability('gbv_supervisor');
    const readable = a.readableFields(module, recordType);
    expect(identifying(module, recordType).length).toBeGreaterThan(0);
    expect(identifying(module, recordType).filter((path) => readable.has(path))).toEqual([]);
    expect(readable.size).toBeGreaterThan(20);
    expect(a.writableFields(module, recordType).size).toBe(0);
    expect(a.recordConditions('read', module, recordType)).toEqual([{ ownerGroupsAny: ['g1'] }, { ownerId: 'u1' }, { sharedWithUser: 'u1' }]);
  });

  it('gbv_supervisor approves action plans and closures of the group, not requests or updates', () => {
    const a = ability('gbv_supervisor');
    expect(a.canRecord('approve_action_plan', 'gbv', 'case')).toBe(true);
    expect(a.canRecord('approve_gbv_closure', 'gbv', 'case')).toBe(true);
    expect(a.canRecord('update', 'gbv', 'case')).toBe(false);
    expect(a.canRecord('read', 'cp', 'case')).toBe(false);
  });

  it.each([['cp', 'case'], ['cp', 'tracing_request']])('cp_supervisor reads the identifying fields of %s/%s', (module, recordType) => {
    const readable = ability('cp_supervisor').readableFields(module, recordType);
    expect(identifying(module, recordType).length).toBeGreaterThan(0);
    expect(identifying(module, recordType).filter((path) => !readable.has(path))).toEqual([]);
  });

  it.each([
    ['gbv_caseworker', 'gbv', ['case', 'incident']],
    ['cp_caseworker', 'cp', ['case', 'tracing_request']],
  ] as const)('%s: own scope, every field writable but read-only ones, no other module', (role, module, recordTypes) => {
    const a = ability(role);
    for (const recordType of recordTypes) {
      expect(a.recordConditions('read', module, recordType)).toEqual([{ ownerId: 'u1' }, { sharedWithUser: 'u1' }]);
      expect(a.recordConditions('update', module, recordType)).toEqual([{ ownerId: 'u1' }, { sharedWithUser: 'u1' }]);
      const fields = compiled.recordType(module, recordType).fields.filter((f) => f.stored);
      expect([...a.readableFields(module, recordType)].sort()).toEqual(fields.map((f) => f.path).sort());
      expect([...a.writableFields(module, recordType)].sort()).toEqual(fields.filter((f) => !f.readOnly).map((f) => f.path).sort());
      expect(fields.some((f) => f.readOnly)).toBe(true);
      expect(a.canRecord('assign', module, recordType)).toBe(false);
    }
    for (const [other, recordType] of RECORD_TYPES.filter(([m]) => m !== module)) expect(a.recordConditions('read', other, recordType)).toEqual([]);
  });

  it('gbv_referral_partner: only records shared with them, two forms, no follow-up notes', () => {
    const a = ability('gbv_referral_partner');
    expect(a.recordConditions('read', 'gbv', 'case')).toEqual([{ sharedWithUser: 'u1' }]);
    expect(a.recordConditions('read', 'gbv', 'incident')).toEqual([]);
    expect(Object.fromEntries(a.formAccess('gbv', 'case'))).toEqual({ gbv_survivor_information: 'read', action_plan_form: 'read' });
    const readable = a.readableFields('gbv', 'case');
    const forms = new Set(['gbv_survivor_information', 'action_plan_form']);
    expect([...readable].filter((path) => !forms.has(compiled.recordType('gbv', 'case').field(path)?.form ?? ''))).toEqual([]);
    expect([...readable].filter((path) => path.startsWith('gbv_follow_up_subform_section'))).toEqual([]);
    expect(readable.has('name')).toBe(true);
    expect(readable.has('action_plan_section.service_type')).toBe(true);
    expect(a.writableFields('gbv', 'case').size).toBe(0);
    expect(a.canRecord('read', 'gbv', 'case', { module: 'gbv', recordType: 'case', ownerId: 'u1', ownerAgency: 'agency_a', ownerGroups: ['g1'], sharedWith: [] })).toBe(false);
  });
});

describe('CASL agrees with the engine', () => {
  const users: [string, AbilityUser][] = [
    ['gbv caseworker', user(['gbv_caseworker'])],
    ['gbv supervisor of g1 and g2', user(['gbv_supervisor'], { groups: ['g1', 'g2'] })],
    ['gbv supervisor without groups', user(['gbv_supervisor'], { groups: [] })],
    ['referral partner without agency', user(['gbv_referral_partner'], { agency: null, groups: [] })],
    ['caseworker and supervisor of both modules', user(['gbv_caseworker', 'gbv_supervisor', 'cp_caseworker', 'cp_supervisor'])],
    ['system admin', user(['system_admin'])],
    ['manager with an unknown role', user(['gbv_manager', 'ghost'])],
  ];
  const recordsOf = (module: string, recordType: string): [string, RecordFacts][] => {
    const base = { module, recordType, ownerId: 'u9', ownerAgency: 'agency_b', ownerGroups: ['g9'], sharedWith: [] as string[] };
    return [
      [`${module}/${recordType} own`, { ...base, ownerId: 'u1', ownerAgency: 'agency_a', ownerGroups: ['g1'] }],
      [`${module}/${recordType} shared`, { ...base, sharedWith: ['u5', 'u1'] }],
      [`${module}/${recordType} group mate's`, { ...base, ownerGroups: ['g2', 'g1'] }],
      [`${module}/${recordType} second group's`, { ...base, ownerGroups: ['g2'] }],
      [`${module}/${recordType} same agency`, { ...base, ownerAgency: 'agency_a' }],
      [`${module}/${recordType} unowned`, { ...base, ownerId: null, ownerAgency: null, ownerGroups: [] }],
      [`${module}/${recordType} someone else's`, base],
    ];
  };
  const records = RECORD_TYPES.flatMap(([module, recordType]) => recordsOf(module, recordType));

  it.each(users)('%s: casl.can equals canRecord for every record and action, and CASL fields equal readableFields', (_name, who) => {
    const a = buildAbility(compiled, who);
    const mismatches: string[] = [];
    for (const [what, facts] of records) {
      for (const action of ACTIONS) {
        const engine = a.canRecord(action, facts.module, facts.recordType, facts);
        if (a.casl.can(action, subject(RECORD_SUBJECT, { ...facts })) !== engine) mismatches.push(`${action} on ${what}`);
      }
      const caslFields = permittedFieldsOf(a.casl, 'read', subject(RECORD_SUBJECT, { ...facts }), { fieldsFrom: (rule) => rule.fields ?? [] });
      expect([...caslFields].sort()).toEqual([...a.readableFields(facts.module, facts.recordType, facts)].sort());
    }
    expect(mismatches).toEqual([]);
  });

  it.each(users)('%s: casl.can equals can for every admin action', (_name, who) => {
    const a = buildAbility(compiled, who);
    for (const name of ADMIN_SUBJECTS) {
      for (const action of Object.keys(ADMIN_ACTIONS[name])) expect([name, action, a.casl.can(action, name)]).toEqual([name, action, a.can(action, name)]);
    }
  });
});

describe('docs/permissions.md', () => {
  const docs = readRepoFile('docs/permissions.md');

  it.each([...ACTIONS.map((a) => ['record action', a]), ...ADMIN_SUBJECTS.flatMap((s) => Object.keys(ADMIN_ACTIONS[s]).map((a) => [`${s} action`, `${s}: ${a}`]))])(
    'documents the %s `%s`',
    (_kind, name) => {
      // Record action rows: `| `action` | meaning |`; admin rows: `| `subject` | `action` | meaning |`.
      const [subjectName, action] = name.includes(': ') ? name.split(': ') : [undefined, name];
      const row = subjectName === undefined ? new RegExp(`^\\| \`${action}\` \\| [^\`]`, 'm') : new RegExp(`^\\| \`${subjectName}\` \\| \`${action}\` \\|`, 'm');
      expect(docs).toMatch(row);
    },
  );

  it.each([...Object.keys(RECORD_SCOPES), ...SHIPPED])('mentions `%s`', (name) => {
    expect(docs).toContain(`\`${name}\``);
  });
});
