import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { login, newUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const CLIENTS = 50;

/**
 * Many clients changing one record at the same moment, over real HTTP connections (the app listens on a loopback
 * port): the row lock and the field-level merge rule decide, and nothing is lost or written twice.
 */
describe('records: concurrent changes', () => {
  let t: TestApp;
  let ds: DataSource;
  let base: string;
  let token: string;
  let owner: { id: string };
  /** Text fields of a GBV case that take any short text on their own and together. */
  let textFields: string[];

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    const user = await newUser(ds, { roles: ['gbv_caseworker'] });
    owner = user;
    token = await login(t, user.username, user.password);

    const rt = t.app.get(ActiveConfigService).current().recordType('gbv', 'case');
    const ctx = { user: { id: user.id, agency: user.agency, roles: ['gbv_caseworker'], groups: [] }, today: '2026-01-01', now: '2026-01-01T00:00:00Z' };
    const candidates = rt.fields.filter((f) => !f.subform && !f.computed && !f.readOnly && (f.type === 'text' || f.type === 'textarea')).map((f) => f.path).filter((key) => key !== 'occupation');
    textFields = candidates.filter((key) => rt.process({ [key]: 'a value' }, ctx).issues.length === 0).slice(0, CLIENTS);
    expect(rt.process(Object.fromEntries(textFields.map((key) => [key, 'a value'])), ctx).issues).toEqual([]);
    expect(textFields).toHaveLength(CLIENTS);
  });
  afterAll(async () => {
    await t?.close();
  });

  const patch = (id: string, version: number, data: Record<string, unknown>) =>
    request(base).patch(`/api/v1/records/case/${id}`).set('Authorization', `Bearer ${token}`).send({ version, data });
  const newCase = () => newRecord(ds, { module: 'gbv', recordType: 'case', owner: owner.id, data: { occupation: 'initial' } });
  const stored = async (id: string) => (await ds.query(`SELECT version, data FROM record WHERE id = $1`, [id]))[0];
  const updates = async (id: string) =>
    ds.query(`SELECT version, changes FROM record_history WHERE record_id = $1 AND action = 'update' ORDER BY version`, [id]) as Promise<
      { version: number; changes: { path: string; to: unknown }[] }[]
    >;

  it(`${CLIENTS} changes of the same field based on the same version: one lands, the others get 409`, async () => {
    const rec = await newCase();
    const values = Array.from({ length: CLIENTS }, (_, i) => `same-field-${i}`);
    const results = await Promise.all(values.map((value) => patch(rec.id, 1, { occupation: value })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(CLIENTS - 1);
    const winner = values[statuses.indexOf(200)];
    for (const loser of results.filter((r) => r.status === 409)) {
      expect(loser.body.error).toMatchObject({ code: 'version_conflict', details: { currentVersion: 2, fields: { occupation: winner } } });
    }
    expect(await stored(rec.id)).toMatchObject({ version: 2, data: { occupation: winner } });
    expect(await updates(rec.id)).toHaveLength(1);
  });

  it(`${CLIENTS} changes of ${CLIENTS} different fields based on the same version: all land`, async () => {
    const rec = await newCase();
    const results = await Promise.all(textFields.map((field, i) => patch(rec.id, 1, { [field]: `field-${i}` })));
    expect(results.map((r) => r.status)).toEqual(textFields.map(() => 200));
    const row = await stored(rec.id);
    expect(row.version).toBe(CLIENTS + 1);
    textFields.forEach((field, i) => expect([field, row.data[field]]).toEqual([field, `field-${i}`]));
    expect(row.data.occupation).toBe('initial');
    const versions = (await updates(rec.id)).map((h) => h.version);
    expect(versions).toEqual(Array.from({ length: CLIENTS }, (_, i) => i + 2));
  });

  it(`${CLIENTS} clients that retry on 409 all land their change of the same field, in turn`, async () => {
    const rec = await newCase();
    const client = async (value: string): Promise<number> => {
      let version = 1;
      for (let attempt = 1; ; attempt++) {
        const res = await patch(rec.id, version, { occupation: value });
        if (res.status === 200) return attempt;
        expect(res.status).toBe(409);
        version = res.body.error.details.currentVersion as number;
      }
    };
    const values = Array.from({ length: CLIENTS }, (_, i) => `retry-${i}`);
    const attempts = await Promise.all(values.map(client));
    expect(Math.max(...attempts)).toBeGreaterThan(1);
    const row = await stored(rec.id);
    expect(row.version).toBe(CLIENTS + 1);
    const history = await updates(rec.id);
    expect(history).toHaveLength(CLIENTS);
    expect(history.map((h) => h.changes[0]?.to).sort()).toEqual([...values].sort());
    expect(row.data.occupation).toBe(history[CLIENTS - 1]?.changes[0]?.to);
  });
});
