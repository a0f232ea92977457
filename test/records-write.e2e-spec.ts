import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { configsWith } from './support/configs.js';
import { as, login, newAgency, newGroup, newUser, type TestUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type IssueBody = { code: string; path: string };

/** Test-only roles: one that administers the agency's GBV records, one that takes in cases without identifying fields. */
const RECORDS_ADMIN = {
  key: 'gbv_records_admin',
  label: 'GBV records administrator',
  secondFactor: 'optional',
  records: [{ module: 'gbv', recordTypes: ['case', 'incident'], scope: 'agency', actions: ['read', 'update', 'disable'], forms: { '*': 'read_write' } }],
};
const INTAKE = {
  key: 'gbv_intake',
  label: 'GBV intake',
  secondFactor: 'optional',
  records: [
    {
      module: 'gbv',
      recordTypes: ['case'],
      scope: 'own',
      actions: ['read', 'create', 'update'],
      forms: { '*': 'read_write', client_feedback: 'read' },
      excludeFields: ['@identifying'],
    },
  ],
};

const RECORDS = '/api/v1/records';
const SHORT_ID = /^[2-9A-HJKMNP-Z]{7}$/;
const issuesOf = (body: { error: { issues: IssueBody[] } }) => body.error.issues.map((i) => [i.path, i.code]);

describe('records: the write path', () => {
  let t: TestApp;
  let ds: DataSource;
  let configs: Awaited<ReturnType<typeof configsWith>>;
  let bundleHash: string;
  let incident: Record<string, unknown>;
  const api: Record<'worker' | 'colleague' | 'supervisor' | 'cpWorker' | 'admin' | 'intake', Api> = {} as never;
  let worker: TestUser;
  let workerToken: string;

  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    Number((await ds.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params))[0].n);
  const stored = async (id: string) => (await ds.query(`SELECT * FROM record WHERE id = $1`, [id]))[0];
  const history = async (id: string) => ds.query(`SELECT version, action, actor_id, changes FROM record_history WHERE record_id = $1 ORDER BY version`, [id]);
  const audits = async (id: string) => ds.query(`SELECT action, actor_id, outcome, details FROM audit_log WHERE object_type = 'record' AND object_id = $1 ORDER BY id`, [id]);

  beforeAll(async () => {
    configs = await configsWith({
      'gbv/roles/gbv_records_admin.json': RECORDS_ADMIN,
      'gbv/roles/gbv_intake.json': INTAKE,
    });
    t = await startTestApp({ HAVEN_CONFIG_DIR: configs.dir });
    ds = t.app.get(DataSource);
    bundleHash = t.app.get(ActiveConfigService).current().hash;
    incident = JSON.parse(await fs.readFile(path.resolve('benchmarks/fixtures/gbv-incident-complete.json'), 'utf8'));
    await newAgency(ds, { code: 'HOME' });
    await newGroup(ds, { code: 'home-gbv', agency: 'HOME' });
    const users = {
      worker: ['gbv_caseworker'],
      colleague: ['gbv_caseworker'],
      supervisor: ['gbv_supervisor'],
      cpWorker: ['cp_caseworker'],
      admin: ['gbv_records_admin'],
      intake: ['gbv_intake'],
    } as const;
    for (const [name, roles] of Object.entries(users) as [keyof typeof users, readonly string[]][]) {
      const user = await newUser(ds, { agency: 'HOME', groups: ['home-gbv'], roles: [...roles] });
      const token = await login(t, user.username, user.password);
      if (name === 'worker') [worker, workerToken] = [user, token];
      api[name] = as(t, token);
    }
  });
  afterAll(async () => {
    await t?.close();
    await configs?.remove();
  });

  const newCase = async (data: Record<string, unknown> = {}, who: Api = api.worker) =>
    (await who.post(`${RECORDS}/case`, { module: 'gbv', data }).expect(201)).body;

  describe('POST /records/:recordType', () => {
    it('creates a GBV incident the caller owns, with computed fields filled in, its history and audit rows', async () => {
      const res = await api.worker.post(`${RECORDS}/incident`, { data: incident }).expect(201);
      const body = res.body;
      expect(Object.keys(body).sort()).toEqual(
        ['agency', 'bundleHash', 'createdAt', 'data', 'disabled', 'displayId', 'flags', 'id', 'module', 'owner', 'recordType', 'shortId', 'status', 'updatedAt', 'version'].sort(),
      );
      expect(body).toMatchObject({ module: 'gbv', recordType: 'incident', version: 1, owner: worker.username, agency: 'HOME', status: 'open', flags: [], disabled: false, bundleHash });
      expect(body.shortId).toMatch(SHORT_ID);
      expect(body.displayId).toBe(`INC-${body.shortId}`);
      expect(res.headers.etag).toBe('"1"');
      expect(res.headers.location).toBe(`/api/v1/records/incident/${body.id}`);
      expect(body.data).toEqual(incident);
      // The answer is built from what was sent and what the database made (id, timestamps): it says what a read says.
      const read = (await api.worker.get(`${RECORDS}/incident/${body.id}`).expect(200)).body;
      for (const key of Object.keys(body)) expect([key, read[key]]).toEqual([key, body[key]]);

      const row = await stored(body.id);
      expect(row).toMatchObject({ owner_id: worker.id, owner_agency: 'HOME', owner_groups: ['home-gbv'], created_by: worker.id, updated_by: worker.id, field_versions: {} });
      const [created] = await history(body.id);
      expect(created).toMatchObject({ version: 1, action: 'create', actor_id: worker.id });
      expect(created.changes).toEqual(expect.arrayContaining([{ path: 'age', from: null, to: 16 }]));
      const subformRow = (incident.alleged_perpetrator as { _id: string }[])[0];
      expect(created.changes).toEqual(expect.arrayContaining([{ path: `alleged_perpetrator/${subformRow._id}`, from: null, to: subformRow }]));
      const [audit] = await audits(body.id);
      expect(audit).toMatchObject({ action: 'record.create', actor_id: worker.id, outcome: 'allowed', details: { module: 'gbv', recordType: 'incident' } });
    });

    it('computes the derived fields a client leaves out', async () => {
      const computed = ['incident_date_derived', 'elapsed_reporting_time', 'number_of_perpetrators', 'gbv_case_context'];
      const sent = Object.fromEntries(Object.entries(incident).filter(([key]) => !computed.includes(key)));
      const body = (await api.worker.post(`${RECORDS}/incident`, { module: 'gbv', data: sent }).expect(201)).body;
      for (const key of computed) expect([key, body.data[key]]).toEqual([key, incident[key]]);
    });

    it('needs the module for a record type several modules define, and creates GBV and CP cases', async () => {
      const res = await api.worker.post(`${RECORDS}/case`, { data: { age: 16 } }).expect(400);
      expect(issuesOf(res.body)).toEqual([['/module', 'required']]);

      const gbv = await newCase({ age: 16, sex: 'female', survivor_code_no: 'SV-1' });
      expect(gbv).toMatchObject({ module: 'gbv', recordType: 'case', status: 'open', data: { age: 16, survivor_is_minor: true, number_of_follow_ups: 0 } });
      expect(gbv.displayId).toBe(`GBV-${gbv.shortId}`);

      const cp = (
        await api.cpWorker
          .post(`${RECORDS}/case`, { module: 'cp', data: { registration_date: '2026-11-01', sex: 'male', age: 9, name_first: 'Test', name_last: 'Child' } })
          .expect(201)
      ).body;
      expect(cp).toMatchObject({ module: 'cp', recordType: 'case', data: { child_age_group: '6-11', name: 'Test Child' } });
      expect(cp.displayId).toBe(`CP-${cp.shortId}`);
    });

    it('lists every problem with a /data pointer and stores nothing', async () => {
      const before = [await count('record'), await count('record_history'), await count('audit_log')];
      const res = await api.worker
        .post(`${RECORDS}/case`, { module: 'gbv', data: { age: 'sixteen', sex: 'not-a-sex', no_such_field: 1, date_of_birth: '2999-01-01', number_of_follow_ups: 4 } })
        .expect(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(issuesOf(res.body)).toEqual(
        expect.arrayContaining([
          ['/data/age', 'invalid_type'],
          ['/data/sex', 'not_an_option'],
          ['/data/no_such_field', 'unknown_field'],
          ['/data/date_of_birth', 'date_in_future'],
          ['/data/number_of_follow_ups', 'computed_mismatch'],
        ]),
      );
      expect([await count('record'), await count('record_history'), await count('audit_log')]).toEqual(before);
    });

    it('refuses every field the caller may not write (never drops it), with the other issues', async () => {
      const res = await api.intake
        .post(`${RECORDS}/case`, { module: 'gbv', data: { name: 'Hidden Name', client_feedback_date: '2026-11-01', age: -3, occupation: 'farmer' } })
        .expect(400);
      expect(issuesOf(res.body)).toEqual(
        expect.arrayContaining([
          ['/data/name', 'field_not_writable'],
          ['/data/client_feedback_date', 'field_not_writable'],
          ['/data/age', 'too_small'],
        ]),
      );
      expect(res.body.error.issues).toHaveLength(3);
      const ok = await newCase({ occupation: 'farmer' }, api.intake);
      expect(ok.data).toEqual({ occupation: 'farmer', number_of_follow_ups: 0, number_of_referrals: 0 });
    });

    it('answers 403 to a caller who may read the record type but not create, 404 to one who cannot see it', async () => {
      const before = await count('record');
      expect((await api.supervisor.post(`${RECORDS}/case`, { module: 'gbv', data: { age: 30 } }).expect(403)).body.error.code).toBe('forbidden');
      const hidden = await api.cpWorker.post(`${RECORDS}/incident`, { data: { age: 30 } }).expect(404);
      const missing = await api.worker.post(`${RECORDS}/no_such_type`, { data: {} }).expect(404);
      expect(hidden.body.error.message).toBe(missing.body.error.message);
      await api.worker.post(`${RECORDS}/incident`, { module: 'cp', data: {} }).expect(404);
      expect(await count('record')).toBe(before);
    });

    it('treats "__proto__" in data as the unknown field it is, on create and on change', async () => {
      const auth = { Authorization: `Bearer ${workerToken}`, 'Content-Type': 'application/json' };
      const created = await t.http().post(`${RECORDS}/incident`).set(auth).send('{"data": {"__proto__": {"age": 3}, "age": 20}}').expect(400);
      expect(issuesOf(created.body)).toEqual([['/data/__proto__', 'unknown_field']]);
      const rec = await newCase({ occupation: 'trader' });
      const changed = await t.http().patch(`${RECORDS}/case/${rec.id}`).set(auth).send('{"version": 1, "data": {"__proto__": {"occupation": "x"}}}').expect(400);
      expect(issuesOf(changed.body)).toEqual([['/data/__proto__', 'unknown_field']]);
    });

    it('refuses a malformed envelope', async () => {
      const res = await api.worker.post(`${RECORDS}/incident`, { data: [], extra: true }).expect(400);
      expect(issuesOf(res.body)).toEqual([
        ['/extra', 'unknown_field'],
        ['/data', 'invalid_type'],
      ]);
    });
  });

  describe('PATCH /records/:recordType/:id', () => {
    it('merges edits of different fields based on the same version', async () => {
      const rec = await newCase({ age: 30, occupation: 'trader' });
      const a = await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { occupation: 'teacher' } }).expect(200);
      expect(a.body).toMatchObject({ version: 2, data: { occupation: 'teacher', age: 30 } });
      expect(a.headers.etag).toBe('"2"');
      const b = await api.admin.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { age: 16 } }).expect(200);
      expect(b.body).toMatchObject({ version: 3, data: { occupation: 'teacher', age: 16, survivor_is_minor: true } });

      const row = await stored(rec.id);
      expect(row).toMatchObject({ version: 3, field_versions: { occupation: 2, age: 3, survivor_is_minor: 3 } });
      expect(row.updated_by).not.toBe(worker.id);
      const updates = (await history(rec.id)).filter((h: { action: string }) => h.action === 'update');
      expect(updates.map((h: { version: number; changes: unknown }) => [h.version, h.changes])).toEqual([
        [2, [{ path: 'occupation', from: 'trader', to: 'teacher' }]],
        [
          3,
          [
            { path: 'age', from: 30, to: 16 },
            { path: 'survivor_is_minor', from: false, to: true },
          ],
        ],
      ]);
      const audit = (await audits(rec.id)).filter((r: { action: string }) => r.action === 'record.update');
      expect(audit.map((r: { details: unknown }) => r.details)).toEqual([
        { module: 'gbv', recordType: 'case', fields: ['occupation'] },
        { module: 'gbv', recordType: 'case', fields: ['age', 'survivor_is_minor'] },
      ]);
    });

    it('answers 409 with the current values of the conflicting fields and writes nothing', async () => {
      const rec = await newCase({ occupation: 'trader', survivor_code_no: 'SV-9' });
      await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { occupation: 'teacher' } }).expect(200);
      const before = [await count('record_history', 'record_id = $1', [rec.id]), await count('audit_log')];
      const res = await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { occupation: 'nurse', survivor_code_no: 'SV-10' } }).expect(409);
      expect(res.body.error).toMatchObject({ code: 'version_conflict', issues: [], details: { currentVersion: 2, fields: { occupation: 'teacher' } } });
      expect(Object.keys(res.body.error.details.fields)).toEqual(['occupation']);
      expect(await stored(rec.id)).toMatchObject({ version: 2, data: { occupation: 'teacher', survivor_code_no: 'SV-9' } });
      expect([await count('record_history', 'record_id = $1', [rec.id]), await count('audit_log')]).toEqual(before);
      // Based on the current version, the same edit lands.
      await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 2, data: { occupation: 'nurse' } }).expect(200);
    });

    it('takes the version from If-Match, refuses a missing or contradicting one', async () => {
      const rec = await newCase({ occupation: 'trader' });
      const url = `${RECORDS}/case/${rec.id}`;
      await t.http().patch(url).set('Authorization', `Bearer ${workerToken}`).set('If-Match', '"1"').send({ data: { occupation: 'baker' } }).expect(200);
      const mismatch = await t.http().patch(url).set('Authorization', `Bearer ${workerToken}`).set('If-Match', '"2"').send({ version: 1, data: { occupation: 'x' } }).expect(400);
      expect(issuesOf(mismatch.body)).toEqual([['/version', 'version_mismatch']]);
      expect(issuesOf((await api.worker.patch(url, { data: { occupation: 'x' } }).expect(400)).body)).toEqual([['/version', 'required']]);
      expect(issuesOf((await api.worker.patch(url, { version: 9, data: { occupation: 'x' } }).expect(400)).body)).toEqual([['/version', 'unknown_version']]);
    });

    it('does not count writing the stored value as a change', async () => {
      const rec = await newCase({ occupation: 'trader' });
      await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { age: 40 } }).expect(200);
      const res = await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { occupation: 'trader', age: 40 } }).expect(200);
      expect(res.body.version).toBe(2);
      expect(await count('record_history', 'record_id = $1', [rec.id])).toBe(2);
    });

    it('refuses fields the caller may not write and computed values that differ, listing each', async () => {
      const rec = await newCase({ occupation: 'trader' }, api.intake);
      const res = await api.intake
        .patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { name: 'X', survivor_phone: '123', client_feedback_date: '2026-11-01', occupation: 'baker' } })
        .expect(400);
      expect(issuesOf(res.body)).toEqual([
        ['/data/name', 'field_not_writable'],
        ['/data/survivor_phone', 'field_not_writable'],
        ['/data/client_feedback_date', 'field_not_writable'],
      ]);
      const mismatch = await api.intake.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { number_of_follow_ups: 3 } }).expect(400);
      expect(issuesOf(mismatch.body)).toEqual([['/data/number_of_follow_ups', 'computed_mismatch']]);
      // The computed value it would have: accepted, no change.
      await api.intake.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { number_of_follow_ups: 0, occupation: 'baker' } }).expect(200);
      expect((await stored(rec.id)).version).toBe(2);
    });

    it('answers 403 to a reader who may not update, 404 to anybody who cannot read it or for the wrong type', async () => {
      const rec = await newCase({ occupation: 'trader' });
      const url = `${RECORDS}/case/${rec.id}`;
      expect((await api.supervisor.patch(url, { version: 1, data: { occupation: 'x' } }).expect(403)).body.error.code).toBe('forbidden');
      const hidden = await api.colleague.patch(url, { version: 1, data: { occupation: 'x' } }).expect(404);
      await api.cpWorker.patch(url, { version: 1, data: { occupation: 'x' } }).expect(404);
      await api.worker.patch(`${RECORDS}/incident/${rec.id}`, { version: 1, data: { occupation: 'x' } }).expect(404);
      await api.worker.patch(`${RECORDS}/case/not-a-uuid`, { version: 1, data: {} }).expect(404);
      const missing = await api.worker.patch(`${RECORDS}/case/${randomUUID()}`, { version: 1, data: { occupation: 'x' } }).expect(404);
      expect(hidden.body.error.message).toBe(missing.body.error.message);
      expect((await stored(rec.id)).version).toBe(1);
    });

    it('merges subform rows by _id: updates the fields sent, adds unknown ids, removes on _removed, keeps the rest', async () => {
      const [r1, r2, r3] = [randomUUID(), randomUUID(), randomUUID()];
      const rec = await newCase({
        action_plan_section: [
          { _id: r1, service_type: 'health_medical_service', service_referral: 'referred', service_provider: 'Clinic A' },
          { _id: r2, service_type: 'psychosocial_service', service_referral: 'referred' },
          { _id: r3, service_type: 'legal_assistance_service', service_referral: 'service_unavailable' },
        ],
      });
      expect(rec.data.number_of_referrals).toBe(2);
      const url = `${RECORDS}/case/${rec.id}`;
      const res = await api.worker
        .patch(url, {
          version: 1,
          data: {
            action_plan_section: [
              { _id: r1, service_provider: 'Clinic B' },
              { _id: r2, _removed: true },
              { service_type: 'safehouse_service', service_referral: 'referred' },
            ],
          },
        })
        .expect(200);
      const rows = res.body.data.action_plan_section as { _id: string }[];
      expect(rows).toEqual([
        { _id: r1, service_type: 'health_medical_service', service_referral: 'referred', service_provider: 'Clinic B' },
        { _id: r3, service_type: 'legal_assistance_service', service_referral: 'service_unavailable' },
        { _id: expect.any(String), service_type: 'safehouse_service', service_referral: 'referred' },
      ]);
      const added = rows[2]._id;
      expect(res.body.data.number_of_referrals).toBe(2);
      const [, update] = await history(rec.id);
      expect(update.changes.map((c: { path: string }) => c.path).sort()).toEqual(
        [`action_plan_section/${r1}/service_provider`, `action_plan_section/${r2}`, `action_plan_section/${added}`].sort(),
      );

      // Based on version 1: another row's field merges; the same row field and the removed row conflict.
      await api.worker.patch(url, { version: 1, data: { action_plan_section: [{ _id: r3, service_provider: 'Legal aid' }] } }).expect(200);
      const conflict = await api.worker
        .patch(url, { version: 1, data: { action_plan_section: [{ _id: r1, service_provider: 'Clinic C' }, { _id: r2, service_provider: 'Gone' }] } })
        .expect(409);
      expect(conflict.body.error.details).toEqual({
        currentVersion: 3,
        fields: { [`action_plan_section/${r1}/service_provider`]: 'Clinic B', [`action_plan_section/${r2}`]: null },
      });
    });

    it('shows conflicting rows only as far as the caller may read them', async () => {
      const row = randomUUID();
      const rec = await newCase({ action_plan_section: [{ _id: row, service_type: 'health_medical_service' }] }, api.intake);
      const url = `${RECORDS}/case/${rec.id}`;
      await api.admin.patch(url, { version: 1, data: { action_plan_section: [{ _id: row, action_plan_description: 'Private detail 7731' }] } }).expect(200);
      const res = await api.intake.patch(url, { version: 1, data: { action_plan_section: [{ _id: row, _removed: true }] } }).expect(409);
      expect(res.body.error.details.fields).toEqual({ [`action_plan_section/${row}`]: { _id: row, service_type: 'health_medical_service' } });
      expect(JSON.stringify(res.body)).not.toContain('Private detail 7731');
    });

    it('refuses to change a disabled record: 409 to those who may enable it, 404 to the others (as on the read path)', async () => {
      const rec = await newCase({ occupation: 'trader' });
      await api.admin.post(`${RECORDS}/case/${rec.id}/disable`, { reason: 'Duplicate' }).expect(200);
      expect((await api.admin.patch(`${RECORDS}/case/${rec.id}`, { version: 2, data: { occupation: 'x' } }).expect(409)).body.error.code).toBe('conflict');
      await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 2, data: { occupation: 'x' } }).expect(404);
      expect(await stored(rec.id)).toMatchObject({ version: 2, data: { occupation: 'trader' } });
    });

    it('keeps stored fields the record type no longer defines', async () => {
      const made = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: worker, data: { occupation: 'trader', retired_field: 'old value' } });
      const res = await api.worker.patch(`${RECORDS}/case/${made.id}`, { version: 1, data: { occupation: 'baker' } }).expect(200);
      expect(res.body.data).toMatchObject({ occupation: 'baker' });
      expect((await stored(made.id)).data).toMatchObject({ occupation: 'baker', retired_field: 'old value' });
      // Sending it is another matter: not a field of the record type.
      const sent = await api.worker.patch(`${RECORDS}/case/${made.id}`, { version: 2, data: { retired_field: 'new' } }).expect(400);
      expect(issuesOf(sent.body)).toEqual([['/data/retired_field', 'unknown_field']]);
    });
  });

  describe('disable and enable', () => {
    it('disables with a reason and enables again, each with history and audit rows; only with the disable permission', async () => {
      const rec = await newCase({ occupation: 'trader' });
      const url = `${RECORDS}/case/${rec.id}`;
      expect(issuesOf((await api.admin.post(`${url}/disable`, {}).expect(400)).body)).toEqual([['/reason', 'required']]);
      expect((await api.worker.post(`${url}/disable`, { reason: 'x' }).expect(403)).body.error.code).toBe('forbidden');
      await api.cpWorker.post(`${url}/disable`, { reason: 'x' }).expect(404);

      const disabled = await api.admin.post(`${url}/disable`, { reason: 'Entered twice' }).expect(200);
      expect(disabled.body).toMatchObject({ disabled: true, version: 2, data: { occupation: 'trader' } });
      // Disabling a disabled record changes nothing.
      expect((await api.admin.post(`${url}/disable`, { reason: 'Again' }).expect(200)).body.version).toBe(2);
      const enabled = await api.admin.post(`${url}/enable`).expect(200);
      expect(enabled.body).toMatchObject({ disabled: false, version: 3 });

      expect((await history(rec.id)).map((h: { version: number; action: string; changes: unknown }) => [h.version, h.action, h.changes])).toEqual([
        [1, 'create', [{ path: 'occupation', from: null, to: 'trader' }, expect.anything(), expect.anything()]],
        [2, 'disable', [{ path: '$disabled', from: false, to: true, reason: 'Entered twice' }]],
        [3, 'enable', [{ path: '$disabled', from: true, to: false }]],
      ]);
      // The two refused attempts (403, and 404 for a caller outside the record's scope) are audited as denied.
      expect((await audits(rec.id)).map((a: { action: string; outcome: string }) => `${a.action}:${a.outcome}`)).toEqual([
        'record.create:allowed',
        'record.disable:denied',
        'record.disable:denied',
        'record.disable:allowed',
        'record.enable:allowed',
      ]);
      expect(await count('record', 'id = $1 AND NOT disabled', [rec.id])).toBe(1);
    });
  });

  describe('audit', () => {
    it('names fields, never their values', async () => {
      const secret = `Distinctive-${randomUUID()}`;
      const rec = await newCase({ occupation: secret, survivor_code_no: secret });
      await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { occupation: `${secret}-2`, name: secret } }).expect(200);
      await api.worker.patch(`${RECORDS}/case/${rec.id}`, { version: 1, data: { occupation: `${secret}-3` } }).expect(409);
      const text = (await ds.query(`SELECT coalesce(string_agg(a::text, ' '), '') AS t FROM audit_log a`))[0].t as string;
      expect(text).not.toContain('Distinctive-');
      expect((await audits(rec.id)).map((a: { action: string; details: unknown }) => [a.action, a.details])).toEqual([
        ['record.create', { module: 'gbv', recordType: 'case', fields: ['occupation', 'survivor_code_no', 'number_of_referrals', 'number_of_follow_ups'] }],
        ['record.update', { module: 'gbv', recordType: 'case', fields: ['occupation', 'name'] }],
      ]);
      // History keeps the values (it is record data, read through the same field redaction).
      expect(JSON.stringify(await history(rec.id))).toContain(secret);
    });
  });

  describe('records made by the test factory', () => {
    it('are ordinary records to the write path', async () => {
      const made = await newRecord(ds, { module: 'gbv', recordType: 'incident', owner: worker, data: { age: 20 } });
      expect(made.displayId).toBe(`INC-${made.shortId}`);
      const res = await api.worker.patch(`${RECORDS}/incident/${made.id}`, { version: 1, data: { age: 21 } }).expect(200);
      expect(res.body).toMatchObject({ version: 2, owner: worker.username, agency: 'HOME', bundleHash, data: { age: 21 } });
      await api.colleague.patch(`${RECORDS}/incident/${made.id}`, { version: 2, data: { age: 22 } }).expect(404);
    });
  });
});

