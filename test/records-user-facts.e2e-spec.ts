import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { PrincipalLoader } from '../modules/auth/principal.loader.js';
import { UserFactsCache } from '../modules/auth/user-facts.cache.js';
import { as, login, newAgency, newGroup, newUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/**
 * The guard keeps users' facts in memory (modules/auth/user-facts.cache.ts): every change to a user, their groups,
 * a group or an agency must still reach the next requests, whoever makes it — here plain SQL, bypassing every
 * service, so only the database triggers can tell the server.
 */

const RECORDS = '/api/v1/records';

describe('records: users’ facts seen by the next request', () => {
  let t: TestApp;
  let ds: DataSource;
  let groupId: string;
  let agencyId: string;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    agencyId = (await newAgency(ds, { code: 'UFA' })).id;
    groupId = (await newGroup(ds, { code: 'ufa-gbv', agency: 'UFA' })).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const setUp = async () => {
    const worker = await newUser(ds, { agency: 'UFA', groups: ['ufa-gbv'], roles: ['gbv_caseworker'] });
    const supervisor = await newUser(ds, { agency: 'UFA', groups: ['ufa-gbv'], roles: ['gbv_supervisor'] });
    await newRecord(ds, { module: 'gbv', recordType: 'case', owner: worker.id, data: { survivor_code_no: 'UF-1', sex: 'female' } });
    const api = as(t, await login(t, supervisor.username, supervisor.password));
    const total = async () => {
      const res = await api.get(`${RECORDS}/case?module=gbv`);
      return res.status === 200 ? (res.body.total as number) : res.status;
    };
    // Twice: the second answer comes from the cache.
    expect(await total()).toBeGreaterThanOrEqual(1);
    expect(await total()).toBeGreaterThanOrEqual(1);
    return { supervisor, api, total };
  };

  it('caches: a further request reads no user row', async () => {
    const { supervisor, total } = await setUp();
    const loads = jest.spyOn(t.app.get(PrincipalLoader), 'user');
    try {
      expect(await total()).toBeGreaterThanOrEqual(1);
      expect(loads).not.toHaveBeenCalled();
      expect((await t.app.get(UserFactsCache).user(supervisor.id))?.groupCodes).toEqual(['ufa-gbv']);
    } finally {
      loads.mockRestore();
    }
  });

  it('a group membership removed in SQL', async () => {
    const { supervisor, total } = await setUp();
    await ds.query(`DELETE FROM app_user_group WHERE user_id = $1`, [supervisor.id]);
    expect(await eventually(async () => (await total()) === 0)).toBe(true);
  });

  it('a role taken away in SQL', async () => {
    const { supervisor, total } = await setUp();
    await ds.query(`UPDATE app_user SET roles = '{}' WHERE id = $1`, [supervisor.id]);
    expect(await eventually(async () => (await total()) === 404)).toBe(true);
  });

  it('a group disabled in SQL, then enabled again', async () => {
    const { total } = await setUp();
    await ds.query(`UPDATE user_group SET disabled = true WHERE id = $1`, [groupId]);
    try {
      expect(await eventually(async () => (await total()) === 0)).toBe(true);
    } finally {
      await ds.query(`UPDATE user_group SET disabled = false WHERE id = $1`, [groupId]);
    }
    expect(await eventually(async () => (await total()) !== 0)).toBe(true);
  });

  it('an agency disabled in SQL signs its users out', async () => {
    const { total } = await setUp();
    await ds.query(`UPDATE agency SET disabled = true WHERE id = $1`, [agencyId]);
    try {
      expect(await eventually(async () => (await total()) === 401)).toBe(true);
    } finally {
      await ds.query(`UPDATE agency SET disabled = false WHERE id = $1`, [agencyId]);
    }
  });
});
