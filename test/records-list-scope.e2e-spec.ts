import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { IndexSpec } from '../modules/records/record-indexes.js';
import { as, login, newAgency, newGroup, newUser, type TestUser } from './support/factories.js';
import { activeConfigHash, buildIncidentIndexes } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type Page = { items: Array<{ id: string }>; total: number; totalIsEstimate?: boolean };

const RECORDS = '/api/v1/records';
const FILTERED = 'module=gbv&filter[gbv_sexual_violence_type]=forced_marriage&filter[incident_date][gte]=2025-01-01&filter[incident_date][lte]=2025-06-30&sort=-incident_date';
const UNFILTERED = 'module=gbv';

/**
 * The group scope as lists write it (scope-sql.ts: the owner's single group as a scalar key, every other record
 * through the array) against the plain `owner_groups && groups` it replaces, on records whose owners are in one
 * group, several, none, or whose array is unusual (a lower bound other than 1, a NULL element).
 */
describe('records: list scope by the owner group key', () => {
  let t: TestApp;
  let ds: DataSource;
  let composite: IndexSpec;
  const users: Record<'owner' | 'supervisor' | 'twoTeams' | 'caseworker', TestUser> = {} as never;
  const api: Partial<Record<keyof typeof users, Api>> = {};

  /** Every id of a list, all pages (page size 100), and the total of its first page. */
  const everything = async (who: keyof typeof users, query: string): Promise<{ ids: string[]; total: number }> => {
    const ids: string[] = [];
    let total = -1;
    for (let page = 1; ; page++) {
      const body = (await api[who]!.get(`${RECORDS}/incident?${query}&pageSize=100&page=${page}`).expect(200)).body as Page;
      if (page === 1) total = body.total;
      ids.push(...body.items.map((i) => i.id));
      if (body.items.length < 100) break;
    }
    return { ids, total };
  };

  /** The ids the caller may read by the plain array overlap (the scope as it was written before), same filters. */
  const expected = async (user: TestUser, groups: readonly string[], filtered: boolean): Promise<string[]> => {
    const rows = (await ds.query(
      `SELECT id FROM record r
        WHERE module = 'gbv' AND record_type = 'incident' AND NOT disabled
          AND (r.owner_groups && $1::text[] OR r.owner_id = $2::uuid OR r.shared_with @> ARRAY[$2::uuid])
          AND ($3::boolean IS FALSE OR (data->>'gbv_sexual_violence_type' = 'forced_marriage' AND data->>'incident_date' BETWEEN '2025-01-01' AND '2025-06-30'))`,
      [groups, user.id, filtered],
    )) as Array<{ id: string }>;
    return rows.map((r) => r.id).sort();
  };

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'HOME' });
    for (const code of ['team-a', 'team-b', 'team-c']) await newGroup(ds, { code, agency: 'HOME' });
    users.owner = await newUser(ds, { username: 'ls.owner', agency: 'HOME', groups: ['team-c'], roles: ['gbv_caseworker'] });
    users.caseworker = await newUser(ds, { username: 'ls.caseworker', agency: 'HOME', groups: ['team-a'], roles: ['gbv_caseworker'] });
    users.supervisor = await newUser(ds, { username: 'ls.supervisor', agency: 'HOME', groups: ['team-a'], roles: ['gbv_supervisor'] });
    users.twoTeams = await newUser(ds, { username: 'ls.two', agency: 'HOME', groups: ['team-a', 'team-b'], roles: ['gbv_supervisor'] });
    for (const who of Object.keys(users) as Array<keyof typeof users>) api[who] = as(t, await login(t, users[who].username, users[who].password));
    // 12,000 incidents cycling through owner group arrays of every shape; a few owned by or shared with the
    // caseworker; one in 40 disabled; eight violence types, dates over 600 days.
    const hash = await activeConfigHash(ds);
    await ds.query(
      `INSERT INTO record (short_id, display_id, module, record_type, owner_id, owner_agency, owner_groups, shared_with, status, bundle_hash, data, created_at, disabled)
       SELECT 'S' || lpad(i::text, 6, '0'), 'GBV-S' || i, 'gbv', 'incident', CASE WHEN i % 97 = 0 THEN $2::uuid ELSE $1::uuid END, 'HOME',
              (ARRAY['{team-a}', '{team-b}', '{team-c}', '{team-a,team-b}', '{team-c,team-a}', '{}', '[0:0]={team-a}', '[2:2]={team-b}', '{NULL}', '{team-b,team-c}'])[1 + i % 10]::text[],
              CASE WHEN i % 89 = 0 THEN ARRAY[$2::uuid] ELSE '{}'::uuid[] END, 'open', $3,
              jsonb_build_object(
                'gbv_sexual_violence_type', (ARRAY['rape','sexual_assault','physical_assault','forced_marriage','denial_of_resources','psychological_emotional_abuse','non_gbv','other'])[1 + (i / 10) % 8],
                'incident_date', to_char(date '2024-07-01' + (i * 7919) % 600, 'YYYY-MM-DD')),
              now() - make_interval(secs => i), i % 40 = 0
         FROM generate_series(1, 12000) i`,
      [users.owner.id, users.caseworker.id, hash],
    );
    composite = await buildIncidentIndexes(t, ds);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('the migration made the group key index, the GIN indexes of the other and of the shared records, valid', async () => {
    const rows = (await ds.query(
      `SELECT c.relname AS name, i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname IN ('record_type_group_key_idx', 'record_owner_groups_other_idx', 'record_shared_with_some_idx') ORDER BY 1`,
    )) as Array<{ name: string; valid: boolean; def: string }>;
    expect(rows.map((r) => [r.name, r.valid])).toEqual([
      ['record_owner_groups_other_idx', true],
      ['record_shared_with_some_idx', true],
      ['record_type_group_key_idx', true],
    ]);
    expect(rows[0]!.def).toContain('USING gin (owner_groups) WHERE');
    expect(rows[1]!.def).toContain('USING gin (shared_with) WHERE (cardinality(shared_with) > 0)');
    expect(await ds.query(`SELECT 1 FROM pg_statistic_ext WHERE stxname = 'shared_with_count_stats'`)).toHaveLength(1);
    // The key is set for the three one-group shapes only ('{NULL}' and the arrays with other bounds have none).
    const [{ single }] = (await ds.query(
      `SELECT count(*)::int AS single FROM record WHERE (CASE WHEN cardinality(owner_groups) = 1 THEN owner_groups[1] END) IS NOT NULL`,
    )) as Array<{ single: number }>;
    expect(single).toBe(3_600);
  });

  it.each([
    ['supervisor', ['team-a'], false],
    ['supervisor', ['team-a'], true],
    ['twoTeams', ['team-a', 'team-b'], false],
    ['twoTeams', ['team-a', 'team-b'], true],
    ['caseworker', [], false],
    ['caseworker', [], true],
  ] as const)('%s (groups %j, filtered %s): the same records and total as the plain array overlap', async (who, groups, filtered) => {
    const want = await expected(users[who], groups, filtered);
    const got = await everything(who, filtered ? FILTERED : UNFILTERED);
    expect(got.ids.length).toBe(new Set(got.ids).size);
    expect([...got.ids].sort()).toEqual(want);
    expect(got.total).toBe(want.length);
    // Sanity: every shape of array is exercised (the supervisors reach records by a single group, by several, and
    // by an array with another lower bound; the caseworker only own and shared ones).
    if (who !== 'caseworker' && !filtered) {
      const shapes = (await ds.query(`SELECT DISTINCT array_lower(owner_groups, 1) AS lower, cardinality(owner_groups) AS n FROM record WHERE id = ANY($1::uuid[])`, [
        got.ids,
      ])) as Array<{ lower: number; n: number }>;
      expect(shapes).toEqual(expect.arrayContaining([{ lower: 1, n: 1 }, { lower: 1, n: 2 }, { lower: 0, n: 1 }]));
    } else if (who === 'caseworker') {
      expect(want.length).toBeGreaterThan(0);
    }
  });

  it("the filtered supervisor list finds the owner's group inside the composite index", async () => {
    expect(composite).toBeDefined();
    const [row] = (await ds.query(`SELECT pg_get_indexdef(c.oid) AS def FROM pg_class c WHERE c.relname = $1`, [composite.name])) as Array<{ def: string }>;
    expect(row?.def.replace(/\s+/g, ' ')).toContain('created_at DESC, ( CASE WHEN (cardinality(owner_groups) = 1) THEN owner_groups[1] ELSE NULL::text END), owner_id, owner_agency)');
    // A record moving to another team leaves the scope at once (the key is an expression, not a copy to maintain).
    const before = await everything('supervisor', FILTERED);
    const moved = before.ids[0]!;
    await ds.query(`UPDATE record SET owner_groups = '{team-c}' WHERE id = $1`, [moved]);
    const after = await everything('supervisor', FILTERED);
    expect(after.ids).not.toContain(moved);
    expect(after.total).toBe(before.total - 1);
    expect([...after.ids].sort()).toEqual(await expected(users.supervisor, ['team-a'], true));
  });
});
