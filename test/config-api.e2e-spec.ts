import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { createApp } from '../modules/create-app.js';
import { loadEnv } from '../modules/settings/env.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { as, login, newUser } from './support/factories.js';
import { createTestDatabase, withClient } from './support/test-database.js';
import { DataSource } from 'typeorm';

describe('configuration baseline and metadata API', () => {
  let t: TestApp;
  let api: ReturnType<typeof as>;
  beforeAll(async () => {
    t = await startTestApp();
    const user = await newUser(t.app.get(DataSource), { roles: ['gbv_caseworker', 'cp_caseworker'] });
    api = as(t, await login(t, user.username, user.password));
  });
  afterAll(async () => {
    await t.close();
  });

  it('activates the bundles on disk as the baseline on the first start, audited', async () => {
    const active = await withClient(t.db.url, (c) => c.query(`SELECT a.bundle_key, b.state, length(a.hash) AS len FROM config_active a JOIN config_bundle b USING (hash) ORDER BY 1`));
    expect(active.rows).toEqual([
      { bundle_key: 'core', state: 'active', len: 64 },
      { bundle_key: 'cp', state: 'active', len: 64 },
      { bundle_key: 'gbv', state: 'active', len: 64 },
    ]);
    const audit = await withClient(t.db.url, (c) => c.query(`SELECT object_id FROM audit_log WHERE action = 'config.baseline_activated' ORDER BY 1`));
    expect(audit.rows.map((r) => r.object_id)).toEqual(['core', 'cp', 'gbv']);
  });

  it('does not activate anything again on a second start, even with changed files on disk', async () => {
    const before = await withClient(t.db.url, (c) => c.query(`SELECT bundle_key, hash FROM config_active ORDER BY 1`));
    const changedDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-configs-'));
    try {
      await fs.cp(path.resolve('configs'), changedDir, { recursive: true });
      const lookupFile = path.join(changedDir, 'core/lookups/gender.json');
      const gender = JSON.parse(await fs.readFile(lookupFile, 'utf8'));
      gender.label = 'Sex (changed on disk)';
      await fs.writeFile(lookupFile, JSON.stringify(gender));
      const env = loadEnv({ LOG_LEVEL: 'silent', DATABASE_URL: t.db.url, HAVEN_CONFIG_DIR: changedDir });
      const second = await createApp({ env, databaseKind: t.db.kind, databaseUrl: t.db.url });
      try {
        const service = second.get(ActiveConfigService);
        expect(service.current().lookups.get('gender')?.label).toBe('Sex');
      } finally {
        await second.close();
      }
    } finally {
      await fs.rm(changedDir, { recursive: true, force: true });
    }
    const after = await withClient(t.db.url, (c) => c.query(`SELECT bundle_key, hash FROM config_active ORDER BY 1`));
    expect(after.rows).toEqual(before.rows);
  });

  it('lists modules with localized labels', async () => {
    const res = await api.get('/api/v1/modules?locale=fr').expect(200);
    expect(res.body.items.map((m: { key: string }) => m.key).sort()).toEqual(['cp', 'gbv']);
    const gbv = res.body.items.find((m: { key: string }) => m.key === 'gbv');
    expect(gbv.recordTypes.map((r: { key: string }) => r.key)).toEqual(['case', 'incident']);
    expect(gbv.bundle.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.configHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('serves GBV incident forms in French and Arabic (right to left)', async () => {
    const en = await api.get('/api/v1/forms?module=gbv&recordType=incident').expect(200);
    const fr = await api.get('/api/v1/forms?module=gbv&recordType=incident&locale=fr').expect(200);
    const ar = await api.get('/api/v1/forms?module=gbv&recordType=incident&locale=ar').expect(200);
    expect(en.body.forms.map((f: { key: string }) => f.key)).toEqual(fr.body.forms.map((f: { key: string }) => f.key));
    expect(ar.body.direction).toBe('rtl');
    expect(fr.body.direction).toBe('ltr');
    const enLabels = en.body.forms.map((f: { label: string }) => f.label);
    const frLabels = fr.body.forms.map((f: { label: string }) => f.label);
    expect(frLabels).not.toEqual(enLabels);
    const field = (body: { forms: Array<{ fields: Array<{ key: string; label: string; options?: Array<{ value: string; label: string }> }> }> }, key: string) =>
      body.forms.flatMap((f) => f.fields).find((f) => f.key === key)!;
    expect(field(fr.body, 'gbv_sexual_violence_type').options?.map((o) => o.value)).toEqual([
      'rape',
      'sexual_assault',
      'physical_assault',
      'forced_marriage',
      'denial_of_resources_opportunities_or_services',
      'psychological_emotional_abuse',
      'non-gbv',
    ]);
    expect(field(ar.body, 'incident_date').label).toMatch(/[\u0600-\u06FF]/);
  });

  it('falls back to the base language for a locale without translations', async () => {
    const res = await api.get('/api/v1/forms?module=cp&recordType=case&locale=sw').expect(200);
    const en = await api.get('/api/v1/forms?module=cp&recordType=case').expect(200);
    expect(res.body.forms[0].label).toBe(en.body.forms[0].label);
  });

  it('returns 404 for an unknown record type and a 400 listing every bad query parameter', async () => {
    const missing = await api.get('/api/v1/forms?module=gbv&recordType=tracing_request').expect(404);
    expect(missing.body.error.code).toBe('not_found');
    const bad = await api.get('/api/v1/forms?module=GBV').expect(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const paths = bad.body.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['/module', '/recordType']));
  });

  it('serves a lookup, localized, and 404 for an unknown one', async () => {
    const res = await api.get('/api/v1/lookups/gender?locale=fr').expect(200);
    expect(res.body.options.map((o: { value: string }) => o.value)).toEqual(['female', 'male', 'other']);
    expect(res.body.options[0].label).toBe('Féminin');
    await api.get('/api/v1/lookups/no_such_lookup').expect(404);
    await api.get('/api/v1/lookups/..%2F..%2Fetc').expect(404);
    const htp = await api.get('/api/v1/lookups/harmful_traditional_practice').expect(200);
    expect(htp.body.localizable).toBe(true);
  });

  it('walks the location hierarchy by parent and by level', async () => {
    const top = await api.get('/api/v1/locations').expect(200);
    expect(top.body.items.map((l: { code: string }) => l.code)).toEqual(['XX']);
    const counties = await api.get('/api/v1/locations?parent=XX').expect(200);
    expect(counties.body.items.length).toBeGreaterThan(1);
    for (const county of counties.body.items) expect(county).toMatchObject({ parent: 'XX', level: 1 });
    const level2 = await api.get('/api/v1/locations?level=2').expect(200);
    expect(level2.body.items.every((l: { level: number }) => l.level === 2)).toBe(true);
    await api.get('/api/v1/locations?parent=NOPE').expect(404);
    await api.get('/api/v1/locations?level=abc').expect(400);
  });
});

describe('configuration baseline with broken bundles', () => {
  it('refuses to start and lists every problem with file and pointer', async () => {
    const db = await createTestDatabase();
    const brokenDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-configs-'));
    try {
      await fs.cp(path.resolve('configs'), brokenDir, { recursive: true });
      await fs.writeFile(path.join(brokenDir, 'gbv/lookups/gbv_reported_elsewhere.json'), '{ not json');
      const env = loadEnv({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, HAVEN_CONFIG_DIR: brokenDir });
      await expect(createApp({ env, databaseKind: db.kind, databaseUrl: db.url })).rejects.toThrow(/lookups\/gbv_reported_elsewhere\.json#.*invalid_json/);
      const active = await withClient(db.url, (c) => c.query(`SELECT count(*)::int AS n FROM config_active`));
      expect(active.rows[0].n).toBe(0);
    } finally {
      await fs.rm(brokenDir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
