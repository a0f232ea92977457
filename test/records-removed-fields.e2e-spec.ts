import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { readBundleDir } from '../modules/config/bundle-files.js';
import { as, login, newUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** A field that a newer bundle removes keeps its values: the record shows them read-only, nothing is lost. */
describe('records under a newer bundle', () => {
  let t: TestApp;
  let caseworker: ReturnType<typeof as>;
  let supervisorless: ReturnType<typeof as>;
  beforeAll(async () => {
    t = await startTestApp();
    const ds = t.app.get(DataSource);
    const user = async (roles: string[]) => {
      const u = await newUser(ds, { roles });
      return as(t, await login(t, u.username, u.password));
    };
    caseworker = await user(['gbv_caseworker']);
    supervisorless = await user(['cp_caseworker']);
    const admin = await user(['system_admin']);
    const sc1 = await user(['steering_committee']);
    const sc2 = await user(['steering_committee']);

    const created = await caseworker.post('/api/v1/records/case', { module: 'gbv', data: { occupation: 'Teacher', dependents_no: 'two' } }).expect(201);
    (globalThis as { __recordId?: string }).__recordId = created.body.id;

    // A new gbv bundle without the case's `occupation` field, through the whole governance lifecycle.
    const files = await readBundleDir(path.resolve('configs/gbv'));
    const formPath = 'forms/gbv.case.gbv_survivor_information.json';
    const form = JSON.parse(files[formPath]!);
    form.fields = form.fields.filter((f: { key: string }) => f.key !== 'occupation');
    files[formPath] = JSON.stringify(form);
    for (const [file, text] of Object.entries(files)) {
      if (file.endsWith('.json') && text.includes('.occupation.') && file !== formPath) {
        // Drop every other reference (translations, record type list fields, export mapping) to keep it valid.
        const json = JSON.parse(text);
        files[file] = JSON.stringify(json, (key, value) => (key.startsWith('field.gbv.case.occupation.') ? undefined : value));
      }
    }
    const manifest = JSON.parse(files['bundle.json']!);
    files['bundle.json'] = JSON.stringify({ ...manifest, version: '2026.11.1' });
    const draft = await admin.post('/api/v1/config/bundles', { files });
    if (draft.status !== 201) throw new Error(`import: ${draft.status} ${JSON.stringify(draft.body).slice(0, 2000)}`);
    const hash = draft.body.hash as string;
    await admin.post(`/api/v1/config/bundles/${hash}/submit`, { description: 'Remove occupation', migrationNote: 'Values stay on the records, read-only.' }).expect(200);
    await sc1.post(`/api/v1/config/bundles/${hash}/approve`, { comment: 'ok' }).expect(200);
    await sc2.post(`/api/v1/config/bundles/${hash}/approve`, { comment: 'ok' }).expect(200);
    await admin.post(`/api/v1/config/bundles/${hash}/activate`).expect(200);
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows the removed field value read-only and keeps it through later edits', async () => {
    const id = (globalThis as { __recordId?: string }).__recordId!;
    const before = await caseworker.get(`/api/v1/records/case/${id}`).expect(200);
    expect(before.body.data.occupation).toBeUndefined();
    expect(before.body.removedFields).toEqual([expect.objectContaining({ path: 'occupation', value: 'Teacher' })]);
    const patched = await caseworker.patch(`/api/v1/records/case/${id}`, { version: before.body.version, data: { dependents_no: 'three' } }).expect(200);
    expect(patched.body.data.dependents_no).toBe('three');
    const after = await caseworker.get(`/api/v1/records/case/${id}`).expect(200);
    expect(after.body.removedFields).toEqual([expect.objectContaining({ path: 'occupation', value: 'Teacher' })]);
    const refused = await caseworker.patch(`/api/v1/records/case/${id}`, { version: after.body.version, data: { occupation: 'Nurse' } });
    expect(refused.status).toBe(400);
  });

  it('shows nothing to a caller who cannot see the record', async () => {
    const id = (globalThis as { __recordId?: string }).__recordId!;
    await supervisorless.get(`/api/v1/records/case/${id}`).expect(404);
  });
});
