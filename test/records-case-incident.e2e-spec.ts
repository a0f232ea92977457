import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { configsWith } from './support/configs.js';
import { as, login, newAgency, newGroup, newUser } from './support/factories.js';
import { newRecord, type TestRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** `POST /records/case/:id/incidents`: an incident made from a GBV case, with the mapped fields, linked to the case. */

/** A test-only role: makes incidents from its cases but never reads an identifying field. */
const INTAKE = {
  key: 'gbv_incident_intake',
  label: 'GBV incident intake',
  secondFactor: 'optional',
  records: [
    { module: 'gbv', recordTypes: ['case'], scope: 'own', actions: ['read', 'create', 'update', 'incident_from_case'], forms: { '*': 'read_write' }, excludeFields: ['@identifying'] },
    { module: 'gbv', recordTypes: ['incident'], scope: 'own', actions: ['read', 'create', 'update'], forms: { '*': 'read_write' } },
  ],
};

const RECORDS = '/api/v1/records';
type Api = ReturnType<typeof as>;
type Who = 'worker' | 'colleague' | 'supervisor' | 'intake' | 'cpWorker';

const CASE_DATA = {
  survivor_code_no: 'SC-77',
  sex: 'female',
  date_of_birth: '2010-05-01',
  age: 15,
  gbv_nationality: 'af',
  gbv_religion: 'islam',
  marital_status: 'single',
  gbv_displacement_status: 'idp',
  gbv_disability_type: 'no',
  unaccompanied_separated_status: 'no',
  // Not in the field map: never copied.
  name: 'SECRET Amina',
  survivor_is_minor: true,
};
const COPIED = {
  survivor_code: 'SC-77',
  sex: 'female',
  date_of_birth: '2010-05-01',
  age: 15,
  nationality: 'af',
  religion: 'islam',
  marital_status: 'single',
  displacement_status: 'idp',
  disability_type: 'no',
  unaccompanied_separated_status: 'no',
};

describe('records: incident from case', () => {
  let t: TestApp;
  let ds: DataSource;
  let configs: Awaited<ReturnType<typeof configsWith>>;
  const api = {} as Record<Who, Api>;
  const ids = {} as Record<Who, string>;
  const counts = async () =>
    (
      await ds.query(
        `SELECT (SELECT count(*)::int FROM record WHERE record_type = 'incident') AS incidents, (SELECT count(*)::int FROM record_link) AS links,
                (SELECT count(*)::int FROM record_history) AS history, (SELECT count(*)::int FROM audit_log WHERE action LIKE 'record.%') AS audits`,
      )
    )[0];
  const newCase = (owner: Who, data: Record<string, unknown> = CASE_DATA, extra: { disabled?: boolean } = {}): Promise<TestRecord> =>
    newRecord(ds, { module: 'gbv', recordType: 'case', owner: ids[owner], data, ...extra });

  beforeAll(async () => {
    configs = await configsWith({
      'gbv/roles/gbv_incident_intake.json': INTAKE,
    });
    t = await startTestApp({ HAVEN_CONFIG_DIR: configs.dir });
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'CIA' });
    await newGroup(ds, { code: 'cia-gbv', agency: 'CIA' });
    const roles: Record<Who, string> = { worker: 'gbv_caseworker', colleague: 'gbv_caseworker', supervisor: 'gbv_supervisor', intake: 'gbv_incident_intake', cpWorker: 'cp_caseworker' };
    for (const who of Object.keys(roles) as Who[]) {
      const user = await newUser(ds, { agency: 'CIA', groups: ['cia-gbv'], roles: [roles[who]] });
      ids[who] = user.id;
      api[who] = as(t, await login(t, user.username, user.password));
    }
  });
  afterAll(async () => {
    await t?.close();
    await configs?.remove();
  });

  it('creates an incident the caller owns with the mapped case fields, linked to the case, with history and audit', async () => {
    const gbvCase = await newCase('worker');
    const before = await counts();
    const res = await api.worker.post(`${RECORDS}/case/${gbvCase.id}/incidents`, { module: 'gbv' }).expect(201);
    const body = res.body;
    expect(body).toMatchObject({ module: 'gbv', recordType: 'incident', version: 1, agency: 'CIA', status: 'open' });
    expect(body.displayId).toBe(`INC-${body.shortId}`);
    expect(body.data).toMatchObject(COPIED);
    expect(JSON.stringify(body.data)).not.toContain('SECRET');
    expect(body.linkedFrom).toEqual({ id: gbvCase.id, displayId: gbvCase.displayId, module: 'gbv', recordType: 'case', kind: 'incident_from_case' });
    expect(body.copiedFields).toEqual(Object.keys(COPIED).sort());
    expect(res.headers.location).toBe(`/api/v1/records/incident/${body.id}`);

    const [row] = await ds.query(`SELECT owner_id, created_by FROM record WHERE id = $1`, [body.id]);
    expect(row).toEqual({ owner_id: ids.worker, created_by: ids.worker });
    const links = await ds.query(`SELECT record_id, linked_record_id, kind, created_by FROM record_link WHERE linked_record_id = $1`, [body.id]);
    expect(links).toEqual([{ record_id: gbvCase.id, linked_record_id: body.id, kind: 'incident_from_case', created_by: ids.worker }]);
    const [history] = await ds.query(`SELECT action, version FROM record_history WHERE record_id = $1`, [body.id]);
    expect(history).toEqual({ action: 'create', version: 1 });
    const audits = await ds.query(`SELECT action, object_id, details FROM audit_log WHERE action IN ('record.create', 'record.incident_from_case') AND (object_id = $1 OR object_id = $2) ORDER BY id`, [body.id, gbvCase.id]);
    expect(audits.map((a: { action: string }) => a.action)).toEqual(['record.create', 'record.incident_from_case']);
    expect(audits[1]).toMatchObject({ object_id: gbvCase.id, details: { caseId: gbvCase.id, incidentId: body.id, fields: Object.keys(COPIED).sort() } });
    expect(await counts()).toMatchObject({ incidents: before.incidents + 1, links: before.links + 1 });

    // The incident reads back like any other.
    const read = await api.worker.get(`${RECORDS}/incident/${body.id}`).expect(200);
    expect(read.body.data).toMatchObject(COPIED);
    // The case did not change.
    const [caseRow] = await ds.query(`SELECT version FROM record WHERE id = $1`, [gbvCase.id]);
    expect(caseRow.version).toBe(1);
  });

  it('copies only what the caller may read on the case (no identifying field for a role without them)', async () => {
    const gbvCase = await newCase('intake');
    const body = (await api.intake.post(`${RECORDS}/case/${gbvCase.id}/incidents`, { module: 'gbv' }).expect(201)).body;
    expect(body.data.date_of_birth).toBeUndefined();
    expect(body.data).toMatchObject({ survivor_code: 'SC-77', sex: 'female', age: 15 });
    expect(body.copiedFields).not.toContain('date_of_birth');
  });

  it('leaves out stored values the incident would not accept, and applies `data` over the copied fields', async () => {
    const gbvCase = await newCase('worker', { ...CASE_DATA, gbv_religion: 'retired_option', marital_status: 'single' });
    const body = (await api.worker.post(`${RECORDS}/case/${gbvCase.id}/incidents`, { module: 'gbv', data: { marital_status: 'widowed', survivor_code: 'SC-77b' } }).expect(201)).body;
    expect(body.data.religion).toBeUndefined();
    expect(body.data).toMatchObject({ marital_status: 'widowed', survivor_code: 'SC-77b', nationality: 'af' });
    expect(body.copiedFields).not.toContain('religion');
    expect(body.copiedFields).not.toContain('marital_status');
  });

  it('an empty case makes an empty incident', async () => {
    const gbvCase = await newCase('worker', {});
    const body = (await api.worker.post(`${RECORDS}/case/${gbvCase.id}/incidents`, { module: 'gbv' }).expect(201)).body;
    expect(body.copiedFields).toEqual([]);
  });

  describe('refused: nothing created, nothing linked', () => {
    const cases: Array<[string, Who, (c: TestRecord) => [string, unknown], number, string, Array<[string, string]> | null]> = [
      ['a supervisor (reads the case, no incident_from_case)', 'supervisor', (c) => [`${RECORDS}/case/${c.id}/incidents`, { module: 'gbv' }], 403, 'forbidden', null],
      ['a caseworker outside the case', 'colleague', (c) => [`${RECORDS}/case/${c.id}/incidents`, { module: 'gbv' }], 404, 'not_found', null],
      ['a CP caseworker', 'cpWorker', (c) => [`${RECORDS}/case/${c.id}/incidents`, { module: 'gbv' }], 404, 'not_found', null],
      ['a missing case', 'worker', () => [`${RECORDS}/case/7d1a8f9e-4b0a-4c1e-9a52-2f3c1d0e5b6a/incidents`, { module: 'gbv' }], 404, 'not_found', null],
      ['an id that is not a uuid', 'worker', () => [`${RECORDS}/case/not-an-id/incidents`, { module: 'gbv' }], 404, 'not_found', null],
      ['the wrong module for the case', 'worker', (c) => [`${RECORDS}/case/${c.id}/incidents`, { module: 'cp' }], 400, 'validation_failed', [['not_an_option', '/module']]],
      ['an unknown module', 'worker', (c) => [`${RECORDS}/case/${c.id}/incidents`, { module: 'nope' }], 400, 'validation_failed', [['not_an_option', '/module']]],
      ['no module', 'worker', (c) => [`${RECORDS}/case/${c.id}/incidents`, {}], 400, 'validation_failed', [['required', '/module']]],
      ['a module that is not a key, data not an object, an extra property', 'worker', (c) => [`${RECORDS}/case/${c.id}/incidents`, { module: 5, data: [], owner: 'me' }], 400, 'validation_failed', [['unknown_field', '/owner'], ['invalid_type', '/module'], ['invalid_type', '/data']]],
      ['a body that is not an object', 'worker', (c) => [`${RECORDS}/case/${c.id}/incidents`, ['gbv']], 400, 'validation_failed', [['invalid_type', '']]],
      ['incident data the incident refuses', 'worker', (c) => [`${RECORDS}/case/${c.id}/incidents`, { module: 'gbv', data: { age: 'old', nope: 1 } }], 400, 'validation_failed', [['unknown_field', '/data/nope'], ['invalid_type', '/data/age']]],
    ];
    it.each(cases)('%s', async (_name, who, request, status, code, issues) => {
      const gbvCase = await newCase('worker');
      const before = await counts();
      const [url, body] = request(gbvCase);
      const res = await api[who].post(url, body as object).expect(status);
      expect(res.body.error.code).toBe(code);
      if (issues) expect(res.body.error.issues.map((i: { code: string; path: string }) => [i.code, i.path]).sort()).toEqual([...issues].sort());
      expect(await counts()).toEqual(before);
    });

    it('a disabled case is missing to a caseworker', async () => {
      const gbvCase = await newCase('worker', CASE_DATA, { disabled: true });
      await api.worker.post(`${RECORDS}/case/${gbvCase.id}/incidents`, { module: 'gbv' }).expect(404);
    });

    it('an incident is not a case', async () => {
      const incident = await newRecord(ds, { module: 'gbv', recordType: 'incident', owner: ids.worker, data: {} });
      await api.worker.post(`${RECORDS}/case/${incident.id}/incidents`, { module: 'gbv' }).expect(404);
    });
  });
});
