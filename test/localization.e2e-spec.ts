import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { as, login, newUser, type TestUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type Option = { value: string; label: string; disabled?: boolean };

const LOOKUP = 'harmful_traditional_practice';
const FORMS = '/api/v1/forms?module=gbv&recordType=incident';

function formOptions(body: { forms: Array<{ fields: Array<{ key: string; options?: Option[] }> }> }): Option[] {
  return body.forms.flatMap((f) => f.fields).find((f) => f.key === LOOKUP)!.options!;
}

describe('localization: lookup overlays (no committee approval)', () => {
  let t: TestApp;
  let admin: Api;
  let caseworker: Api;
  let committee: Api;
  let worker: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    const ds = t.app.get(DataSource);
    const a = await newUser(ds, { roles: ['system_admin'] });
    worker = await newUser(ds, { roles: ['gbv_caseworker'] });
    const c = await newUser(ds, { roles: ['steering_committee'] });
    admin = as(t, await login(t, a.username, a.password));
    caseworker = as(t, await login(t, worker.username, worker.password));
    committee = as(t, await login(t, c.username, c.password));
  });
  afterAll(async () => {
    await t.close();
  });

  it('adds, renames, orders and disables options: visible at once in /lookups and /forms, the bundle hash unchanged', async () => {
    const modulesBefore = await caseworker.get('/api/v1/modules').expect(200);
    expect(modulesBefore.body.overlayVersion).toBe(0);
    const res = await admin
      .post(`/api/v1/lookups/${LOOKUP}/overlay`, {
        add: [{ value: 'breast_ironing', label: 'Breast ironing', labels: { fr: 'Repassage des seins' } }],
        rename: { type_of_practice_1: { en: 'Forced marriage', fr: 'Mariage forcé' } },
        order: ['breast_ironing', 'type_of_practice_1'],
        disable: ['type_of_practice_5'],
      })
      .expect(200);
    expect(res.body.overlayVersion).toBeGreaterThan(0);
    expect(res.body.lookup.options.slice(0, 2)).toEqual([
      { value: 'breast_ironing', label: 'Breast ironing' },
      { value: 'type_of_practice_1', label: 'Forced marriage' },
    ]);

    const en = await caseworker.get(`/api/v1/lookups/${LOOKUP}`).expect(200);
    expect(en.body.options.map((o: Option) => o.value)).toEqual(['breast_ironing', 'type_of_practice_1', 'no', 'type_of_practice_2', 'type_of_practice_3', 'type_of_practice_4', 'type_of_practice_5']);
    expect(en.body.options.find((o: Option) => o.value === 'type_of_practice_5')).toMatchObject({ disabled: true });
    const fr = await caseworker.get(`/api/v1/lookups/${LOOKUP}?locale=fr`).expect(200);
    expect(fr.body.options.slice(0, 2).map((o: Option) => o.label)).toEqual(['Repassage des seins', 'Mariage forcé']);

    const forms = await caseworker.get(`${FORMS}&locale=fr`).expect(200);
    expect(formOptions(forms.body).slice(0, 2)).toEqual([
      { value: 'breast_ironing', label: 'Repassage des seins' },
      { value: 'type_of_practice_1', label: 'Mariage forcé' },
    ]);
    const modules = await caseworker.get('/api/v1/modules').expect(200);
    expect(modules.body.overlayVersion).toBe(res.body.overlayVersion);
    expect(modules.body.configHash).toBe(modulesBefore.body.configHash);
    expect(modules.body.items.map((m: { bundle: { hash: string } }) => m.bundle.hash)).toEqual(modulesBefore.body.items.map((m: { bundle: { hash: string } }) => m.bundle.hash));
    const list = await caseworker.get('/api/v1/lookups').expect(200);
    expect(list.body.items.find((l: { key: string }) => l.key === LOOKUP)).toMatchObject({ localizable: true, options: 7 });
  });

  it('record validation accepts the added option and still the disabled one', async () => {
    const rt = t.app.get(ActiveConfigService).current().recordType('gbv', 'incident');
    const ctx = { user: { id: worker.id, agency: null, roles: ['gbv_caseworker'], groups: [] }, today: '2026-06-01', now: '2026-06-01T00:00:00Z' };
    expect(rt.process({ [LOOKUP]: 'breast_ironing' }, ctx).issues).toEqual([]);
    expect(rt.process({ [LOOKUP]: 'type_of_practice_5' }, ctx).issues).toEqual([]);
    expect(rt.process({ [LOOKUP]: 'nope' }, ctx).issues.map((i) => i.code)).toEqual(['not_an_option']);
    // Through the records API as well.
    const created = await caseworker.post('/api/v1/records/incident', { module: 'gbv', data: { [LOOKUP]: 'breast_ironing' } }).expect(201);
    expect(created.body.data[LOOKUP]).toBe('breast_ironing');
    const refused = await caseworker.post('/api/v1/records/incident', { module: 'gbv', data: { [LOOKUP]: 'nope' } }).expect(400);
    expect(JSON.stringify(refused.body.error.issues)).toMatch(/not_an_option/);
  });

  it('each change is a new version, audited, and builds on the previous ones; enable undoes disable', async () => {
    const before = (await caseworker.get('/api/v1/modules').expect(200)).body.overlayVersion;
    const res = await admin.post(`/api/v1/lookups/${LOOKUP}/overlay`, { enable: ['type_of_practice_5'], add: [{ value: 'widow_inheritance', label: 'Widow inheritance' }] }).expect(200);
    expect(res.body.overlayVersion).toBe(before + 1);
    const options = res.body.lookup.options as Option[];
    expect(options.find((o) => o.value === 'type_of_practice_5')?.disabled).toBeUndefined();
    expect(options.map((o) => o.value)).toEqual(expect.arrayContaining(['breast_ironing', 'widow_inheritance']));
    expect(options.find((o) => o.value === 'type_of_practice_1')?.label).toBe('Forced marriage');
    const audit = await admin.get('/api/v1/audit?action=lookup.overlay_changed').expect(200);
    expect(audit.body.items.length).toBe(2);
    expect(audit.body.items[0]).toMatchObject({ objectType: 'lookup', objectId: LOOKUP });
    const versions = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM config_overlay WHERE target = $1`, [LOOKUP]);
    expect(versions[0].n).toBe(2);
  });

  it('refuses what an overlay may not do', async () => {
    const gender = await admin.post('/api/v1/lookups/gender/overlay', { add: [{ value: 'x', label: 'X' }] }).expect(403);
    expect(gender.body.error.issues[0].code).toBe('lookup_not_localizable');
    await admin.post('/api/v1/lookups/no_such_lookup/overlay', { add: [{ value: 'x', label: 'X' }] }).expect(404);
    const existing = await admin.post(`/api/v1/lookups/${LOOKUP}/overlay`, { add: [{ value: 'no', label: 'No again' }] }).expect(400);
    expect(existing.body.error.issues).toEqual([expect.objectContaining({ code: 'option_exists', path: '/add/0/value' })]);
    const bad = await admin
      .post(`/api/v1/lookups/${LOOKUP}/overlay`, { rename: { nope: { en: 'N' }, no: { xx: 'Non' } }, disable: ['nope'], order: ['no', 'no'] })
      .expect(400);
    expect(bad.body.error.issues.map((i: { code: string; path: string }) => `${i.code}@${i.path}`).sort()).toEqual([
      'not_unique@/order/1',
      'unknown_locale@/rename/no/xx',
      'unknown_option@/disable/0',
      'unknown_option@/rename/nope',
    ]);
    const nul = await admin.post(`/api/v1/lookups/${LOOKUP}/overlay`, { add: [{ value: 'nul', label: 'N\u0000L' }] }).expect(400);
    expect(nul.body.error.issues).toEqual([expect.objectContaining({ code: 'invalid_character', path: '/add/0/label' })]);
    // There is no delete: an unknown operation is refused like any unknown property.
    const remove = await admin.post(`/api/v1/lookups/${LOOKUP}/overlay`, { remove: ['no'] }).expect(400);
    expect(remove.body.error.issues[0]).toMatchObject({ code: 'unknown_field', path: '/remove' });
    await admin.post(`/api/v1/lookups/${LOOKUP}/overlay`, {}).expect(400);
    await committee.post(`/api/v1/lookups/${LOOKUP}/overlay`, { disable: ['no'] }).expect(403);
    await caseworker.post(`/api/v1/lookups/${LOOKUP}/overlay`, { disable: ['no'] }).expect(403);
  });
});

const HEADER = 'code,parent_code,admin_level,name:en,name:fr,latitude,longitude';

describe('localization: the location hierarchy as CSV', () => {
  let t: TestApp;
  let admin: Api;
  let adminToken: string;
  let caseworker: Api;

  beforeAll(async () => {
    t = await startTestApp();
    const ds = t.app.get(DataSource);
    const a = await newUser(ds, { roles: ['system_admin'] });
    const w = await newUser(ds, { roles: ['gbv_caseworker'] });
    adminToken = await login(t, a.username, a.password);
    admin = as(t, adminToken);
    caseworker = as(t, await login(t, w.username, w.password));
    // A record uses a place the new hierarchy leaves out: it must stay, disabled.
    await newRecord(ds, { module: 'gbv', recordType: 'incident', owner: w, data: { incident_location: 'XX03D02C02' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const importCsv = (csv: string, dryRun: boolean) =>
    t.http().post(`/api/v1/locations/import?dryRun=${dryRun}`).set('Authorization', `Bearer ${adminToken}`).set('Content-Type', 'text/csv').send(csv);

  const good = [
    HEADER,
    'KE,,0,Kenya,Kenya,,',
    'KE01,KE,1,Mombasa,Mombasa,-4.05,39.66',
    'KE01D01,KE01,2,Changamwe,Changamwe,,',
    'KE01D01C01,KE01D01,3,Port Reitz,,,',
    'KE02,KE,1,Kwale,Kwalé,-4.17,39.45',
  ];
  const planted = [
    HEADER, //                                   line 1
    'KE,,0,Kenya,Kenya,,', //                    line 2
    'KE01,KE,1,Mombasa,Mombasa,-4.05,39.66', //  line 3
    'KE01,KE,1,Mombasa again,,,', //             line 4: duplicate code
    'KE09,XX99,1,Nowhere,,,', //                 line 5: unknown parent
    'KE03,KE,2,Kilifi,,,', //                    line 6: wrong level (parent is level 0)
    'KE04,KE,1,,Sans nom,,', //                  line 7: missing (base language) name
    'KE05,KE,1,Lamu,,north,200', //              line 8: two bad numbers
    'KE06,KE07,2,Loop A,,,', //                  line 9: cycle with line 10
    'KE07,KE06,2,Loop B,,,', //                  line 10
    'KE08,KE,one,Tana River,,,', //              line 11: bad level number
  ];

  it('a dry run lists every problem with its line, and writes nothing', async () => {
    const res = await importCsv(planted.join('\n'), true).expect(200);
    expect(res.body).toMatchObject({ dryRun: true, valid: false, rows: 10 });
    const found = res.body.problems.map((p: { row: number; code: string; column?: string }) => `${p.row}:${p.code}:${p.column ?? ''}`);
    expect(found).toEqual(
      expect.arrayContaining([
        '4:duplicate_code:code',
        '5:unknown_parent:parent_code',
        '6:wrong_level:admin_level',
        '7:missing_name:name:en',
        '8:bad_number:latitude',
        '8:bad_number:longitude',
        '9:location_cycle:parent_code',
        '11:bad_number:admin_level',
      ]),
    );
    expect((await caseworker.get('/api/v1/locations?parent=').expect(200)).body.items.map((l: { code: string }) => l.code)).toEqual(['XX']);
  });

  it('a real run with problems is refused whole (400, every problem)', async () => {
    const res = await importCsv(planted.join('\n'), false).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.issues.length).toBeGreaterThanOrEqual(8);
    expect(res.body.error.issues[0].params.row).toBe(4);
    const versions = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM config_overlay WHERE kind = 'locations'`);
    expect(versions[0].n).toBe(0);
  });

  it('the corrected file imports: in force at once, used places kept disabled, audited', async () => {
    const dry = await importCsv(good.join('\n'), true).expect(200);
    expect(dry.body).toMatchObject({ valid: true, problems: [], summary: { added: 5 } });
    expect(dry.body.keptDisabled).toEqual([
      { code: 'XX03D02C02', records: 1 },
      { code: 'XX03D02', records: 0 },
      { code: 'XX03', records: 0 },
      { code: 'XX', records: 0 },
    ]);
    const res = await importCsv(good.join('\n'), false).expect(200);
    expect(res.body).toMatchObject({ dryRun: false, valid: true, summary: { added: 5, keptDisabled: 4 } });
    expect(res.body.overlayVersion).toBeGreaterThan(0);

    const roots = await caseworker.get('/api/v1/locations?parent=&locale=fr').expect(200);
    expect(roots.body.items.map((l: { code: string; name: string; disabled?: boolean }) => [l.code, l.name, l.disabled ?? false])).toEqual([
      ['KE', 'Kenya', false],
      ['XX', 'Pays', true],
    ]);
    const counties = await caseworker.get('/api/v1/locations?parent=KE&locale=fr').expect(200);
    expect(counties.body.items.map((l: { name: string }) => l.name)).toEqual(['Mombasa', 'Kwalé']);
    const rt = t.app.get(ActiveConfigService).current().recordType('gbv', 'incident');
    const ctx = { user: { id: 'u', agency: null, roles: [], groups: [] }, today: '2026-06-01', now: '2026-06-01T00:00:00Z' };
    expect(rt.process({ incident_location: 'KE01D01C01' }, ctx).issues).toEqual([]);
    expect(rt.process({ incident_location: 'XX03D02C02' }, ctx).issues).toEqual([]);
    expect(rt.process({ incident_location: 'XX01' }, ctx).issues.map((i) => i.code)).toEqual(['unknown_location']);
    const audit = await admin.get('/api/v1/audit?action=location.hierarchy_imported').expect(200);
    expect(audit.body.items).toHaveLength(1);
  });

  it('exports the same CSV, which imports again unchanged', async () => {
    const res = await admin.get('/api/v1/locations/export').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text.trim().split('\n');
    expect(lines[0]).toBe('code,parent_code,admin_level,name:en,name:fr,name:ar,name:es,latitude,longitude,disabled');
    expect(lines).toContain('KE01,KE,1,Mombasa,Mombasa,,,-4.05,39.66,');
    expect(lines.find((l) => l.startsWith('XX03D02C02,'))).toMatch(/^XX03D02C02,XX03D02,3,Camp\/Town 3\.2\.2,Camp\/Ville 3\.2\.2,.*,,,true$/);
    const again = await importCsv(res.text, true).expect(200);
    expect(again.body).toMatchObject({ valid: true, summary: { added: 0, changed: 0, removed: 0, keptDisabled: 0, unchanged: 9 } });
    await caseworker.get('/api/v1/locations/export').expect(403);
  });

  it('takes CSV only, without NUL characters', async () => {
    const res = await admin.post('/api/v1/locations/import?dryRun=true', { csv: 'x' }).expect(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    const nul = await importCsv([HEADER, 'KE,,0,Ke\u0000nya,,,'].join('\n'), true).expect(200);
    expect(nul.body.problems).toEqual([expect.objectContaining({ row: 2, column: 'name:en', code: 'invalid_value' })]);
  });
});
