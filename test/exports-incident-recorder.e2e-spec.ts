/**
 * GOLDEN end-to-end test of the Incident Recorder through the API: a fixed set of incidents stored as the write
 * path stores them, exported by the job (`format: "incident-recorder"`), the .xlsx read back with exceljs and
 * EVERY cell of both sheets asserted (types too: dates are date cells, numbers numbers). Then the French
 * headers, and the import of legacy spreadsheets: the exported file read back into incidents (round trip), and
 * a broken spreadsheet (every problem reported, nothing stored).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import type { Response } from 'superagent';
import { DataSource } from 'typeorm';
import type { ProcessContext } from '../engine/index.js';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { configsWith } from './support/configs.js';
import { as, login, newAgency, newUser, type TestUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type Json = Record<string, unknown>;
type Cell = string | number | Date | boolean | null;

/** Test-only role: reads and exports every GBV incident (a national IR focal point), all fields. */
const IR_OFFICER = {
  key: 'gbv_ir_officer',
  label: 'GBV Incident Recorder officer',
  secondFactor: 'optional',
  records: [{ module: 'gbv', recordTypes: ['incident'], scope: 'all', actions: ['read', 'export'], forms: { '*': 'read' } }],
};

function binary(res: Response, cb: (err: Error | null, body: Buffer) => void) {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

/** Every sheet as rows of exactly `width` cells (empty cells null), as a spreadsheet program reads them. */
async function readBook(bytes: Buffer): Promise<Array<{ name: string; rows: Cell[][] }>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb.worksheets.map((ws) => {
    const rows: Cell[][] = [];
    const width = ws.getRow(1).cellCount;
    ws.eachRow({ includeEmpty: true }, (row) => {
      const values = row.values as unknown[];
      rows.push(Array.from({ length: width }, (_, i) => (values[i + 1] ?? null) as Cell));
    });
    return { name: ws.name, rows };
  });
}

const d = (iso: string) => new Date(`${iso}T00:00:00.000Z`);
let rowIds = 0;
const id = (): string => `row-${(rowIds += 1)}`;
const perp = (primary: 'primary' | 'secondary', fields: Json): Json => ({ _id: id(), primary_perpetrator: primary, ...fields });
const rows = (...items: Json[]): Json[] => items.map((item) => ({ _id: id(), ...item }));

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

interface Golden {
  readonly owner: 'grace' | 'joseph' | 'nocode' | 'mallory';
  readonly data: Json;
  /** The row as read back, or null when the incident is left out. */
  readonly row: readonly Cell[] | null;
}

/** In creation order (the export's order). */
const INCIDENTS: readonly Golden[] = [
  {
    owner: 'grace',
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
      'IR-2026-001', 'SV-001', 'CW07', d('2026-03-09'), d('2026-03-02'), 1990, 'F', 'Ethnicity 2', 'South Sudan', 'Married/Cohabitating',
      'IDP', 'Physical disability', 'No', 'Post-displacement', 'Evening / night', "Client's home", 'County 1', 'District 1.2', 'Camp/Town 1.2.1', 'Physical assault',
      'No', 'No', 'None', 'Yes – GBVIMS organisation / agency', 'Yes', 1, 'M', 'Yes', 'Age 26 - 40', 'Intimate partner / former partner',
      'Unemployed', 'Self-referral / first point of contact & Health / medical services', 'Referral declined by survivor', 'Referred', 'Service provided by your agency', 'Yes', 'Referred', 'Service not applicable', 'Services already received from another agency', null,
      'Yes', 'AG-KE-01',
    ],
  },
  {
    owner: 'joseph',
    data: {
      incidentid_ir: 'IR-2026-002', survivor_code: 'SV-002', consent_reporting: true,
      date_of_first_report: '2026-04-01', incident_date: '2026-03-28',
      displacement_incident: 'during_refuge', incident_timeofday: 'morning', incident_location_type: 'road', incident_location: 'XX02D01',
      gbv_sexual_violence_type: 'rape', harmful_traditional_practice: 'no', goods_money_exchanged: false,
      abduction_status_time_of_incident: 'trafficked', gbv_reported_elsewhere: 'no', gbv_previous_incidents: false,
      date_of_birth: '2001-11-30', age: 24, sex: 'male', ethnicity: 'ethnicity_1', country_of_origin: 'sd',
      marital_status: 'single', displacement_status: 'refugee', disability_type: 'no', unaccompanied_separated_status: 'no',
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
      'IR-2026-002', 'SV-002', 'CW12', d('2026-04-01'), d('2026-03-28'), 2001, 'M', 'Ethnicity 1', 'Sudan', 'Single',
      'Refugee', 'No', 'No', 'During refuge', 'Morning', 'Road', 'County 2', 'District 2.1', null, 'Rape',
      'No', 'No', 'Trafficked', 'No', 'No', 'More than 3', 'M and F', 'No', 'Age 12 - 17', 'Schoolmate',
      'Occupation 2', 'Police / other security actor', 'Service unavailable', 'Referred', null, null, null, null, null, null,
      'Yes', 'AG-KE-02',
    ],
  },
  {
    owner: 'nocode',
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
    owner: 'mallory',
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
  { owner: 'grace', data: { incidentid_ir: 'IR-2026-007', survivor_code: 'SV-007', consent_reporting: false, sex: 'female', incident_location: 'XX03' }, row: null },
  { owner: 'grace', data: { incidentid_ir: 'IR-2026-008', survivor_code: 'SV-008', sex: 'male', ethnicity: 'ethnicity_5' }, row: null },
];

describe('exports: the Incident Recorder (golden, through the API) and its import', () => {
  let t: TestApp;
  let ds: DataSource;
  let configs: Awaited<ReturnType<typeof configsWith>>;
  let officer: Api;
  let caseworker: Api;
  let supervisor: Api;
  const users: Record<string, TestUser> = {};
  let exported: Buffer;

  const exportIr = async (body: object): Promise<Buffer> => {
    const { id } = (await officer.post('/api/v1/exports', { format: 'incident-recorder', recordType: 'incident', module: 'gbv', ...body }).expect(202)).body;
    for (let i = 0; i < 300; i++) {
      const job = (await officer.get(`/api/v1/exports/${id}`).expect(200)).body;
      if (job.status === 'done') {
        expect(job).toMatchObject({ rowsTotal: INCIDENTS.length, rowsDone: INCIDENTS.length, rowsWritten: INCIDENTS.filter((g) => g.row).length, percent: 100 });
        const res = await officer.get(`/api/v1/exports/${id}/file`).buffer(true).parse(binary).expect(200);
        expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        return res.body as Buffer;
      }
      if (job.status === 'failed') throw new Error(JSON.stringify(job));
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the export did not finish');
  };
  const tokens = new Map<Api, string>();
  const upload = (who: Api, bytes: Buffer, fields: Record<string, string>) => {
    const req = t.http().post('/api/v1/imports/incident-recorder').set('Authorization', `Bearer ${tokens.get(who)}`);
    for (const [k, v] of Object.entries(fields)) req.field(k, v);
    return req.attach('file', bytes, 'incident-recorder.xlsx');
  };

  beforeAll(async () => {
    configs = await configsWith({
      'gbv/roles/gbv_ir_officer.json': IR_OFFICER,
    });
    t = await startTestApp({ HAVEN_CONFIG_DIR: configs.dir });
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'AG-KE-01' });
    await newAgency(ds, { code: 'AG-KE-02' });
    await newAgency(ds, { code: '-AG' });
    users.grace = await newUser(ds, { username: 'grace', code: 'CW07', agency: 'AG-KE-01', roles: ['gbv_caseworker'] });
    users.joseph = await newUser(ds, { username: 'joseph', code: 'CW12', agency: 'AG-KE-02', roles: ['gbv_caseworker'] });
    users.nocode = await newUser(ds, { username: 'nocode', code: null, agency: null, roles: ['gbv_caseworker'] });
    users.mallory = await newUser(ds, { username: 'mallory', code: '=1+2', agency: '-AG', roles: ['gbv_caseworker'] });
    users.officer = await newUser(ds, { username: 'ir.officer', agency: 'AG-KE-01', roles: ['gbv_ir_officer'] });
    users.importer = await newUser(ds, { username: 'importer', code: 'CW99', agency: 'AG-KE-01', roles: ['gbv_caseworker'] });
    users.supervisor = await newUser(ds, { username: 'sup', agency: 'AG-KE-01', roles: ['gbv_supervisor'] });
    const signIn = async (user: TestUser) => {
      const token = await login(t, user.username, user.password);
      const api = as(t, token);
      tokens.set(api, token);
      return api;
    };
    officer = await signIn(users.officer);
    caseworker = await signIn(users.importer);
    supervisor = await signIn(users.supervisor);

    const incident = t.app.get(ActiveConfigService).current().recordType('gbv', 'incident');
    let day = 1;
    for (const golden of INCIDENTS) {
      const owner = users[golden.owner];
      const ctx: ProcessContext = { user: { id: owner.id, agency: owner.agency, roles: ['gbv_caseworker'], groups: [] }, today: '2026-11-25', now: '2026-11-25T10:00:00Z' };
      const { data } = incident.process(golden.data, ctx);
      await newRecord(ds, { module: 'gbv', recordType: 'incident', owner, data, createdAt: new Date(Date.UTC(2026, 5, day++)) });
    }
  });

  afterAll(async () => {
    await t?.close();
    await configs?.remove();
  });

  it('writes every cell of the Incident Data and Menu Data sheets, typed', async () => {
    exported = await exportIr({ locale: 'en' });
    const book = await readBook(exported);
    expect(book.map((s) => s.name)).toEqual(['Incident Data', 'Menu Data']);
    const [data, menu] = book;
    expect(data.rows).toEqual([HEADERS_EN, ...INCIDENTS.filter((g) => g.row).map((g) => g.row)]);
    expect(menu.rows).toEqual([
      ['CASEWORKER CODE', 'ETHNICITY', 'INCIDENT LOCATION', 'INCIDENT COUNTY', 'INCIDENT DISTRICT', 'INCIDENT CAMP'],
      ['CW07', 'Ethnicity 2', "Client's home", 'County 1', 'District 1.2', 'Camp/Town 1.2.1'],
      ['CW12', 'Ethnicity 1', 'Road', 'County 2', 'District 2.1', '\'=HYPERLINK("http://evil.example","Click")'],
      ["'=1+2", null, null, null, 'District 1.1', null],
    ]);
    // No cell is a formula: exceljs reads a formula cell as an object.
    for (const sheet of book) for (const row of sheet.rows) for (const cell of row) expect(cell === null || typeof cell !== 'object' || cell instanceof Date).toBe(true);
    expect(JSON.stringify(book)).not.toContain('Identifying account');
  });

  it('writes the headers in the requested locale', async () => {
    const book = await readBook(await exportIr({ locale: 'fr' }));
    expect(book[0].rows[0]).toEqual(HEADERS_FR);
    expect(book[0].rows).toHaveLength(5);
  });

  it('refuses labels and templates, which the Incident Recorder does not take', async () => {
    const res = await officer.post('/api/v1/exports', { format: 'incident-recorder', recordType: 'incident', module: 'gbv', labels: false, template: 'x' }).expect(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['/labels', '/template']);
  });

  it('imports its own export back: a dry run with no problems stores nothing, the real run creates every incident', async () => {
    const count = async () => (await ds.query(`SELECT count(*)::int AS n FROM record WHERE record_type = 'incident'`))[0].n as number;
    const before = await count();
    const dry = await upload(caseworker, exported, { dryRun: 'true', module: 'gbv' }).expect(200);
    expect(dry.body).toMatchObject({ dryRun: true, rows: 4, created: 0, ids: [], problems: [] });
    expect(await count()).toBe(before);

    const real = await upload(caseworker, exported, { dryRun: 'false' }).expect(200);
    expect(real.body).toMatchObject({ dryRun: false, rows: 4, created: 4, problems: [] });
    expect(await count()).toBe(before + 4);
    const [first] = await ds.query(`SELECT owner_id, data FROM record WHERE id = $1`, [real.body.ids[0]]);
    expect(first.owner_id).toBe(users.importer.id);
    expect(first.data).toMatchObject({
      incidentid_ir: 'IR-2026-001', survivor_code: 'SV-001', date_of_first_report: '2026-03-09', incident_date: '2026-03-02', sex: 'female',
      ethnicity: 'ethnicity_2', incident_location: 'XX01D02', incident_camp_town: 'Camp/Town 1.2.1', incident_timeofday: 'evening_night', consent_reporting: true, gbv_previous_incidents: true,
    });
    expect(first.data.ir_imported_values).toContain('CASE MANAGER CODE: CW07');
    expect(first.data.ir_imported_values).toContain('DATE OF BIRTH: 1990');
    expect(first.data.date_of_birth).toBeUndefined();
    const [mallory] = await ds.query(`SELECT data FROM record WHERE id = $1`, [real.body.ids[3]]);
    expect(mallory.data).toMatchObject({ incidentid_ir: '@SUM(1+1)', survivor_code: '+SV-006', incident_camp_town: '=HYPERLINK("http://evil.example","Click")' });
    const history = await ds.query(`SELECT action FROM record_history WHERE record_id = $1 ORDER BY version`, [real.body.ids[0]]);
    expect(history.map((h: { action: string }) => h.action)).toEqual(['create', 'ir_import']);
  });

  it('reports every problem of a broken spreadsheet, and a real run stores nothing', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Incident Data');
    ws.addRow(['INCIDENT ID', 'DATE OF INCIDENT', 'SEX', 'INCIDENT COUNTY', 'FAVOURITE COLOUR', 'CONSENT GIVEN']);
    ws.addRow(['IR-B-1', 'not a date', 'X', 'County 1', 'blue', 'Yes']);
    ws.addRow(['IR-B-2', '2026-02-01', 'F', 'Nowhere county', null, 'Maybe']);
    ws.addRow(['IR-B-3', '2026-02-02', 'M', 'County 2', null, 'No']);
    const broken = Buffer.from(await wb.xlsx.writeBuffer());
    const count = async () => (await ds.query(`SELECT count(*)::int AS n FROM record WHERE data->>'incidentid_ir' LIKE 'IR-B-%'`))[0].n as number;

    const dry = await upload(caseworker, broken, { dryRun: 'true' }).expect(200);
    const problems = dry.body.problems.map((p: { row: number; column: string; code: string }) => `${p.row}:${p.column}:${p.code}`).sort();
    expect(problems).toEqual(['2:FAVOURITE COLOUR:unknown_header', '2:date_of_incident:unmapped_value', '2:sex:unmapped_value', '3:consent:unmapped_value', '3:county:unmapped_value']);
    expect(dry.body).toMatchObject({ rows: 3, created: 0 });

    const real = await upload(caseworker, broken, { dryRun: 'false' }).expect(400);
    expect(real.body.error.issues).toHaveLength(5);
    expect(await count()).toBe(0);

    // An extra column is reported on the first row holding something under it, and so is a cell without a header.
    const later = new ExcelJS.Workbook();
    const sheet = later.addWorksheet('Incident Data');
    sheet.addRow(['INCIDENT ID', 'DATE OF INCIDENT', 'NOTES']);
    sheet.addRow(['IR-C-1', '2026-02-01', null]);
    sheet.addRow(['IR-C-2', '2026-02-01', 'a name', null, 'beyond the headers']);
    const laterDry = await upload(caseworker, Buffer.from(await later.xlsx.writeBuffer()), { dryRun: 'true' }).expect(200);
    expect(laterDry.body.problems.map((p: { row: number; column: string; code: string }) => `${p.row}:${p.column}:${p.code}`)).toEqual(['3:NOTES:unknown_header', '3:column 5:unknown_header']);

    await upload(caseworker, Buffer.from('not a workbook'), {}).expect(400);
    await upload(supervisor, exported, { dryRun: 'true' }).expect(403);
  });
});
