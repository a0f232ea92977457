/** Roles: each case plants one mistake in an otherwise valid role and expects its code, file and pointer. */
import { describe, expect, it } from '@jest/globals';
import { loadIssues, makeBundle, makeCoreBundle, makeForm, type BundleSpec } from '../../testing/bundle-factory.js';

type Json = Record<string, unknown>;

const CASE_FIELDS: Json[] = [
  { key: 'name', type: 'text', label: 'Name', identifying: true },
  { key: 'age', type: 'number', label: 'Age' },
  { key: 'perps', type: 'subform', label: 'Perpetrators', fields: [{ key: 'psex', type: 'text', label: 'Sex' }] },
];
const MODULE = { key: 'm', label: 'M', recordTypes: ['case', 'incident'] };
const RECORD_TYPES = [
  { key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }] },
  { key: 'incident', module: 'm', label: 'Incident', formGroups: [{ key: 'main', label: 'Main' }] },
];
const INCIDENT_FORM = makeForm([{ key: 'place', type: 'text', label: 'Place' }], { key: 'incident_form', recordType: 'incident' });

const GRANT: Json = { module: 'm', recordTypes: ['case'], scope: 'own', actions: ['read', 'update'], forms: { '*': 'read_write' }, excludeFields: ['@identifying'] };
const ROLE: Json = {
  key: 'worker',
  label: 'Worker',
  secondFactor: 'optional',
  records: [GRANT],
  admin: [{ subject: 'user', actions: ['read'], scope: 'agency' }],
  reports: { aggregate: true },
};
const FILE = 'roles/worker.json';

function spec(role: Json, extra: Partial<BundleSpec> = {}): BundleSpec {
  return {
    manifest: { dependsOn: ['core'] },
    modules: [MODULE],
    recordTypes: RECORD_TYPES,
    fields: CASE_FIELDS,
    forms: [INCIDENT_FORM],
    ...extra,
    files: { [FILE]: role, ...extra.files },
  };
}
const withGrant = (grant: Json): Json => ({ ...ROLE, records: [{ ...GRANT, ...grant }] });
const withAdmin = (admin: Json): Json => ({ ...ROLE, admin: [admin] });

function issuesOf(bundleSpec: BundleSpec, core: Record<string, string> = makeCoreBundle()): string[] {
  return loadIssues(makeBundle(bundleSpec), core).map((i) => `${i.code} ${i.file}#${i.pointer}`);
}

describe('role checks', () => {
  it('accepts a valid role', () => {
    expect(issuesOf(spec(ROLE))).toEqual([]);
  });

  it.each<[string, Json, string]>([
    // schema
    ['missing label', { ...ROLE, label: undefined }, `missing_property ${FILE}#/label`],
    ['unknown property', { ...ROLE, permissions: {} }, `unknown_property ${FILE}#/permissions`],
    ['unknown scope', withGrant({ scope: 'team' }), `invalid_value ${FILE}#/records/0/scope`],
    ['forms missing', { ...ROLE, records: [{ module: 'm', recordTypes: ['case'], scope: 'own', actions: ['read'] }] }, `missing_property ${FILE}#/records/0/forms`],
    ['forms empty', withGrant({ forms: {} }), `schema_violation ${FILE}#/records/0/forms`],
    ['unknown form access', withGrant({ forms: { main_form: 'write' } }), `invalid_value ${FILE}#/records/0/forms/main_form`],
    ['no actions', withGrant({ actions: [] }), `too_few ${FILE}#/records/0/actions`],
    ['an action twice', withGrant({ actions: ['read', 'read'] }), `not_unique ${FILE}#/records/0/actions`],
    ['malformed field path', withGrant({ excludeFields: ['perps.psex.x'] }), `invalid_format ${FILE}#/records/0/excludeFields/0`],
    ['unknown admin subject', withAdmin({ subject: 'case', actions: ['read'] }), `invalid_value ${FILE}#/admin/0/subject`],
    ['unknown second factor', { ...ROLE, secondFactor: 'always' }, `invalid_value ${FILE}#/secondFactor`],
    // cross-references
    ['unknown module', withGrant({ module: 'zz' }), `unknown_module ${FILE}#/records/0/module`],
    ['record type not in the module', withGrant({ recordTypes: ['case', 'tracing'] }), `unknown_record_type ${FILE}#/records/0/recordTypes/1`],
    ['unknown form', withGrant({ forms: { '*': 'read', main_from: 'read' } }), `unknown_form ${FILE}#/records/0/forms/main_from`],
    ['form of another record type', withGrant({ forms: { incident_form: 'read' } }), `unknown_form ${FILE}#/records/0/forms/incident_form`],
    ['unknown record action', withGrant({ actions: ['read', 'approve_everything'] }), `unknown_action ${FILE}#/records/0/actions/1`],
    ['admin action as a record action', withGrant({ actions: ['read', 'reset_password'] }), `unknown_action ${FILE}#/records/0/actions/1`],
    ['record action on an admin subject', withAdmin({ subject: 'user', actions: ['read', 'approve_closure'] }), `unknown_action ${FILE}#/admin/0/actions/1`],
    ['action of another admin subject', withAdmin({ subject: 'bundle', actions: ['approve', 'localize'] }), `unknown_action ${FILE}#/admin/0/actions/1`],
    ['agency scope on a subject without agencies', withAdmin({ subject: 'bundle', actions: ['read'], scope: 'agency' }), `invalid_value ${FILE}#/admin/0/scope`],
    ['unknown field set', withGrant({ excludeFields: ['@secret'] }), `unknown_field_set ${FILE}#/records/0/excludeFields/0`],
    ['unknown field', withGrant({ excludeFields: ['nmae'] }), `unknown_field ${FILE}#/records/0/excludeFields/0`],
    ['unknown subform field', withGrant({ excludeFields: ['perps.page'] }), `unknown_field ${FILE}#/records/0/excludeFields/0`],
    ['field of a record type the grant does not name', withGrant({ excludeFields: ['place'] }), `unknown_field ${FILE}#/records/0/excludeFields/0`],
    ['file named after another key', { ...ROLE, key: 'other' }, `file_name_mismatch ${FILE}#`],
  ])('%s', (_name, role, expected) => {
    expect(issuesOf(spec(role))).toEqual([expected]);
  });

  it.each<[string, Json]>([
    ['a subform child', withGrant({ excludeFields: ['perps.psex'] })],
    ['a whole subform', withGrant({ excludeFields: ['perps'] })],
    ['a field of one of several record types', withGrant({ recordTypes: ['case', 'incident'], excludeFields: ['place'], forms: { '*': 'none', incident_form: 'read' } })],
    ['every admin subject with agency scope where it applies', { ...ROLE, admin: [{ subject: 'user', actions: ['read', 'disable'], scope: 'agency' }, { subject: 'audit', actions: ['read'], scope: 'agency' }] }],
    ['no grants at all', { key: 'worker', label: 'Worker' }],
  ])('accepts %s', (_name, role) => {
    expect(issuesOf(spec(role))).toEqual([]);
  });

  it('reports a role key defined in two bundles', () => {
    const core = makeBundle({ manifest: { key: 'core', title: 'Core' }, modules: [], recordTypes: [], files: { [FILE]: { key: 'worker', label: 'Worker' } } });
    expect(issuesOf(spec(ROLE), core)).toEqual([`duplicate_key ${FILE}#/key`]);
  });

  it('refuses a module of a bundle the role\'s bundle does not depend on', () => {
    // The core bundle cannot see module `m` of the bundle that depends on it.
    const core = makeBundle({ manifest: { key: 'core', title: 'Core' }, modules: [], recordTypes: [], files: { 'roles/core_worker.json': { ...ROLE, key: 'core_worker' } } });
    const issues = loadIssues(makeBundle(spec({ key: 'worker', label: 'Worker' })), core);
    expect(issues.map((i) => `${i.bundle} ${i.code} ${i.file}#${i.pointer}`)).toEqual(['core unknown_module roles/core_worker.json#/records/0/module']);
    expect(issues[0]?.message).toContain('does not depend on');
  });

  it('reports every mistake of a role in one run', () => {
    const role = {
      ...ROLE,
      records: [{ ...GRANT, actions: ['read', 'fly'], forms: { nope: 'read' }, excludeFields: ['@secret', 'nmae'] }, { ...GRANT, module: 'zz' }],
      admin: [{ subject: 'system', actions: ['delete'] }],
    };
    expect(issuesOf(spec(role)).sort()).toEqual(
      [
        `unknown_action ${FILE}#/records/0/actions/1`,
        `unknown_form ${FILE}#/records/0/forms/nope`,
        `unknown_field_set ${FILE}#/records/0/excludeFields/0`,
        `unknown_field ${FILE}#/records/0/excludeFields/1`,
        `unknown_module ${FILE}#/records/1/module`,
        `unknown_action ${FILE}#/admin/0/actions/0`,
      ].sort(),
    );
  });

  it('does not cascade: a role naming a schema-invalid form is not reported again', () => {
    const broken = makeForm([{ key: 'x', type: 'text', label: 'X', colour: 'red' }], { key: 'second' });
    const issues = issuesOf(spec(withGrant({ forms: { second: 'read' }, excludeFields: ['x'] }), { forms: [INCIDENT_FORM, broken] }));
    expect(issues).toEqual(['unknown_property forms/m.case.second.json#/fields/0/colour']);
  });

  it('checks translations of role labels like any other key', () => {
    const issues = issuesOf(spec(ROLE, { translations: { fr: { 'role.worker.label': 'Travailleur', 'role.ghost.label': 'Fantôme' } } }));
    expect(issues).toEqual(['unknown_translation_key translations/fr.json#/role.ghost.label']);
  });
});
