import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { readBundleDir } from '../modules/config/bundle-files.js';
import { as, login, newUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type Files = Record<string, string>;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = promisify(execFile);
const CLI = path.resolve('dist/modules/cli/config.js');

function edit(files: Files, file: string, change: (json: Json) => void): void {
  const json = JSON.parse(files[file]!);
  change(json);
  files[file] = JSON.stringify(json, null, 2);
}

/** Translations of things a variant removes go too (a translation of a missing key is an issue). */
function dropTranslations(files: Files, pattern: RegExp): void {
  for (const file of Object.keys(files).filter((f) => f.startsWith('translations/'))) {
    edit(files, file, (json) => {
      for (const key of Object.keys(json)) if (pattern.test(key)) delete json[key];
    });
  }
}

const fieldsOf = (json: Json) => json.fields as Json[];

/**
 * A gbv version with one change of each breaking kind, plus harmless ones:
 * service_safehouse_provider removed (records hold it); service_safehouse_appointment_time text -> textarea (records
 * hold it); harmful_traditional_practice loses type_of_practice_5 (records hold it) and type_of_practice_4 (none
 * do); incident_description no longer identifying; gbv_supervisor no longer excludes @identifying on cases;
 * service_safehouse_location removed (no record holds it); a new field.
 */
async function breakingVariant(): Promise<Files> {
  const files = await readBundleDir(path.resolve('configs/gbv'));
  edit(files, 'bundle.json', (json) => (json.version = '2027.1.0'));
  edit(files, 'forms/gbv.incident.gbv_incident_form.json', (json) => {
    fieldsOf(json).find((f) => f.key === 'incident_description')!.identifying = false;
    json.fields.push({ key: 'incident_camp_block', type: 'text', label: 'Block of the camp' });
  });
  edit(files, 'forms/gbv.incident.incident_service_referrals.json', (json) => {
    json.fields = fieldsOf(json).filter((f) => !['service_safehouse_location', 'service_safehouse_provider'].includes(f.key));
    const time = fieldsOf(json).find((f) => f.key === 'service_safehouse_appointment_time')!;
    time.type = 'textarea';
    delete time.pattern;
  });
  edit(files, 'lookups/harmful_traditional_practice.json', (json) => {
    json.values = (json.values as Json[]).filter((v) => !['type_of_practice_4', 'type_of_practice_5'].includes(v.value));
  });
  edit(files, 'roles/gbv_supervisor.json', (json) => (json.records[0].excludeFields = []));
  dropTranslations(files, /service_safehouse_provider|service_safehouse_location|type_of_practice_[45]/);
  return files;
}

describe('bundle diff, breaking changes and import', () => {
  let t: TestApp;
  let admin: Api;
  let committee: Api;
  let activeGbv: string;

  beforeAll(async () => {
    t = await startTestApp();
    const ds = t.app.get(DataSource);
    const a = await newUser(ds, { roles: ['system_admin'] });
    const c = await newUser(ds, { roles: ['steering_committee'] });
    admin = as(t, await login(t, a.username, a.password));
    committee = as(t, await login(t, c.username, c.password));
    const worker = await newUser(ds, { roles: ['gbv_caseworker'] });
    await newRecord(ds, {
      module: 'gbv',
      recordType: 'incident',
      owner: worker,
      data: { service_safehouse_provider: 'Safe house A', service_safehouse_appointment_time: '10:00', harmful_traditional_practice: 'type_of_practice_5' },
    });
    activeGbv = (await admin.get('/api/v1/config/bundles/active?bundle=gbv').expect(200)).body.items[0].hash;
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses an invalid bundle with 422 invalid_bundle and every issue, storing nothing', async () => {
    const files = await readBundleDir(path.resolve('configs/gbv'));
    edit(files, 'forms/gbv.incident.gbv_incident_form.json', (json) => {
      fieldsOf(json)[0]!.type = 'no_such_type';
      fieldsOf(json)[1]!.lookup = 'no_such_lookup';
    });
    edit(files, 'lookups/harmful_traditional_practice.json', (json) => (json.values[1].value = json.values[0].value));
    const before = (await admin.get('/api/v1/config/bundles').expect(200)).body.total;
    const res = await admin.post('/api/v1/config/bundles', { files }).expect(422);
    expect(res.body.error.code).toBe('invalid_bundle');
    const codes = res.body.error.issues.map((i: { code: string }) => i.code);
    expect(codes).toEqual(expect.arrayContaining(['unknown_field_type', 'duplicate_option']));
    expect(res.body.error.issues.every((i: { path: string }) => i.path.startsWith('/files/'))).toBe(true);
    expect(res.body.error.issues.find((i: { code: string }) => i.code === 'duplicate_option').path).toBe('/files/lookups~1harmful_traditional_practice.json/values/1/value');
    expect((await admin.get('/api/v1/config/bundles').expect(200)).body.total).toBe(before);
    const shape = await admin.post('/api/v1/config/bundles', { files: { 'bundle.json': 42, '../x.json': '{}' } }).expect(400);
    expect(shape.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['/files/..~1x.json', '/files/bundle.json']);
    await committee.post('/api/v1/config/bundles', { files }).expect(403);
  });

  let next: string;

  it('diffs with every breaking flag decided on the records, and highlights identifying access', async () => {
    const imported = await admin.post('/api/v1/config/bundles', { files: await breakingVariant() }).expect(201);
    next = imported.body.hash;
    const res = await committee.get(`/api/v1/config/bundles/${activeGbv}/diff/${next}`).expect(200);
    const diff = res.body;
    expect(diff).toMatchObject({ bundle: 'gbv', from: { hash: activeGbv }, to: { hash: next, version: '2027.1.0' }, usageKnown: true });
    const change = (id: string) => diff.changes.find((c: { id: string }) => c.id === id);
    expect(change('bundle')).toMatchObject({ kind: 'bundle', change: 'changed', properties: ['version'] });
    expect(change('gbv/incident/service_safehouse_provider')).toMatchObject({ kind: 'field', change: 'removed', breaking: ['field_removed_with_data'] });
    expect(change('gbv/incident/service_safehouse_location')).toMatchObject({ kind: 'field', change: 'removed' });
    expect(change('gbv/incident/service_safehouse_location').breaking).toBeUndefined();
    expect(diff.breaking.find((b: { code: string }) => b.code === 'field_removed_with_data')).toMatchObject({ identifying: true });
    expect(change('gbv/incident/incident_camp_block')).toMatchObject({ kind: 'field', change: 'added', after: { type: 'text' } });
    expect(change('gbv/incident/service_safehouse_appointment_time')).toMatchObject({
      change: 'changed',
      before: { type: 'text' },
      after: { type: 'textarea' },
      breaking: ['field_type_changed_with_data'],
    });
    expect(change('lookup/harmful_traditional_practice/option/type_of_practice_5')).toMatchObject({ kind: 'option', change: 'removed', breaking: ['option_removed_in_use'] });
    expect(change('lookup/harmful_traditional_practice/option/type_of_practice_4').breaking).toBeUndefined();
    expect(change('gbv/incident/incident_description')).toMatchObject({ properties: ['identifying'], breaking: ['identifying_unmarked'] });
    expect(change('role/gbv_supervisor')).toMatchObject({ kind: 'role', change: 'changed', breaking: ['permission_widened'] });
    expect(change('translation/fr')).toMatchObject({ kind: 'translation', change: 'changed' });

    expect(diff.breaking.map((b: { code: string }) => b.code).sort()).toEqual([
      'field_removed_with_data',
      'field_type_changed_with_data',
      'identifying_unmarked',
      'option_removed_in_use',
      'permission_widened',
    ]);
    const widened = diff.breaking.find((b: { code: string }) => b.code === 'permission_widened');
    expect(widened).toMatchObject({ identifying: true });
    expect(widened.message).toMatch(/no longer excludes "@identifying"/);
    expect(diff.highlights.map((h: { id: string }) => h.id).sort()).toEqual(['gbv/incident/incident_description', 'role/gbv_supervisor']);
    expect(diff.highlights.find((h: { role?: string }) => h.role === 'gbv_supervisor')).toMatchObject({ module: 'gbv', recordType: 'case' });

    const pending = await admin.get(`/api/v1/config/bundles/${next}/diff`).expect(200);
    expect(pending.body.breaking).toEqual(diff.breaking);
  });

  it('a submission with breaking changes needs a migration note', async () => {
    const refused = await admin.post(`/api/v1/config/bundles/${next}/submit`, { description: 'Safe-house details simplified.' }).expect(400);
    expect(refused.body.error.issues[0]).toMatchObject({ code: 'migration_note_required', path: '/migrationNote' });
    expect(refused.body.error.issues[0].params.breaking).toHaveLength(5);
    const ok = await admin
      .post(`/api/v1/config/bundles/${next}/submit`, { description: 'Safe-house details simplified.', migrationNote: 'Old provider values stay readable on the record; supervisors are trained.' })
      .expect(200);
    expect(ok.body).toMatchObject({ state: 'submitted', migrationNote: 'Old provider values stay readable on the record; supervisors are trained.' });
    expect(ok.body.breaking).toHaveLength(5);
  });

  it('diffs only versions of one bundle, and known ones', async () => {
    const core = (await admin.get('/api/v1/config/bundles/active?bundle=core').expect(200)).body.items[0].hash;
    const res = await admin.get(`/api/v1/config/bundles/${core}/diff/${next}`).expect(400);
    expect(res.body.error.issues[0].code).toBe('different_bundles');
    await admin.get(`/api/v1/config/bundles/${'0'.repeat(64)}/diff/${next}`).expect(404);
    await admin.get(`/api/v1/config/bundles/not-a-hash`).expect(404);
  });

  it('npm run config -- import stores a draft in the database and prints its hash', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-import-'));
    try {
      // Only the bundle itself: its dependencies are the ACTIVE bundles in the database.
      await fs.cp(path.resolve('configs/cp'), path.join(dir, 'cp'), { recursive: true });
      const manifest = path.join(dir, 'cp/bundle.json');
      await fs.writeFile(manifest, JSON.stringify({ ...JSON.parse(await fs.readFile(manifest, 'utf8')), version: '2027.2.0' }));
      const env = { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: t.db.url };
      const first = await run(process.execPath, [CLI, 'import', path.join(dir, 'cp')], { env });
      const hash = first.stdout.trim();
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(first.stderr).toMatch(/as a draft/);
      const stored = await admin.get(`/api/v1/config/bundles/${hash}`).expect(200);
      expect(stored.body).toMatchObject({ key: 'cp', version: '2027.2.0', state: 'draft' });
      expect(stored.body.createdBy).toMatch(/^cli:/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
