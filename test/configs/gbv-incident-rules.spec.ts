/**
 * The GBV bundle's own logic, run through the engine exactly as the server runs it (no database): the GBVIMS
 * classification tool, the derived incident fields of the GBVIMS statistics, and the complete fixture.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { compileBundles, loadBundles, type CompiledRecordType, type ProcessContext } from '../../engine/index.js';
import { readBundleDir } from '../../modules/config/bundle-files.js';

const ctx: ProcessContext = { user: { id: 'u1', agency: 'agency_a', roles: ['gbv_caseworker'], groups: [] }, today: '2026-11-25', now: '2026-11-25T10:00:00Z' };
let incident: CompiledRecordType;
let gbvCase: CompiledRecordType;

beforeAll(async () => {
  const result = loadBundles([await readBundleDir('configs/core'), await readBundleDir('configs/gbv')]);
  expect(result.issues).toEqual([]);
  const compiled = compileBundles(result.bundles!);
  incident = compiled.recordType('gbv', 'incident');
  gbvCase = compiled.recordType('gbv', 'case');
});

const questions = [
  'classification_penetration',
  'classification_unwanted_sexual_contact',
  'classification_physical_assault',
  'classification_forced_marriage',
  'classification_denial_of_resources',
  'classification_psychological_abuse',
] as const;

/** Answers "no" to every question before the `yes` one and "yes" to it (or "no" to all). */
function answers(yesAt: number | null): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  questions.forEach((q, i) => {
    if (yesAt === null || i <= yesAt) out[q] = i === yesAt;
  });
  return out;
}

describe('GBVIMS classification tool', () => {
  it.each([
    [0, 'rape'],
    [1, 'sexual_assault'],
    [2, 'physical_assault'],
    [3, 'forced_marriage'],
    [4, 'denial_of_resources_opportunities_or_services'],
    [5, 'psychological_emotional_abuse'],
    [null, 'non-gbv'],
  ] as const)('yes at question %p classifies as %s', (yesAt, expected) => {
    const { data, issues } = incident.process(answers(yesAt), ctx);
    expect(issues).toEqual([]);
    expect(data.gbv_sexual_violence_type).toBe(expected);
  });

  it('first match wins when several answers are yes', () => {
    const { data } = incident.process({ classification_penetration: false, classification_unwanted_sexual_contact: true, classification_physical_assault: true }, ctx);
    expect(data.gbv_sexual_violence_type).toBe('sexual_assault');
  });

  it('leaves the type open while the answers so far are all no', () => {
    const { data, issues } = incident.process({ classification_penetration: false, classification_unwanted_sexual_contact: false }, ctx);
    expect(issues).toEqual([]);
    expect(data.gbv_sexual_violence_type ?? null).toBeNull();
  });

  it('refuses a client-sent type that differs from the classification', () => {
    const { issues } = incident.process({ ...answers(0), gbv_sexual_violence_type: 'physical_assault' }, ctx);
    expect(issues).toEqual([expect.objectContaining({ code: 'computed_mismatch', path: '/gbv_sexual_violence_type' })]);
  });

  it('accepts a matching client-sent type', () => {
    const { issues } = incident.process({ ...answers(0), gbv_sexual_violence_type: 'rape' }, ctx);
    expect(issues).toEqual([]);
  });

  it('lets a caseworker set the type directly when no question is answered', () => {
    const { data, issues } = incident.process({ gbv_sexual_violence_type: 'forced_marriage' }, ctx);
    expect(issues).toEqual([]);
    expect(data.gbv_sexual_violence_type).toBe('forced_marriage');
  });

  it('refuses a type outside the lookup', () => {
    const { issues } = incident.process({ gbv_sexual_violence_type: 'robbery' }, ctx);
    expect(issues).toEqual([expect.objectContaining({ code: 'not_an_option', path: '/gbv_sexual_violence_type' })]);
  });
});

describe('derived incident fields', () => {
  it.each([
    ['2026-01-10', '2026-01-10', '0_3_days'],
    ['2026-01-10', '2026-01-13', '0_3_days'],
    ['2026-01-10', '2026-01-14', '4_5_days'],
    ['2026-01-10', '2026-01-15', '4_5_days'],
    ['2026-01-10', '2026-01-16', '6_14_days'],
    ['2026-01-10', '2026-01-24', '6_14_days'],
    ['2026-01-10', '2026-01-25', '2_weeks_1_month'],
    ['2026-01-10', '2026-02-09', '2_weeks_1_month'],
    ['2026-01-10', '2026-02-10', 'over_1_month'],
  ])('elapsed reporting time from %s to %s is %s', (incidentDate, reported, band) => {
    const { data, issues } = incident.process({ incident_date: incidentDate, date_of_first_report: reported }, ctx);
    expect(issues).toEqual([]);
    expect(data.elapsed_reporting_time).toBe(band);
    expect(data.incident_date_derived).toBe(incidentDate);
  });

  it('has no elapsed time while a date is missing', () => {
    const { data } = incident.process({ incident_date: '2026-01-10' }, ctx);
    expect(data.elapsed_reporting_time ?? null).toBeNull();
  });

  it('refuses a first report before the incident', () => {
    const { issues } = incident.process({ incident_date: '2026-01-10', date_of_first_report: '2026-01-09' }, ctx);
    expect(issues).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'rule_failed', path: '/date_of_first_report' })]));
  });

  const perpetrator = (relationship = 'unknown', primary = 'primary') => ({ _id: crypto.randomUUID(), primary_perpetrator: primary, perpetrator_sex: 'male', perpetrator_relationship: relationship });

  it.each([
    [0, null],
    [1, 'equal_to_1'],
    [2, 'equal_to_2'],
    [3, 'equal_to_3'],
    [5, 'more_than_3'],
  ])('%i perpetrator rows count as %s', (n, expected) => {
    const rows = Array.from({ length: n }, (_, i) => perpetrator('unknown', i === 0 ? 'primary' : 'secondary'));
    const { data, issues } = incident.process(n ? { alleged_perpetrator: rows } : {}, ctx);
    expect(issues).toEqual([]);
    expect(data.number_of_perpetrators ?? null).toBe(expected);
  });

  it.each([
    ['intimate partner violence', { ...answers(2), alleged_perpetrator: [perpetrator('intimate_partner_former_partner')] }, ['intimate_partner_violence']],
    ['child sexual abuse', { ...answers(0), age: 15 }, ['child_sexual_abuse']],
    ['not child sexual abuse at 18', { ...answers(0), age: 18 }, []],
    ['early marriage', { ...answers(3), age: 16 }, ['early_marriage']],
    ['possible sexual exploitation', { ...answers(1), age: 30, goods_money_exchanged: true }, ['possible_sexual_exploitation']],
    ['possible sexual slavery', { ...answers(0), age: 30, abduction_status_time_of_incident: 'trafficked' }, ['possible_sexual_slavery']],
    ['harmful traditional practice', { ...answers(2), harmful_traditional_practice: 'type_of_practice_1' }, ['harmful_traditional_practice']],
    ['no context for non-GBV', { ...answers(null), harmful_traditional_practice: 'type_of_practice_1' }, []],
  ])('case context: %s', (_name, input, expected) => {
    const { data, issues } = incident.process(input, ctx);
    expect(issues).toEqual([]);
    expect([...((data.gbv_case_context as string[] | null) ?? [])].sort()).toEqual([...expected].sort());
  });
});

describe('complete fixture and identifying fields', () => {
  it('validates the complete incident fixture without issues and with its computed values', () => {
    const fixture = JSON.parse(fs.readFileSync(path.resolve('benchmarks/fixtures/gbv-incident-complete.json'), 'utf8'));
    const { data, issues } = incident.process(fixture, ctx);
    expect(issues).toEqual([]);
    for (const key of ['gbv_sexual_violence_type', 'elapsed_reporting_time', 'number_of_perpetrators', 'gbv_case_context', 'incident_date_derived']) {
      expect(data[key]).toEqual(fixture[key]);
    }
  });

  it('marks names, contacts and exact dates of birth identifying, and pseudonymous codes not', () => {
    expect(gbvCase.identifyingFields).toEqual(expect.arrayContaining(['name', 'date_of_birth']));
    expect(gbvCase.identifyingFields).not.toContain('survivor_code_no');
    expect(incident.identifyingFields).toEqual(expect.arrayContaining(['date_of_birth', 'incident_description']));
    expect(incident.identifyingFields).not.toContain('survivor_code');
  });

  it('imports the misspelt Primero keys through their aliases', () => {
    const { data, issues } = gbvCase.process({ maritial_status: 'single', assssment_survivor_occupation: 'x', closure_tranferred_organization: true, staff_enowed_enough_time: 'yes' }, ctx, { acceptAliases: true });
    expect(issues).toEqual([]);
    expect(data).toMatchObject({ marital_status: 'single', assessment_survivor_occupation: 'x', closure_transferred_organization: true, staff_allowed_enough_time: 'yes' });
  });
});
