/** buildAbility on a small bundle: scopes, merging of roles, field sets, admin grants, the policy cache. */
import { describe, expect, it } from '@jest/globals';
import { compileOrThrow, makeBundle, makeForm } from '../testing/bundle-factory.js';
import { buildAbility } from './build-ability.js';
import { conditionHolds, scopeConditions, scopeReaches } from './scopes.js';
import type { AbilityUser, RecordFacts, RecordScope } from './types.js';

type Json = Record<string, unknown>;

const MAIN_FIELDS: Json[] = [
  { key: 'name', type: 'text', label: 'Name', identifying: true },
  { key: 'age', type: 'number', label: 'Age' },
  { key: 'layout', type: 'separator', label: 'Layout' },
  {
    key: 'perps',
    type: 'subform',
    label: 'Perpetrators',
    fields: [{ key: 'psex', type: 'text', label: 'Sex' }, { key: 'pname', type: 'text', label: 'Name', identifying: true }],
  },
  { key: 'contacts', type: 'subform', label: 'Contacts', identifying: true, fields: [{ key: 'phone', type: 'text', label: 'Phone' }] },
];
const NOTES_FORM = makeForm([{ key: 'notes', type: 'textarea', label: 'Notes' }, { key: 'ref_no', type: 'text', label: 'Reference', readOnly: true }], { key: 'notes_form', order: 2 });

const grant = (scope: RecordScope, actions: string[], forms: Json, excludeFields?: string[]): Json => ({
  module: 'm',
  recordTypes: ['case'],
  scope,
  actions,
  forms,
  ...(excludeFields === undefined ? {} : { excludeFields }),
});

const ROLES: Json[] = [
  { key: 'worker', label: 'Worker', records: [grant('own', ['read', 'create', 'update', 'refer'], { '*': 'read_write' })] },
  { key: 'sup', label: 'Supervisor', records: [grant('group', ['read', 'assign', 'approve_closure'], { '*': 'read' }, ['@identifying'])], reports: { aggregate: true } },
  { key: 'partner', label: 'Partner', records: [grant('shared', ['read', 'receive_referral'], { '*': 'none', main_form: 'read' }, ['perps'])] },
  { key: 'auditor', label: 'Auditor', records: [grant('all', ['read'], { '*': 'read' }, ['notes'])] },
  { key: 'agency_reader', label: 'Agency reader', records: [grant('agency', ['read'], { '*': 'read' }, ['notes'])] },
  { key: 'blind_writer', label: 'Writes without reading', records: [grant('own', ['update'], { '*': 'read_write' })] },
  { key: 'kid_only', label: 'Subform child excluded', records: [grant('own', ['read'], { '*': 'read' }, ['perps.pname', 'perps.psex'])] },
  {
    key: 'user_admin',
    label: 'User admin',
    secondFactor: 'required',
    admin: [{ subject: 'user', actions: ['read', 'update'], scope: 'agency' }, { subject: 'user', actions: ['read'], scope: 'all' }, { subject: 'bundle', actions: ['read'] }],
  },
];

const compiled = compileOrThrow(
  makeBundle({
    fields: MAIN_FIELDS,
    forms: [NOTES_FORM],
    files: Object.fromEntries(ROLES.map((role) => [`roles/${String(role['key'])}.json`, role])),
  }),
);

const user = (roles: string[], overrides: Partial<AbilityUser> = {}): AbilityUser => ({
  id: 'u1',
  username: 'amina',
  agency: 'agency_a',
  groups: ['g1'],
  roles,
  ...overrides,
});
const record = (overrides: Partial<RecordFacts> = {}): RecordFacts => ({
  module: 'm',
  recordType: 'case',
  ownerId: 'u9',
  ownerAgency: 'agency_b',
  ownerGroups: ['g9'],
  sharedWith: [],
  ...overrides,
});

const ALL_FIELDS = ['name', 'age', 'perps', 'perps.psex', 'perps.pname', 'contacts', 'contacts.phone', 'notes', 'ref_no'];
const NON_IDENTIFYING = ['age', 'perps', 'perps.psex', 'notes', 'ref_no'];
/** Users never write read-only fields, whatever their forms allow. */
const writableOf = (paths: string[]): string[] => paths.filter((path) => path !== 'ref_no');
const sorted = (set: ReadonlySet<string>): string[] => [...set].sort();

describe('scopes', () => {
  const users: [string, AbilityUser][] = [
    ['with group and agency', user([])],
    ['without group or agency', user([], { groups: [], agency: null })],
  ];
  const records: [string, RecordFacts][] = [
    ['own', record({ ownerId: 'u1' })],
    ['shared with the user', record({ sharedWith: ['u7', 'u1'] })],
    ['of a group mate', record({ ownerGroups: ['g1', 'g2'] })],
    ['of the agency', record({ ownerAgency: 'agency_a' })],
    ['of nobody', record({ ownerId: null, ownerAgency: null, ownerGroups: [] })],
    ['of someone else', record()],
  ];
  const scopes: RecordScope[] = ['shared', 'own', 'group', 'agency', 'all'];
  const expected: Record<RecordScope, string[]> = {
    shared: ['shared with the user'],
    own: ['own', 'shared with the user'],
    group: ['own', 'shared with the user', 'of a group mate'],
    agency: ['own', 'shared with the user', 'of the agency'],
    all: records.map(([name]) => name),
  };

  it.each(scopes)('%s reaches what the table says (user with group and agency)', (scope) => {
    const reached = records.filter(([, facts]) => scopeReaches(scope, user([]), facts)).map(([name]) => name);
    expect(reached).toEqual(expected[scope]);
  });

  it('reaches only own and shared records for a user without group or agency', () => {
    const lone = user([], { groups: [], agency: null });
    for (const scope of ['group', 'agency'] as const) {
      expect(records.filter(([, facts]) => scopeReaches(scope, lone, facts)).map(([name]) => name)).toEqual(expected.own);
    }
  });

  it.each(users.flatMap(([who, u]) => scopes.flatMap((scope) => records.map(([what, facts]) => [`${scope}, user ${who}, record ${what}`, scope, u, facts] as const))))(
    'the fast test equals the conditions: %s',
    (_name, scope, u, facts) => {
      expect(scopeReaches(scope, u, facts)).toBe(scopeConditions(scope, u).some((c) => conditionHolds(c, facts)));
    },
  );
});

describe('record access', () => {
  it.each<[string, string[], string, readonly object[]]>([
    ['own', ['worker'], 'read', [{ ownerId: 'u1' }, { sharedWithUser: 'u1' }]],
    ['shared', ['partner'], 'read', [{ sharedWithUser: 'u1' }]],
    ['group', ['sup'], 'read', [{ ownerGroupsAny: ['g1'] }, { ownerId: 'u1' }, { sharedWithUser: 'u1' }]],
    ['agency', ['agency_reader'], 'read', [{ ownerAgency: 'agency_a' }, { ownerId: 'u1' }, { sharedWithUser: 'u1' }]],
    ['all', ['auditor'], 'read', [{}]],
    ['all wins over narrower scopes', ['worker', 'auditor', 'sup'], 'read', [{}]],
    ['roles merge without repeats', ['partner', 'worker'], 'read', [{ sharedWithUser: 'u1' }, { ownerId: 'u1' }]],
    ['an action only one role has', ['worker', 'sup'], 'approve_closure', [{ ownerGroupsAny: ['g1'] }, { ownerId: 'u1' }, { sharedWithUser: 'u1' }]],
    ['an action no role has', ['worker', 'sup'], 'export', []],
    ['no roles', [], 'read', []],
  ])('recordConditions: %s', (_name, roles, action, conditions) => {
    expect(buildAbility(compiled, user(roles)).recordConditions(action, 'm', 'case')).toEqual(conditions);
  });

  it('gives nothing on a record type no grant names', () => {
    const ability = buildAbility(compiled, user(['worker', 'auditor']));
    expect(ability.recordConditions('read', 'm', 'incident')).toEqual([]);
    expect(ability.canRecord('read', 'm', 'incident')).toBe(false);
  });

  it.each<[string, string[], string, RecordFacts | undefined, boolean]>([
    ['some record', ['worker'], 'refer', undefined, true],
    ['own record', ['worker'], 'update', record({ ownerId: 'u1' }), true],
    ['someone else\'s record', ['worker'], 'read', record(), false],
    ['a group mate\'s record', ['sup'], 'assign', record({ ownerGroups: ['g1'] }), true],
    ['supervisor does not update', ['sup'], 'update', record({ ownerGroups: ['g1'] }), false],
    ['partner, shared', ['partner'], 'read', record({ sharedWith: ['u1'] }), true],
    ['partner, owned but not shared', ['partner'], 'read', record({ ownerId: 'u1' }), false],
    ['record of another type', ['auditor'], 'read', record({ recordType: 'incident' }), false],
  ])('canRecord: %s', (_name, roles, action, facts, allowed) => {
    expect(buildAbility(compiled, user(roles)).canRecord(action, 'm', 'case', facts)).toBe(allowed);
  });
});

describe('fields', () => {
  it.each<[string, string[], string[], string[]]>([
    ['every stored field, never layout; read-only ones not written', ['worker'], ALL_FIELDS, writableOf(ALL_FIELDS)],
    ['identifying fields and subforms excluded', ['sup'], NON_IDENTIFYING, []],
    ['a subform excluded, forms limited', ['partner'], ['age', 'contacts', 'contacts.phone', 'name'], []],
    ['a subform without readable children disappears', ['kid_only'], ['age', 'contacts', 'contacts.phone', 'name', 'notes', 'ref_no'], []],
    ['nothing written without reading', ['blind_writer'], [], []],
    ['own scope does not cover group: identifying stays hidden', ['worker', 'sup'], NON_IDENTIFYING, writableOf(NON_IDENTIFYING)],
    ['all scope covers group: what it reads is readable', ['sup', 'auditor'], ALL_FIELDS.filter((f) => f !== 'notes'), []],
    ['own covers shared: the worker reads all the partner cannot', ['partner', 'worker'], ALL_FIELDS, writableOf(ALL_FIELDS)],
    ['group and agency do not cover each other', ['sup', 'agency_reader'], ['age', 'perps', 'perps.psex', 'ref_no'], []],
  ])('without a record: %s', (_name, roles, readable, writable) => {
    const ability = buildAbility(compiled, user(roles));
    expect(sorted(ability.readableFields('m', 'case'))).toEqual([...readable].sort());
    expect(sorted(ability.writableFields('m', 'case'))).toEqual([...writable].sort());
  });

  it.each<[string, string[], RecordFacts, string[], string[]]>([
    ['own record: the worker grant applies', ['worker', 'sup'], record({ ownerId: 'u1', ownerGroups: ['g1'] }), ALL_FIELDS, writableOf(ALL_FIELDS)],
    ['group mate\'s record: only the supervisor grant applies', ['worker', 'sup'], record({ ownerGroups: ['g1'] }), NON_IDENTIFYING, []],
    ['record out of every scope', ['worker', 'sup'], record(), [], []],
    ['record shared with a partner', ['partner'], record({ sharedWith: ['u1'] }), ['age', 'contacts', 'contacts.phone', 'name'], []],
  ])('on a record: %s', (_name, roles, facts, readable, writable) => {
    const ability = buildAbility(compiled, user(roles));
    expect(sorted(ability.readableFields('m', 'case', facts))).toEqual([...readable].sort());
    expect(sorted(ability.writableFields('m', 'case', facts))).toEqual([...writable].sort());
  });

  it('keeps writable fields within readable ones for every role combination', () => {
    const keys = ROLES.map((role) => String(role['key']));
    for (const a of keys) {
      for (const b of keys) {
        const ability = buildAbility(compiled, user([a, b]));
        for (const path of ability.writableFields('m', 'case')) expect(ability.readableFields('m', 'case').has(path)).toBe(true);
      }
    }
  });

  it.each<[string, string[], Record<string, string>]>([
    ['read_write beats read', ['sup', 'worker'], { main_form: 'read_write', notes_form: 'read_write' }],
    ['read only', ['sup'], { main_form: 'read', notes_form: 'read' }],
    ['forms set to none are absent', ['partner'], { main_form: 'read' }],
    ['a grant that cannot read opens no form', ['blind_writer'], {}],
    ['no record grant', ['user_admin'], {}],
  ])('formAccess: %s', (_name, roles, forms) => {
    expect(Object.fromEntries(buildAbility(compiled, user(roles)).formAccess('m', 'case'))).toEqual(forms);
  });
});

describe('admin, reports, second factor, unknown roles', () => {
  it.each<[string, AbilityUser, string, string, boolean, string | undefined]>([
    ['widest scope wins', user(['user_admin']), 'read', 'user', true, 'all'],
    ['agency scope', user(['user_admin']), 'update', 'user', true, 'agency'],
    ['agency scope without an agency', user(['user_admin'], { agency: null }), 'update', 'user', false, undefined],
    ['a subject without scope', user(['user_admin']), 'read', 'bundle', true, 'all'],
    ['an action not granted', user(['user_admin']), 'approve', 'bundle', false, undefined],
    ['record roles grant no admin action', user(['worker', 'auditor']), 'read', 'user', false, undefined],
  ])('%s', (_name, who, action, subject, allowed, scope) => {
    const ability = buildAbility(compiled, who);
    expect(ability.can(action, subject as never)).toBe(allowed);
    expect(ability.adminScope(action, subject as never)).toBe(scope);
  });

  it('merges reports and the second factor over roles', () => {
    expect(buildAbility(compiled, user(['worker'])).aggregateReports).toBe(false);
    expect(buildAbility(compiled, user(['worker', 'sup'])).aggregateReports).toBe(true);
    expect(buildAbility(compiled, user(['sup'])).secondFactorRequired).toBe(false);
    expect(buildAbility(compiled, user(['sup', 'user_admin'])).secondFactorRequired).toBe(true);
  });

  it('ignores roles the config does not define and lists them for the caller', () => {
    const ability = buildAbility(compiled, user(['ghost', 'worker', 'worker', 'caseworker']));
    expect(ability.roles).toEqual(['worker']);
    expect(ability.unknownRoles).toEqual(['ghost', 'caseworker']);
    expect(ability.canRecord('read', 'm', 'case')).toBe(true);
  });

  it('shares the static part between users with the same role set, in any order', () => {
    const a = buildAbility(compiled, user(['worker', 'sup']));
    const b = buildAbility(compiled, user(['sup', 'worker', 'ghost'], { id: 'u2', groups: [] }));
    expect(b.readableFields('m', 'case')).toBe(a.readableFields('m', 'case'));
    expect(b.recordConditions('read', 'm', 'case')).toEqual([{ ownerId: 'u2' }, { sharedWithUser: 'u2' }]);
  });
});
