/**
 * GOLDEN test of the GBVIMS Incident Recorder export (configs/gbv/exports/incident_recorder.json), run
 * through the engine exactly as the server runs it, without a database: a fixed set of incidents, every
 * cell of every row (42 columns), the Menu Data sheet and the header rows in English and French. Then
 * each transformation on its own, the way back (legacy spreadsheets) and throughput.
 *
 * Deviations from Primero, on purpose: columns 26-31 count and describe PRIMARY perpetrators only;
 * DATE OF BIRTH holds the year only; text that a spreadsheet would evaluate starts with a quote.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  compileBundles,
  compileExportMapping,
  evaluateRule,
  loadBundles,
  type Cell,
  type CompiledExport,
  type CompiledRecordType,
  type ExportMeta,
  type ProcessContext,
} from '../../engine/index.js';
import { readBundleDir } from '../../modules/config/bundle-files.js';

const ctx: ProcessContext = { user: { id: 'u1', agency: 'agency_a', roles: ['gbv_caseworker'], groups: [] }, today: '2026-11-25', now: '2026-11-25T10:00:00Z' };
let incident: CompiledRecordType;
let ir: CompiledExport;

beforeAll(async () => {
  const result = loadBundles([await readBundleDir('configs/core'), await readBundleDir('configs/gbv')]);
  expect(result.issues).toEqual([]);
  const compiled = compileBundles(result.bundles!);
  incident = compiled.recordType('gbv', 'incident');
  ir = compileExportMapping(compiled, 'incident_recorder');
});

let rowIds = 0;
const id = (): string => `row-${(rowIds += 1)}`;
type Json = Record<string, unknown>;
const perp = (primary: 'primary' | 'secondary', fields: Json): Json => ({ _id: id(), primary_perpetrator: primary, ...fields });
const rows = (...items: Json[]): Json[] => items.map((item) => ({ _id: id(), ...item }));

const GRACE: ExportMeta = { owner: { username: 'grace', code: 'CW07' }, agency: { code: 'AG-KE-01', name: 'Partner NGO' }, shortId: 'a1b2c3d', displayId: 'INC-a1b2c3d' };
const JOSEPH: ExportMeta = { owner: { username: 'joseph', code: 'CW12' }, agency: { code: 'AG-KE-02', name: 'Health partner' } };
const MALLORY: ExportMeta = { owner: { username: 'mallory', code: '=1+2' }, agency: { code: '-AG', name: 'Agency' } };

interface Golden {
  readonly name: string;
  readonly data: Json;
  readonly meta?: ExportMeta;
  /** Issues the bundle's own rules report on the data (the export must still be right). */
  readonly issues?: readonly string[];
  /** The row, or null when `include` leaves the incident out. */
  readonly row: readonly Cell[] | null;
}

const INCIDENTS: readonly Golden[] = [
  {
    name: 'an adult survivor with everything filled in',
    meta: GRACE,
    data: {
      incidentid_ir: 'IR-2026-001', survivor_code: 'SV-001', consent_reporting: true,
      date_of_first_report: '2026-03-09', incident_date: '2026-03-02',
      incident_description: 'Identifying account that must never reach the export.',
      displacement_incident: 'post_displacement', incident_timeofday: 'evening_night', incident_location_type: 'clients_home',
      incident_location: 'XX01D02C01', incident_camp_town: 'Camp/Town 1.2.1',
      gbv_sexual_violence_type: 'physical_assault', harmful_traditional_practice: 'no', goods_money_exchanged: false,
      abduction_status_time_of_incident: 'none', gbv_reported_elsewhere: 'gbvims-org', gbv_previous_incidents: true,
      date_of_birth: '1990-04-02', age: 35, sex: 'female', ethnicity: 'ethnicity_2', country_of_origin: 'ss',
      marital_status: 'married_cohabitating', displacement_status: 'idp', disability_type: 'physical_disability', unaccompanied_separated_status: 'no',
      alleged_perpetrator: [
        perp('primary', { perpetrator_sex: 'male', former_perpetrator: true, age_group: '26_40', perpetrator_relationship: 'intimate_partner_former_partner', perpetrator_occupation: 'unemployed' }),
        perp('secondary', { perpetrator_sex: 'female', former_perpetrator: false, age_group: '41_60', perpetrator_relationship: 'family_other_than_spouse_or_caregiver', perpetrator_occupation: 'occupation_3' }),
      ],
      service_referred_from: ['self_referral', 'health_medical_service'],
      service_safehouse_referral: 'referral_declined_by_survivor',
      health_medical_referral_subform_section: rows(
        { service_medical_referral: 'referred', service_medical_provider: 'Clinic (identifying)' },
        { service_medical_referral: 'service_provided_by_your_agency' },
      ),
      psychosocial_counseling_services_subform_section: rows({ service_psycho_referral: 'service_provided_by_your_agency' }),
      legal_assistance_services_subform_section: rows(
        { service_legal_referral: 'referred', pursue_legal_action: 'no' },
        { service_legal_referral: 'service_unavailable', pursue_legal_action: 'yes' },
      ),
      police_or_other_type_of_security_services_subform_section: rows({ service_police_referral: 'service_not_applicable' }),
      livelihoods_services_subform_section: rows({ service_livelihoods_referral: 'services_already_received_from_another_agency' }),
    },
    row: [
      'IR-2026-001', 'SV-001', 'CW07', '2026-03-09', '2026-03-02', 1990, 'F', 'Ethnicity 2', 'South Sudan', 'Married/Cohabitating',
      'IDP', 'Physical disability', 'No', 'Post-displacement', 'Evening / night', "Client's home", 'County 1', 'District 1.2', 'Camp/Town 1.2.1', 'Physical assault',
      'No', 'No', 'None', 'Yes – GBVIMS organisation / agency', 'Yes', 1, 'M', 'Yes', 'Age 26 - 40', 'Intimate partner / former partner',
      'Unemployed', 'Self-referral / first point of contact & Health / medical services', 'Referral declined by survivor', 'Referred', 'Service provided by your agency', 'Yes', 'Referred', 'Service not applicable', 'Services already received from another agency', null,
      'Yes', 'AG-KE-01',
    ],
  },
  {
    name: 'four primary perpetrators of both sexes (and a secondary one who is ignored)',
    meta: JOSEPH,
    data: {
      incidentid_ir: 'IR-2026-002', survivor_code: 'SV-002', consent_reporting: true,
      date_of_first_report: '2026-04-01', incident_date: '2026-03-28',
      displacement_incident: 'during_refuge', incident_timeofday: 'morning', incident_location_type: 'road', incident_location: 'XX02D01',
      gbv_sexual_violence_type: 'rape', harmful_traditional_practice: 'no', goods_money_exchanged: false,
      abduction_status_time_of_incident: 'trafficked', gbv_reported_elsewhere: 'no', gbv_previous_incidents: false,
      date_of_birth: '2001-11-30', age: 24, sex: 'male', ethnicity: 'ethnicity_1', country_of_origin: 'sd',
      marital_status: 'single', displacement_status: 'refugee', disability_type: 'no', unaccompanied_separated_status: 'no',
      // Imported from an old Incident Recorder; loses against more than one primary perpetrator recorded.
      number_of_individual_perpetrators_from_ir: 2,
      alleged_perpetrator: [
        perp('primary', { perpetrator_sex: 'male', former_perpetrator: false, age_group: '12_17', perpetrator_relationship: 'schoolmate', perpetrator_occupation: 'occupation_2' }),
        perp('primary', { perpetrator_sex: 'male', former_perpetrator: false, age_group: '18_25', perpetrator_relationship: 'no_relation', perpetrator_occupation: 'unknown' }),
        perp('secondary', { perpetrator_sex: 'female', former_perpetrator: true, age_group: '41_60', perpetrator_relationship: 'family_other_than_spouse_or_caregiver' }),
        perp('primary', { perpetrator_sex: 'female', former_perpetrator: false, age_group: '18_25', perpetrator_relationship: 'no_relation' }),
        perp('primary', { perpetrator_sex: 'male', age_group: 'unknown', age_type: 'minor', perpetrator_relationship: 'unknown' }),
      ],
      service_referred_from: ['police_other_service'],
      service_safehouse_referral: 'service_unavailable',
      health_medical_referral_subform_section: rows({ service_medical_referral: 'referred' }),
    },
    row: [
      'IR-2026-002', 'SV-002', 'CW12', '2026-04-01', '2026-03-28', 2001, 'M', 'Ethnicity 1', 'Sudan', 'Single',
      'Refugee', 'No', 'No', 'During refuge', 'Morning', 'Road', 'County 2', 'District 2.1', null, 'Rape',
      'No', 'No', 'Trafficked', 'No', 'No', 'More than 3', 'M and F', 'No', 'Age 12 - 17', 'Schoolmate',
      'Occupation 2', 'Police / other security actor', 'Service unavailable', 'Referred', null, null, null, null, null, null,
      'Yes', 'AG-KE-02',
    ],
  },
  {
    name: 'secondary perpetrators only',
    meta: JOSEPH,
    issues: ['rule_failed@/alleged_perpetrator'],
    data: {
      incidentid_ir: 'IR-2026-003', survivor_code: 'SV-003', consent_reporting: true,
      date_of_first_report: '2026-05-10', incident_date: '2026-05-01',
      displacement_incident: 'not_displaced', incident_timeofday: 'unknown', incident_location_type: 'market',
      incident_location: 'XX03D02C01', incident_camp_town: 'Market square',
      gbv_sexual_violence_type: 'psychological_emotional_abuse', harmful_traditional_practice: 'type_of_practice_1', goods_money_exchanged: true,
      abduction_status_time_of_incident: 'none', gbv_reported_elsewhere: 'non-gbvims-org',
      sex: 'other', ethnicity: 'other', country_of_origin: 'ke', marital_status: 'widowed', displacement_status: 'resident', disability_type: 'both',
      alleged_perpetrator: [
        perp('secondary', { perpetrator_sex: 'male', former_perpetrator: true, age_group: '26_40', perpetrator_relationship: 'no_relation' }),
        perp('secondary', { perpetrator_sex: 'female', age_group: '18_25' }),
      ],
      service_referred_from: ['teacher_school_official', 'community_or_camp_leader'],
      legal_assistance_services_subform_section: rows({ service_legal_referral: 'referral_declined_by_survivor', pursue_legal_action: 'no' }),
    },
    row: [
      'IR-2026-003', 'SV-003', 'CW12', '2026-05-10', '2026-05-01', null, null, 'Other', 'Kenya', 'Widowed',
      'Resident', 'Both mental and physical disability', null, 'Not displaced / home country', 'Unknown / not applicable', 'Market', 'County 3', 'District 3.2', 'Market square', 'Psychological / emotional abuse',
      'Type of practice 1', 'Yes', 'None', 'Yes – non-GBVIMS organisation / agency', null, 0, null, null, null, null,
      null, 'Teacher / school official & Community or camp leader', null, null, null, 'No', 'Referral declined by survivor', null, null, null,
      'Yes', 'AG-KE-02',
    ],
  },
  {
    name: 'no dates, no perpetrators, no owner, a county only',
    data: {
      incidentid_ir: 'IR-2026-004', survivor_code: 'SV-004', consent_reporting: true, sex: 'female', incident_location: 'XX01',
      gbv_sexual_violence_type: 'denial_of_resources_opportunities_or_services',
      legal_assistance_services_subform_section: rows({ pursue_legal_action: 'undecided' }),
    },
    row: [
      'IR-2026-004', 'SV-004', null, null, null, null, 'F', null, null, null,
      null, null, null, null, null, null, 'County 1', null, null, 'Denial of resources, opportunities or services',
      null, null, null, null, null, null, null, null, null, null,
      null, null, null, null, null, 'Undecided', null, null, null, null,
      'Yes', null,
    ],
  },
  {
    name: 'a child survivor, with a perpetrator count imported from an old Incident Recorder',
    meta: GRACE,
    data: {
      incidentid_ir: 'IR-2026-005', survivor_code: 'SV-005', consent_reporting: true,
      date_of_first_report: '2026-02-20', incident_date: '2026-02-14',
      displacement_incident: 'during_return_transit', incident_timeofday: 'afternoon', incident_location_type: 'school',
      incident_location: 'XX02D02C02', incident_camp_town: 'Camp/Town 2.2.2',
      gbv_sexual_violence_type: 'sexual_assault', harmful_traditional_practice: 'no', goods_money_exchanged: false,
      abduction_status_time_of_incident: 'none', gbv_reported_elsewhere: 'no', gbv_previous_incidents: false,
      date_of_birth: '2013-01-20', age: 13, sex: 'female', ethnicity: 'ethnicity_3', country_of_origin: 'so',
      marital_status: 'single', displacement_status: 'returnee', disability_type: 'mental_disability', unaccompanied_separated_status: 'unaccompanied_minor',
      number_of_individual_perpetrators_from_ir: 2,
      alleged_perpetrator: [
        perp('primary', { perpetrator_sex: 'female', age_group: 'unknown', age_type: 'adult', perpetrator_relationship: 'teacher_school_official', perpetrator_occupation: 'other' }),
      ],
      service_referred_from: ['teacher_school_official'],
      service_safehouse_referral: 'service_not_applicable',
      health_medical_referral_subform_section: rows({ service_medical_referral: 'referred' }),
      psychosocial_counseling_services_subform_section: rows({ service_psycho_referral: 'referred' }),
      child_protection_services_subform_section: rows({ service_protection_referral: 'referred', service_protection_referral_notes: 'Identifying notes.' }),
    },
    row: [
      'IR-2026-005', 'SV-005', 'CW07', '2026-02-20', '2026-02-14', 2013, 'F', 'Ethnicity 3', 'Somalia', 'Single',
      'Returnee', 'Mental disability', 'Unaccompanied minor', 'During return / transit', 'Afternoon', 'School', 'County 2', 'District 2.2', 'Camp/Town 2.2.2', 'Sexual assault',
      'No', 'No', 'None', 'No', 'No', 2, 'F', null, 'Unknown', 'Teacher / school official',
      'Other', 'Teacher / school official', 'Service not applicable', 'Referred', 'Referred', null, null, null, null, 'Referred',
      'Yes', 'AG-KE-01',
    ],
  },
  {
    name: 'free text and codes that a spreadsheet would evaluate',
    meta: MALLORY,
    data: {
      incidentid_ir: '@SUM(1+1)', survivor_code: '+SV-006', consent_reporting: true,
      incident_timeofday: 'evening_night', incident_location: 'XX01D01',
      incident_camp_town: '=HYPERLINK("http://evil.example","Click")',
      alleged_perpetrator: [
        perp('primary', { perpetrator_sex: 'male', former_perpetrator: true, age_group: '61_older', perpetrator_relationship: 'no_relation', perpetrator_occupation: 'unknown' }),
      ],
    },
    row: [
      "'@SUM(1+1)", "'+SV-006", "'=1+2", null, null, null, null, null, null, null,
      null, null, null, null, 'Evening / night', null, 'County 1', 'District 1.1', '\'=HYPERLINK("http://evil.example","Click")', null,
      null, null, null, null, null, 1, 'M', 'Yes', '61 & Older', 'No relation',
      'Unknown', null, null, null, null, null, null, null, null, null,
      'Yes', "'-AG",
    ],
  },
  {
    name: 'no consent to share: left out',
    meta: GRACE,
    data: { incidentid_ir: 'IR-2026-007', survivor_code: 'SV-007', consent_reporting: false, sex: 'female', incident_location: 'XX03' },
    row: null,
  },
  {
    name: 'consent not recorded: left out',
    meta: GRACE,
    data: { incidentid_ir: 'IR-2026-008', survivor_code: 'SV-008', sex: 'male', ethnicity: 'ethnicity_5' },
    row: null,
  },
];

const HEADERS_EN = [
  'INCIDENT ID', 'SURVIVOR CODE', 'CASE MANAGER CODE', 'DATE OF INTERVIEW', 'DATE OF INCIDENT', 'DATE OF BIRTH', 'SEX', 'ETHNICITY',
  'COUNTRY OF ORIGIN', 'CIVIL / MARITAL STATUS', 'DISPLACEMENT STATUS AT REPORT', 'PERSON WITH DISABILITY?', 'UNACCOMPANIED OR SEPARATED CHILD?',
  'STAGE OF DISPLACEMENT AT INCIDENT', 'INCIDENT TIME OF DAY', 'INCIDENT LOCATION', 'INCIDENT COUNTY', 'INCIDENT DISTRICT', 'INCIDENT CAMP / TOWN',
  'GBV TYPE', 'HARMFUL TRADITIONAL PRACTICE', 'MONEY, GOODS, BENEFITS AND / OR SERVICES EXCHANGED ?', 'TYPE OF ABDUCTION',
  'PREVIOUSLY REPORTED THIS INCIDENT?', 'PREVIOUS GBV INCIDENTS?', 'No. ALLEGED PRIMARY PERPETRATOR(S)', 'ALLEGED PERPETRATOR SEX',
  'PREVIOUS INCIDENT WITH THIS PERPETRATOR', 'ALLEGED PERPETRATOR AGE GROUP', 'ALLEGED PERPETRATOR - SURVIVOR RELATIONSHIP',
  'ALLEGED PERPETRATOR OCCUPATION', 'REFERRED TO YOU FROM?', 'SAFE HOUSE / SHELTER', 'HEALTH / MEDICAL SERVICES', 'PSYCHOSOCIAL SERVICES',
  'WANTS LEGAL ACTION?', 'LEGAL ASSISTANCE SERVICES', 'POLICE / OTHER SECURITY ACTOR', 'LIVELIHOODS PROGRAM',
  'CHILD PROTECTION SERVICES / EDUCATION SERVICES', 'CONSENT GIVEN', 'REPORTING AGENCY CODE',
];
const HEADERS_FR = [
  "ID DE L'INCIDENT", 'CODE DU/DE LA SURVIVANT(E)', 'CODE DU GESTIONNAIRE DE CAS', "DATE DE L'ENTRETIEN", "DATE DE L'INCIDENT", 'DATE DE NAISSANCE',
  'SEXE', 'ETHNIE', "PAYS D'ORIGINE", 'SITUATION CIVILE / MATRIMONIALE', 'STATUT DE DÉPLACEMENT AU MOMENT DU SIGNALEMENT', 'PERSONNE HANDICAPÉE ?',
  'ENFANT NON ACCOMPAGNÉ OU SÉPARÉ ?', "ÉTAPE DU DÉPLACEMENT AU MOMENT DE L'INCIDENT", "MOMENT DE LA JOURNÉE DE L'INCIDENT", "LIEU DE L'INCIDENT",
  "COMTÉ DE L'INCIDENT", "DISTRICT DE L'INCIDENT", "CAMP / VILLE DE L'INCIDENT", 'TYPE DE VBG', 'PRATIQUE TRADITIONNELLE NÉFASTE',
  'ARGENT, BIENS, AVANTAGES ET / OU SERVICES ÉCHANGÉS ?', "TYPE D'ENLÈVEMENT", 'INCIDENT DÉJÀ SIGNALÉ AILLEURS ?', 'INCIDENTS DE VBG ANTÉRIEURS ?',
  "NOMBRE D'AUTEUR(S) PRÉSUMÉ(S) PRINCIPAL(AUX)", "SEXE DE L'AUTEUR PRÉSUMÉ", 'INCIDENT ANTÉRIEUR AVEC CET AUTEUR', "TRANCHE D'ÂGE DE L'AUTEUR PRÉSUMÉ",
  "RELATION ENTRE L'AUTEUR PRÉSUMÉ ET LE/LA SURVIVANT(E)", "PROFESSION DE L'AUTEUR PRÉSUMÉ", 'ORIENTÉ(E) VERS VOUS PAR ?', 'MAISON SÛRE / ABRI',
  'SERVICES DE SANTÉ / MÉDICAUX', 'SERVICES PSYCHOSOCIAUX', 'SOUHAITE UNE ACTION EN JUSTICE ?', "SERVICES D'ASSISTANCE JURIDIQUE",
  'POLICE / AUTRE ACTEUR DE LA SÉCURITÉ', 'PROGRAMME DE MOYENS DE SUBSISTANCE', "SERVICES DE PROTECTION DE L'ENFANCE / SERVICES ÉDUCATIFS",
  'CONSENTEMENT DONNÉ', "CODE DE L'ORGANISATION DÉCLARANTE",
];

/** The incidents as stored: normalised and computed by the bundle, with the issues its rules report. */
function stored(golden: Golden): { data: Json; issues: string[] } {
  const { data, issues } = incident.process(golden.data, ctx);
  return { data, issues: issues.map((issue) => `${issue.code}@${issue.path}`) };
}

function exported(): Cell[][] {
  return INCIDENTS.flatMap((golden) => {
    const { data } = stored(golden);
    return ir.includes(data, golden.meta) ? [ir.row(data, golden.meta, 'en')] : [];
  });
}

describe('Incident Recorder: golden rows', () => {
  it('has the 42 columns of the Incident Recorder, in order, in English and French', () => {
    expect(ir.headers('en')).toEqual(HEADERS_EN);
    expect(ir.headers()).toEqual(HEADERS_EN);
    expect(ir.headers('fr')).toEqual(HEADERS_FR);
    expect(HEADERS_EN).toHaveLength(42);
    expect(ir.headers('ar')).toHaveLength(42);
    expect(new Set(ir.headers('ar')).size).toBe(42);
    expect([ir.label('fr'), ir.sheetLabel('incident_data', 'fr'), ir.sheetLabel('menu_data', 'fr')]).toEqual(['Incident Recorder du GBVIMS', 'Données des incidents', 'Données des menus']);
    expect([ir.sheetLabel('incident_data'), ir.sheetLabel('menu_data')]).toEqual(['Incident Data', 'Menu Data']);
  });

  it.each(INCIDENTS.map((golden) => [golden.name, golden] as const))('%s', (_name, golden) => {
    const { data, issues } = stored(golden);
    expect(issues).toEqual(golden.issues ?? []);
    expect(ir.includes(data, golden.meta)).toBe(golden.row !== null);
    if (golden.row === null) return;
    const row = ir.row(data, golden.meta, 'en');
    expect(row).toHaveLength(42);
    // Cell by cell, so that a failure names the column.
    expect(Object.fromEntries(row.map((cell, i) => [`${i + 1} ${HEADERS_EN[i]}`, cell]))).toEqual(
      Object.fromEntries(golden.row.map((cell, i) => [`${i + 1} ${HEADERS_EN[i]}`, cell])),
    );
  });

  it('leaves out the incidents without consent, keeps the others in order', () => {
    expect(exported().map((row) => row[0])).toEqual(['IR-2026-001', 'IR-2026-002', 'IR-2026-003', 'IR-2026-004', 'IR-2026-005', "'@SUM(1+1)"]);
  });

  it('never writes an identifying value', () => {
    const text = JSON.stringify(exported());
    for (const identifying of ['1990-04-02', '2013-01-20', 'Identifying account', 'Clinic (identifying)', 'Identifying notes.']) expect(text).not.toContain(identifying);
  });

  it('fills the Menu Data sheet with the distinct values written', () => {
    expect(ir.menuHeaders('en')).toEqual(['CASEWORKER CODE', 'ETHNICITY', 'INCIDENT LOCATION', 'INCIDENT COUNTY', 'INCIDENT DISTRICT', 'INCIDENT CAMP']);
    expect(ir.menuHeaders('fr')).toEqual(['CODE DU TRAVAILLEUR SOCIAL', 'ETHNIE', "LIEU DE L'INCIDENT", "COMTÉ DE L'INCIDENT", "DISTRICT DE L'INCIDENT", "CAMP DE L'INCIDENT"]);
    expect(ir.menuSheet).toEqual({ key: 'menu_data', maxValues: 50 });
    expect(ir.menuValues(exported())).toEqual([
      { from: 'case_manager_code', values: ['CW07', 'CW12', "'=1+2"], truncated: false },
      { from: 'ethnicity', values: ['Ethnicity 2', 'Ethnicity 1', 'Other', 'Ethnicity 3'], truncated: false },
      { from: 'location', values: ["Client's home", 'Road', 'Market', 'School'], truncated: false },
      { from: 'county', values: ['County 1', 'County 2', 'County 3'], truncated: false },
      { from: 'district', values: ['District 1.2', 'District 2.1', 'District 3.2', 'District 2.2', 'District 1.1'], truncated: false },
      { from: 'camp_town', values: ['Camp/Town 1.2.1', 'Market square', 'Camp/Town 2.2.2', '\'=HYPERLINK("http://evil.example","Click")'], truncated: false },
    ]);
  });

  it('writes labels and place names in French', () => {
    const { data } = stored(INCIDENTS[0] as Golden);
    expect(ir.row(data, GRACE, 'fr')).toEqual([
      'IR-2026-001', 'SV-001', 'CW07', '2026-03-09', '2026-03-02', 1990, 'F', 'Ethnie 2', 'Soudan du Sud', 'Marié(e)/En concubinage',
      'Personne déplacée interne (PDI)', 'Handicap physique', 'Non', 'Après le déplacement', 'Soir / nuit', 'Domicile du/de la client(e)', 'Comté 1', 'District 1.2', 'Camp/Town 1.2.1', 'Agression physique',
      'Non', 'Non', 'Aucun', 'Oui – organisation / agence membre du GBVIMS', 'Oui', 1, 'M', 'Oui', 'Age 26 - 40', 'Partenaire intime / ancien(ne) partenaire',
      'Sans emploi', 'Auto-référencement / premier point de contact & Services de santé / médicaux', 'Orientation refusée par la personne survivante', 'Orienté(e)', 'Service fourni par votre organisation', 'Oui', 'Orienté(e)', 'Service sans objet', "Services déjà reçus d'une autre organisation", null,
      'Oui', 'AG-KE-01',
    ]);
  });
});

describe('Incident Recorder: each transformation', () => {
  const row = (data: Json, meta?: ExportMeta): Cell[] => ir.row(incident.process(data, ctx).data, meta);
  const column = (key: string): number => ir.columns.findIndex((c) => c.key === key);
  const cell = (key: string, data: Json, meta?: ExportMeta): Cell => row(data, meta)[column(key)] as Cell;
  const primaries = (...sexes: (string | null)[]): Json => ({
    alleged_perpetrator: sexes.map((sex) => perp('primary', sex === null ? {} : { perpetrator_sex: sex })),
  });

  it.each([
    ['female', 'F'],
    ['male', 'M'],
    ['other', null],
    [null, null],
  ])('sex %s -> %j', (sex, expected) => {
    expect(cell('sex', sex === null ? {} : { sex })).toBe(expected);
  });

  it.each([
    ['1990-04-02', 1990],
    ['2013-12-31', 2013],
    [null, null],
  ])('date of birth %s -> year %j only', (dob, expected) => {
    expect(cell('date_of_birth', dob === null ? {} : { date_of_birth: dob })).toBe(expected);
  });

  it.each([
    ['morning', 'Morning'],
    ['afternoon', 'Afternoon'],
    ['evening_night', 'Evening / night'],
    ['unknown', 'Unknown / not applicable'],
  ])('time of day %s -> %s (without the parenthesised text)', (time, expected) => {
    expect(cell('time_of_day', { incident_timeofday: time })).toBe(expected);
  });

  it('time of day in French, without the parenthesised text', () => {
    const data = incident.process({ incident_timeofday: 'morning' }, ctx).data;
    expect(ir.row(data, undefined, 'fr')[column('time_of_day')]).toBe('Matin');
  });

  it.each([
    ['0_11', 'Age 0 - 11'],
    ['12_17', 'Age 12 - 17'],
    ['18_25', 'Age 18 - 25'],
    ['26_40', 'Age 26 - 40'],
    ['41_60', 'Age 41 - 60'],
    ['61_older', '61 & Older'],
    ['unknown', 'Unknown'],
  ])('perpetrator age group %s -> %s', (group, expected) => {
    expect(cell('perpetrator_age_group', { alleged_perpetrator: [perp('primary', { age_group: group })] })).toBe(expected);
  });

  it('perpetrator age group: the first PRIMARY perpetrator, not the first row', () => {
    expect(cell('perpetrator_age_group', { alleged_perpetrator: [perp('secondary', { age_group: '0_11' }), perp('primary', { age_group: '41_60' })] })).toBe('Age 41 - 60');
  });

  it('the lookup of perpetrator age groups has the canonical keys', () => {
    const field = incident.field('alleged_perpetrator.age_group');
    expect(field?.options).toEqual(['0_11', '12_17', '18_25', '26_40', '41_60', '61_older', 'unknown']);
  });

  it.each<[string, Json, Cell]>([
    ['no perpetrator rows: blank', {}, null],
    ['secondary only: 0', { alleged_perpetrator: [perp('secondary', {})] }, 0],
    ['one primary', primaries('male'), 1],
    ['three primaries', primaries('male', 'male', 'female'), 3],
    ['four primaries', primaries('male', 'male', 'female', null), 'More than 3'],
    ['primaries only are counted', { alleged_perpetrator: [perp('primary', {}), perp('secondary', {}), perp('secondary', {}), perp('secondary', {})] }, 1],
    ['imported number wins over one primary', { ...primaries('male'), number_of_individual_perpetrators_from_ir: 3 }, 3],
    ['imported number without rows', { number_of_individual_perpetrators_from_ir: 2 }, 2],
    ['imported number above 3', { number_of_individual_perpetrators_from_ir: 7 }, 'More than 3'],
    ['imported number loses against two primaries', { ...primaries('male', 'female'), number_of_individual_perpetrators_from_ir: 5 }, 2],
  ])('number of primary perpetrators, %s', (_name, data, expected) => {
    expect(cell('number_primary_perpetrators', data)).toBe(expected);
  });

  it.each<[string, Json, Cell]>([
    ['one male', primaries('male'), 'M'],
    ['two females', primaries('female', 'female'), 'F'],
    ['both sexes', primaries('female', 'male'), 'M and F'],
    ['sex unknown', primaries(null, 'other'), null],
    ['secondary female ignored', { alleged_perpetrator: [perp('primary', { perpetrator_sex: 'male' }), perp('secondary', { perpetrator_sex: 'female' })] }, 'M'],
    ['no primary', { alleged_perpetrator: [perp('secondary', { perpetrator_sex: 'female' })] }, null],
  ])('perpetrator sex, %s', (_name, data, expected) => {
    expect(cell('perpetrator_sex', data)).toBe(expected);
  });

  it.each<[string, Json, Cell]>([
    ['any primary yes', { alleged_perpetrator: [perp('primary', { former_perpetrator: false }), perp('primary', { former_perpetrator: true })] }, 'Yes'],
    ['all primaries no', { alleged_perpetrator: [perp('primary', { former_perpetrator: false }), perp('primary', { former_perpetrator: false })] }, 'No'],
    ['unanswered', { alleged_perpetrator: [perp('primary', {})] }, null],
    ['a secondary yes is ignored', { alleged_perpetrator: [perp('primary', { former_perpetrator: false }), perp('secondary', { former_perpetrator: true })] }, 'No'],
  ])('previous incident with this perpetrator, %s', (_name, data, expected) => {
    expect(cell('perpetrator_former', data)).toBe(expected);
  });

  it('relationship and occupation: the first primary perpetrator', () => {
    const data = { alleged_perpetrator: [perp('secondary', { perpetrator_relationship: 'no_relation', perpetrator_occupation: 'unemployed' }), perp('primary', { perpetrator_relationship: 'schoolmate', perpetrator_occupation: 'occupation_4' })] };
    expect([cell('perpetrator_relationship', data), cell('perpetrator_occupation', data)]).toEqual(['Schoolmate', 'Occupation 4']);
  });

  const legal = (...answers: (string | null)[]): Json => ({ legal_assistance_services_subform_section: rows(...answers.map((answer) => (answer === null ? {} : { pursue_legal_action: answer }))) });
  it.each<[string, Json, Cell]>([
    ['yes in any row', legal('no', 'undecided', 'yes'), 'Yes'],
    ['no before undecided', legal('undecided', 'no'), 'No'],
    ['undecided', legal(null, 'undecided'), 'Undecided'],
    ['unanswered', legal(null), null],
    ['no legal referral', {}, null],
  ])('wants legal action, %s', (_name, data, expected) => {
    expect(cell('wants_legal_action', data)).toBe(expected);
  });

  it.each([
    ['medical_referral', 'health_medical_referral_subform_section', 'service_medical_referral'],
    ['psycho_referral', 'psychosocial_counseling_services_subform_section', 'service_psycho_referral'],
    ['legal_referral', 'legal_assistance_services_subform_section', 'service_legal_referral'],
    ['police_referral', 'police_or_other_type_of_security_services_subform_section', 'service_police_referral'],
    ['livelihoods_referral', 'livelihoods_services_subform_section', 'service_livelihoods_referral'],
    ['protection_referral', 'child_protection_services_subform_section', 'service_protection_referral'],
  ])('%s: the first row of %s', (key, subform, field) => {
    expect(cell(key, { [subform]: rows({ [field]: 'service_unavailable' }, { [field]: 'referred' }) })).toBe('Service unavailable');
    expect(cell(key, { [subform]: rows({}, { [field]: 'referred' }) })).toBeNull();
    expect(cell(key, {})).toBeNull();
  });

  it('safe house: the field itself', () => {
    expect(cell('safehouse_referral', { service_safehouse_referral: 'services_already_received_from_another_agency' })).toBe('Services already received from another agency');
  });

  it('referred from: every source, joined with " & "', () => {
    expect(cell('referred_from', { service_referred_from: ['self_referral'] })).toBe('Self-referral / first point of contact');
    expect(cell('referred_from', { service_referred_from: ['safehouse_service', 'other'] })).toBe('Safe house / shelter & Other');
  });

  it.each<[string, Json, Cell, Cell]>([
    ['a camp', { incident_location: 'XX03D01C02' }, 'County 3', 'District 3.1'],
    ['a district', { incident_location: 'XX03D01' }, 'County 3', 'District 3.1'],
    ['a county', { incident_location: 'XX03' }, 'County 3', null],
    ['the country', { incident_location: 'XX' }, null, null],
    ['no place', {}, null, null],
  ])('county and district of %s', (_name, data, county, district) => {
    expect([cell('county', data), cell('district', data)]).toEqual([county, district]);
  });

  it('caseworker and agency codes come from the owner and the creating agency', () => {
    expect([cell('case_manager_code', {}, GRACE), cell('agency_code', {}, GRACE)]).toEqual(['CW07', 'AG-KE-01']);
    expect([cell('case_manager_code', {}, { owner: null, agency: null }), cell('agency_code', {})]).toEqual([null, null]);
  });

  it.each([
    [true, 'Yes'],
    [false, 'No'],
  ])('yes/no fields: consent %s -> %s', (consent, expected) => {
    expect(cell('consent', { consent_reporting: consent })).toBe(expected);
    expect(cell('gbv_previous_incidents', { gbv_previous_incidents: consent })).toBe(expected);
    expect(cell('goods_money_exchanged', { goods_money_exchanged: consent })).toBe(expected);
  });

  it.each([
    ['2026-01-10', '2026-01-13', '0_3_days'],
    ['2026-01-10', '2026-01-15', '4_5_days'],
    ['2026-01-10', '2026-01-24', '6_14_days'],
    ['2026-01-10', '2026-02-09', '2_weeks_1_month'],
    ['2026-01-10', '2026-02-10', 'over_1_month'],
  ])('elapsed time from %s to %s: the band operation agrees with the bundle (%s)', (incidentDate, reported, expected) => {
    const { data } = incident.process({ incident_date: incidentDate, date_of_first_report: reported }, ctx);
    const band = evaluateRule(
      { band: [{ days_between: [{ var: 'record.incident_date' }, { var: 'record.date_of_first_report' }] }, [3, 5, 14, 30], ['0_3_days', '4_5_days', '6_14_days', '2_weeks_1_month', 'over_1_month']] },
      { record: data, ...ctx },
    );
    expect(band).toEqual({ ok: true, value: expected });
    expect(data['elapsed_reporting_time']).toBe(expected);
  });
});

describe('Incident Recorder: the way back (legacy spreadsheets)', () => {
  it('reads an exported row back into an incident, keeping what has no field of its own', () => {
    const golden = INCIDENTS[0] as Golden;
    const { data: record } = stored(golden);
    const row = ir.row(record, golden.meta, 'en');
    const { data, unmapped, issues } = ir.importRow(HEADERS_EN, row, { rowId: (subform) => `${subform}-imported` });
    expect(issues).toEqual([]);
    expect(data).toEqual({
      incidentid_ir: 'IR-2026-001', survivor_code: 'SV-001', date_of_first_report: '2026-03-09', incident_date: '2026-03-02',
      sex: 'female', ethnicity: 'ethnicity_2', country_of_origin: 'ss', marital_status: 'married_cohabitating', displacement_status: 'idp',
      disability_type: 'physical_disability', unaccompanied_separated_status: 'no', displacement_incident: 'post_displacement',
      incident_timeofday: 'evening_night', incident_location_type: 'clients_home', incident_location: 'XX01D02', incident_camp_town: 'Camp/Town 1.2.1',
      gbv_sexual_violence_type: 'physical_assault', harmful_traditional_practice: 'no', goods_money_exchanged: false,
      abduction_status_time_of_incident: 'none', gbv_reported_elsewhere: 'gbvims-org', gbv_previous_incidents: true,
      number_of_individual_perpetrators_from_ir: 1,
      service_referred_from: ['self_referral', 'health_medical_service'], service_safehouse_referral: 'referral_declined_by_survivor',
      health_medical_referral_subform_section: [{ _id: 'health_medical_referral_subform_section-imported', service_medical_referral: 'referred' }],
      psychosocial_counseling_services_subform_section: [{ _id: 'psychosocial_counseling_services_subform_section-imported', service_psycho_referral: 'service_provided_by_your_agency' }],
      legal_assistance_services_subform_section: [{ _id: 'legal_assistance_services_subform_section-imported', pursue_legal_action: 'yes', service_legal_referral: 'referred' }],
      police_or_other_type_of_security_services_subform_section: [{ _id: 'police_or_other_type_of_security_services_subform_section-imported', service_police_referral: 'service_not_applicable' }],
      livelihoods_services_subform_section: [{ _id: 'livelihoods_services_subform_section-imported', service_livelihoods_referral: 'services_already_received_from_another_agency' }],
      consent_reporting: true,
      ir_imported_values: [
        'CASE MANAGER CODE: CW07', 'DATE OF BIRTH: 1990', 'ALLEGED PERPETRATOR SEX: M', 'PREVIOUS INCIDENT WITH THIS PERPETRATOR: Yes',
        'ALLEGED PERPETRATOR AGE GROUP: Age 26 - 40', 'ALLEGED PERPETRATOR - SURVIVOR RELATIONSHIP: Intimate partner / former partner',
        'ALLEGED PERPETRATOR OCCUPATION: Unemployed', 'REPORTING AGENCY CODE: AG-KE-01',
      ].join('\n'),
    });
    expect(Object.keys(unmapped)).toEqual(['case_manager_code', 'date_of_birth', 'perpetrator_sex', 'perpetrator_former', 'perpetrator_age_group', 'perpetrator_relationship', 'perpetrator_occupation', 'agency_code']);
    // What comes back is a valid incident that exports the same reversible cells again.
    const processed = incident.process(data, ctx);
    expect(processed.issues).toEqual([]);
    const again = ir.row(processed.data, golden.meta, 'en');
    ir.columns.forEach((c, i) => {
      if (c.reversible && c.key !== 'county' && c.key !== 'district' && c.key !== 'number_primary_perpetrators') expect([c.key, again[i]]).toEqual([c.key, row[i]]);
    });
  });

  it('reads French headers and labels the same way', () => {
    const golden = INCIDENTS[0] as Golden;
    const { data: record } = stored(golden);
    const en = ir.importRow(ir.headers('en'), ir.row(record, golden.meta, 'en'));
    const fr = ir.importRow(ir.headers('fr'), ir.row(record, golden.meta, 'fr'));
    const { ir_imported_values: _en, ...enData } = en.data;
    const { ir_imported_values: _fr, ...frData } = fr.data;
    expect(fr.issues).toEqual([]);
    expect(frData).toEqual(enData);
  });

  it('reads legacy cells: "More than 3", M/F codes, Primero dates, formula quotes', () => {
    const { data, issues } = ir.importRow(
      ['INCIDENT ID', 'No. ALLEGED PRIMARY PERPETRATOR(S)', 'SEX', 'DATE OF INCIDENT', 'INCIDENT CAMP / TOWN', 'INCIDENT COUNTY', 'INCIDENT DISTRICT', 'SURVIVOR NAME'],
      ["'=1+1", 'More than 3', 'M', '02-Mar-2026', 'Camp A', 'County 2', 'District 2.2', 'Amina'],
    );
    expect(data).toEqual({ incidentid_ir: '=1+1', number_of_individual_perpetrators_from_ir: 4, sex: 'male', incident_date: '2026-03-02', incident_camp_town: 'Camp A', incident_location: 'XX02D02' });
    // A column the Incident Recorder does not have is reported and never written into the incident.
    expect(issues.map((issue) => `${issue.code} ${issue.column}`)).toEqual(['unknown_header SURVIVOR NAME']);
  });
});

describe('Incident Recorder: throughput', () => {
  // The goal is 10,000 rows/s in the server (plain Node: 30,000-45,000 rows/s of the complete benchmark
  // fixture on the development machine). Jest runs modules in a vm context whose global lookups are many
  // times slower, so this only guards against an order-of-magnitude regression.
  it('writes rows fast enough to stream (a floor under jest)', () => {
    const records = INCIDENTS.map((golden) => ({ data: stored(golden).data, meta: golden.meta }));
    const n = 20_000;
    let best = 0;
    for (let attempt = 0; attempt < 3 && best < 2_000; attempt += 1) {
      const start = performance.now();
      for (let i = 0; i < n; i += 1) {
        const { data, meta } = records[i % records.length] as { data: Json; meta?: ExportMeta };
        if (ir.includes(data, meta)) ir.row(data, meta, 'en');
      }
      best = Math.max(best, n / ((performance.now() - start) / 1000));
    }
    expect(best).toBeGreaterThanOrEqual(2_000);
  });
});
