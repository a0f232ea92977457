/**
 * Referral, transfer and cross-module settings: the shipped bundles' answers, the checks of the module file
 * sections (one planted mistake per case) and the narrowing of a referral partner's fields to the shared forms.
 * Shipped files are read with node:fs through a computed specifier (as engine-imports.spec.ts does).
 */
import { describe, expect, it } from '@jest/globals';
import { buildAbility } from '../abilities/build-ability.js';
import type { AbilityUser, RecordFacts } from '../abilities/types.js';
import { loadBundles } from '../bundle/load.js';
import { compileBundles } from '../compile/compile-bundles.js';
import type { RuleData } from '../rules/context.js';
import { compileOrThrow, loadIssues, makeBundle, makeForm, type BundleSpec } from '../testing/bundle-factory.js';
import { referralSettings } from './referral-config.js';
import { readShippedBundle } from '../testing/shipped-bundles.js';


const shipped = (...keys: string[]) => {
  const loaded = loadBundles(keys.map((key) => readShippedBundle(key)));
  if (loaded.bundles === undefined) throw new Error(JSON.stringify(loaded.issues, null, 2));
  return compileBundles(loaded.bundles);
};
const all = shipped('core', 'gbv', 'cp');
const settings = referralSettings(all);
const data = (record: Record<string, unknown>): RuleData => ({ record, user: { id: 'u1', agency: 'a', roles: [], groups: [] }, today: '2026-11-25', now: '2026-11-25T10:00:00Z' });

describe('shipped referral settings', () => {
  it('refers GBV cases for the core service types, sharing survivor information and the action plan', () => {
    const gbv = settings.referral('gbv', 'case');
    expect(gbv?.serviceLookup).toBe('service_type');
    expect(gbv?.services).toContain('health_medical_service');
    expect(gbv?.sharedForms).toEqual(['gbv_survivor_information', 'action_plan_form']);
    expect([...(gbv?.sharedFields ?? [])]).toEqual(expect.arrayContaining(['sex', 'action_plan_section', 'action_plan_section.service_type']));
    expect(gbv?.sharedFields.has('safety_plan_needed')).toBe(false);
    expect(settings.referral('gbv', 'incident')).toBeUndefined();
  });

  it.each([
    [{ consent_for_services: true, consent_to_share_info_by_health: true }, 'health_medical_service', true, []],
    [{ consent_for_services: true }, 'health_medical_service', false, ['consent_to_share_info_by_health']],
    [{ consent_for_services: true, consent_to_share_info_by_health: false }, 'health_medical_service', false, ['consent_to_share_info_by_health']],
    [{ consent_to_share_info_by_health: true }, 'health_medical_service', false, ['consent_for_services']],
    [{}, 'legal_assistance_service', false, ['consent_for_services', 'consent_to_share_info_by_legal']],
    [{ consent_for_services: true, consent_to_share_info_by_other: true }, 'food_service', true, []],
  ])('GBV consent of %j for %s: given %s, pointing at %j', (record, service, given, fields) => {
    const outcome = settings.referral('gbv', 'case')!.consent.check(data(record), service);
    expect(outcome).toEqual({ given, fields });
  });

  it('needs consent for services and disclosure to other organisations for CP referrals, disclosure for CP transfers', () => {
    const cp = settings.referral('cp', 'case')!;
    expect(cp.consent.check(data({ consent_for_services: true, disclosure_other_orgs: true }), 'health_medical_service').given).toBe(true);
    expect(cp.consent.check(data({ consent_for_services: true }), 'health_medical_service')).toEqual({ given: false, fields: ['disclosure_other_orgs'] });
    const transfer = settings.transfer('cp', 'case')!;
    expect(transfer.consent.check(data({ disclosure_other_orgs: true })).given).toBe(true);
    expect(transfer.consent.check(data({ consent_for_services: true }))).toEqual({ given: false, fields: ['disclosure_other_orgs'] });
    expect(transfer.previousOwnerKeepsAccess).toBe(false);
  });

  it('maps GBV cases to CP cases and back with non-identifying fields, setting the CP registration date', () => {
    const toCp = settings.crossModule('gbv', 'case', 'cp')!;
    expect(toCp.toRecordType).toBe('case');
    expect(toCp.fields.map((f) => f.source)).toEqual(['sex', 'age', 'marital_status']);
    expect(toCp.setValues(data({ sex: 'female' }))).toEqual({ registration_date: '2026-11-25' });
    expect(settings.crossModule('cp', 'case', 'gbv')?.fields.length).toBe(3);
    expect(settings.crossModuleTargets('gbv', 'incident')).toEqual([]);
    const identifying = new Set([...all.recordType('gbv', 'case').identifyingFields, ...all.recordType('cp', 'case').identifyingFields]);
    for (const { source, target } of [...toCp.fields, ...settings.crossModule('cp', 'case', 'gbv')!.fields]) {
      expect(identifying.has(source) || identifying.has(target)).toBe(false);
    }
  });

  it('loads GBV without CP: the cross-module entry then does not apply', () => {
    const gbvOnly = referralSettings(shipped('core', 'gbv'));
    expect(gbvOnly.referral('gbv', 'case')).toBeDefined();
    expect(gbvOnly.crossModuleTargets('gbv', 'case')).toEqual([]);
  });
});

type Json = Record<string, unknown>;
const LOOKUPS: Json[] = [
  { key: 'service', label: 'Service', values: [{ value: 'health', label: 'Health' }, { value: 'legal', label: 'Legal' }] },
  { key: 'sex', label: 'Sex', values: [{ value: 'f', label: 'F' }, { value: 'm', label: 'M' }] },
];
const FIELDS: Json[] = [
  { key: 'name', type: 'text', label: 'Name', identifying: true },
  { key: 'sex', type: 'select', label: 'Sex', lookup: 'sex' },
  { key: 'age', type: 'number', label: 'Age' },
  { key: 'consent', type: 'yes_no', label: 'Consent' },
  { key: 'consent_health', type: 'tick_box', label: 'Consent to share with health' },
];
const OTHER_MODULE = { key: 'o', label: 'Other', recordTypes: ['file'] };
const OTHER_TYPE = { key: 'file', module: 'o', label: 'File', formGroups: [{ key: 'main', label: 'Main' }] };
const OTHER_FORM = makeForm(
  [
    { key: 'sex', type: 'select', label: 'Sex', lookup: 'sex' },
    { key: 'age', type: 'text', label: 'Age as text' },
    { key: 'name', type: 'text', label: 'Name', identifying: true },
    { key: 'opened', type: 'date', label: 'Opened' },
  ],
  { key: 'other_form', module: 'o', recordType: 'file' },
);
const REFERRALS = { case: { serviceLookup: 'service', sharedForms: ['main_form'], consent: { rule: { '==': [{ var: 'record.consent' }, true] }, services: { health: 'consent_health' } } } };
const CROSS = { o: { from: 'case', recordType: 'file', fields: [{ source: 'sex', target: 'sex' }], set: [{ target: 'opened', value: { var: 'today' } }] } };

function spec(module: Json): BundleSpec {
  return {
    fields: FIELDS,
    lookups: LOOKUPS,
    modules: [{ key: 'm', label: 'Module', recordTypes: ['case'], ...module }, OTHER_MODULE],
    recordTypes: [{ key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }] }, OTHER_TYPE],
    forms: [OTHER_FORM],
  };
}
const issuesOf = (module: Json): string[] => loadIssues(makeBundle(spec(module))).map((i) => `${i.code} ${i.file}#${i.pointer}`);
const FILE = 'modules/m.json';

describe('checks of referrals, transfers and crossModule', () => {
  it('accepts a valid module', () => {
    expect(issuesOf({ referrals: REFERRALS, transfers: { case: { consent: { rule: true } } }, crossModule: CROSS })).toEqual([]);
  });

  it.each<[string, Json, string[]]>([
    ['an unknown service lookup', { referrals: { case: { ...REFERRALS.case, serviceLookup: 'nope', consent: undefined } } }, [`unknown_lookup ${FILE}#/referrals/case/serviceLookup`]],
    ['an unknown shared form', { referrals: { case: { ...REFERRALS.case, sharedForms: ['main_form', 'ghost'] } } }, [`unknown_form ${FILE}#/referrals/case/sharedForms/1`]],
    ['a service not in the lookup', { referrals: { case: { ...REFERRALS.case, consent: { services: { food: 'consent_health' } } } } }, [`unknown_service ${FILE}#/referrals/case/consent/services/food`]],
    ['a consent field that is not yes/no', { referrals: { case: { ...REFERRALS.case, consent: { services: { health: 'age' } } } } }, [`invalid_consent_field ${FILE}#/referrals/case/consent/services/health`]],
    ['a consent field that does not exist', { referrals: { case: { ...REFERRALS.case, consent: { services: { legal: 'consent_legal' } } } } }, [`unknown_field ${FILE}#/referrals/case/consent/services/legal`]],
    ['consent logic reading an unknown field', { referrals: { case: { ...REFERRALS.case, consent: { rule: { var: 'record.agreed' } } } } }, [`unknown_var_field ${FILE}#/referrals/case/consent/rule/var`]],
    ['a record type the module does not list', { referrals: { incident: REFERRALS.case } }, [`unknown_record_type ${FILE}#/referrals/incident`]],
    ['a transfer consent with a bad operator', { transfers: { case: { consent: { rule: { method: ['x', 'y'] } } } } }, [`unknown_operator ${FILE}#/transfers/case/consent/rule/method`]],
    ['a cross-module source without referrals', { crossModule: CROSS }, [`not_referable ${FILE}#/crossModule/o/from`]],
    ['an unknown target record type', { referrals: REFERRALS, crossModule: { o: { ...CROSS.o, recordType: 'case' } } }, [`unknown_record_type ${FILE}#/crossModule/o/recordType`]],
    ['fields of different types', { referrals: REFERRALS, crossModule: { o: { ...CROSS.o, fields: [{ source: 'age', target: 'age' }] } } }, [`field_type_mismatch ${FILE}#/crossModule/o/fields/0`]],
    ['an identifying field', { referrals: REFERRALS, crossModule: { o: { ...CROSS.o, fields: [{ source: 'name', target: 'name' }] } } }, [`identifying_in_cross_module ${FILE}#/crossModule/o/fields/0`]],
    ['an unknown target field', { referrals: REFERRALS, crossModule: { o: { ...CROSS.o, fields: [{ source: 'sex', target: 'gender' }] } } }, [`unknown_field ${FILE}#/crossModule/o/fields/0/target`]],
    ['a set value reading an unknown field', { referrals: REFERRALS, crossModule: { o: { ...CROSS.o, set: [{ target: 'opened', value: { var: 'record.when' } }] } } }, [`unknown_var_field ${FILE}#/crossModule/o/set/0/value/var`]],
    ['a cross-module entry to its own module', { referrals: REFERRALS, crossModule: { m: CROSS.o } }, [`unknown_module ${FILE}#/crossModule/m`]],
  ])('reports %s', (_name, module, expected) => {
    expect(issuesOf(module)).toEqual(expected);
  });

  it('compiles a valid module into settings', () => {
    const compiled = compileOrThrow(makeBundle(spec({ referrals: REFERRALS, crossModule: CROSS })));
    const s = referralSettings(compiled);
    expect(referralSettings(compiled)).toBe(s);
    expect(s.referral('m', 'case')?.services).toEqual(['health', 'legal']);
    expect(s.referral('m', 'case')?.consent.fieldsFor('health')).toEqual(['consent', 'consent_health']);
    expect(s.crossModule('m', 'case', 'o')?.setValues(data({}))).toEqual({ opened: '2026-11-25' });
    expect(s.transfer('m', 'case')).toBeUndefined();
  });
});

describe('fields of a record shared through a referral', () => {
  const partner: AbilityUser = { id: 'p1', username: 'partner', agency: 'agency_b', groups: [], roles: ['gbv_referral_partner'] };
  const caseworker: AbilityUser = { id: 'c1', username: 'worker', agency: 'agency_a', groups: [], roles: ['gbv_caseworker'] };
  const facts = (extra: Partial<RecordFacts> = {}): RecordFacts => ({ module: 'gbv', recordType: 'case', ownerId: 'c1', ownerAgency: 'agency_a', ownerGroups: [], sharedWith: ['p1'], ...extra });

  it('narrows a partner to the forms the referral shares', () => {
    const ability = buildAbility(all, partner);
    const full = ability.readableFields('gbv', 'case', facts());
    expect(full.has('action_plan_section')).toBe(true);
    const narrowed = ability.readableFields('gbv', 'case', facts({ sharedForms: { p1: ['gbv_survivor_information'] } }));
    expect(narrowed.has('sex')).toBe(true);
    expect(narrowed.has('action_plan_section')).toBe(false);
    expect(narrowed.has('action_plan_section.service_type')).toBe(false);
    expect(ability.readableFields('gbv', 'case', facts({ sharedForms: { p1: [] } })).size).toBe(0);
    // Another user's entry does not concern this one.
    expect(ability.readableFields('gbv', 'case', facts({ sharedForms: { x9: [] } }))).toBe(full);
    // Still never more than the role opens.
    expect(ability.readableFields('gbv', 'case', facts({ sharedForms: { p1: ['safety_plan', 'gbv_survivor_information'] } })).has('safety_plan_needed')).toBe(false);
  });

  it('does not narrow what the user reaches otherwise (their own records)', () => {
    const ability = buildAbility(all, caseworker);
    const own = facts({ sharedWith: ['c1'], sharedForms: { c1: ['gbv_survivor_information'] } });
    expect(ability.readableFields('gbv', 'case', own).has('safety_plan_needed')).toBe(ability.readableFields('gbv', 'case', facts()).has('safety_plan_needed'));
    const someoneElses = facts({ ownerId: 'c2', sharedWith: ['c1'], sharedForms: { c1: ['gbv_survivor_information'] } });
    const readable = ability.readableFields('gbv', 'case', someoneElses);
    expect(readable.has('sex')).toBe(true);
    expect([...readable].every((path) => all.recordType('gbv', 'case').field(path)?.form === 'gbv_survivor_information')).toBe(true);
  });
});
