import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { PrincipalLoader } from '../modules/auth/principal.loader.js';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { parseListParams } from '../modules/records/query/list-params.js';
import { compileListQuery } from '../modules/records/query/list-query.js';
import { listSql } from '../modules/records/query/list-sql.js';
import { RecordIndexes, type IndexSpec } from '../modules/records/record-indexes.js';
import { as, login, newAgency, newGroup, newUser, type TestUser } from './support/factories.js';
import { activeConfigHash, buildIncidentIndexes } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type Page = { items: Array<{ id: string; data: Record<string, unknown> }>; total: number; totalIsEstimate?: boolean };

const RECORDS = '/api/v1/records';
const FILTER = { gbv_sexual_violence_type: 'forced_marriage', incident_date: { gte: '2025-03-01', lte: '2025-04-15' } };
const QUERY = 'module=gbv&filter[gbv_sexual_violence_type]=forced_marriage&filter[incident_date][gte]=2025-03-01&filter[incident_date][lte]=2025-04-15&sort=-incident_date';

describe('records: composite per-bundle indexes (indexes: [{ fields: [...] }])', () => {
  let t: TestApp;
  let ds: DataSource;
  let composite: IndexSpec;
  const users: Record<'worker' | 'mate' | 'other' | 'supervisor', TestUser> = {} as never;
  const api: Record<'worker' | 'supervisor', Api> = {} as never;

  /** The statement a list runs (page and capped total), as the service builds it for the user. */
  const listStatement = async (user: TestUser) => {
    const config = t.app.get(ActiveConfigService).current();
    const loader = new PrincipalLoader(ds, t.app.get(ActiveConfigService));
    const principal = loader.principal((await loader.user(user.id))!, 'test');
    const query = { filter: FILTER, sort: '-incident_date', pageSize: '20' };
    const { params } = parseListParams(query, QUERY);
    const compiled = compileListQuery(params, {
      type: config.recordType('gbv', 'incident'),
      readable: principal.ability.readableFields('gbv', 'incident'),
      canSeeDisabled: false,
      locations: config.locations,
    });
    return listSql(compiled, { module: 'gbv', recordType: 'incident', read: principal.ability.recordConditions('read', 'gbv', 'incident'), disable: [] }, 10_000);
  };

  const pages = async (who: 'worker' | 'supervisor'): Promise<Page[]> => {
    const out: Page[] = [];
    for (const page of [1, 2, 3]) out.push((await api[who].get(`${RECORDS}/incident?${QUERY}&pageSize=20&page=${page}`).expect(200)).body as Page);
    return out;
  };

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'HOME' });
    await newGroup(ds, { code: 'team-a', agency: 'HOME' });
    await newGroup(ds, { code: 'team-b', agency: 'HOME' });
    users.worker = await newUser(ds, { username: 'ci.worker', agency: 'HOME', groups: ['team-a'], roles: ['gbv_caseworker'] });
    users.mate = await newUser(ds, { username: 'ci.mate', agency: 'HOME', groups: ['team-a'], roles: ['gbv_caseworker'] });
    users.other = await newUser(ds, { username: 'ci.other', agency: 'HOME', groups: ['team-b'], roles: ['gbv_caseworker'] });
    users.supervisor = await newUser(ds, { username: 'ci.supervisor', agency: 'HOME', groups: ['team-a'], roles: ['gbv_supervisor'] });
    api.worker = as(t, await login(t, users.worker.username, users.worker.password));
    api.supervisor = as(t, await login(t, users.supervisor.username, users.supervisor.password));
    // 30,000 incidents: a third each the worker's and a colleague's (team a), a third another team's; one in 50 disabled;
    // eight violence types, dates over 600 days (the filters match about 1%).
    const hash = await activeConfigHash(ds);
    await ds.query(
      `INSERT INTO record (short_id, display_id, module, record_type, owner_id, owner_agency, owner_groups, status, bundle_hash, data, created_at, disabled)
       SELECT 'I' || lpad(i::text, 6, '0'), 'GBV-I' || i, 'gbv', 'incident', (ARRAY[$1::uuid, $2::uuid, $3::uuid])[1 + i % 3], 'HOME',
              CASE WHEN i % 3 = 2 THEN ARRAY['team-b'] ELSE ARRAY['team-a'] END, 'open', $4,
              jsonb_build_object(
                'gbv_sexual_violence_type', (ARRAY['rape','sexual_assault','physical_assault','forced_marriage','denial_of_resources','psychological_emotional_abuse','non_gbv','other'])[1 + i % 8],
                'incident_date', to_char(date '2024-01-01' + (i * 7919) % 600, 'YYYY-MM-DD')),
              now() - make_interval(secs => i), i % 50 = 0
         FROM generate_series(1, 30000) i`,
      [users.worker.id, users.mate.id, users.other.id, hash],
    );
    composite = await buildIncidentIndexes(t, ds);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('is built as declared: valid, over both fields and created_at, for rows with a value', async () => {
    expect(composite).toBeDefined();
    const [row] = (await ds.query(`SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`, [
      composite.name,
    ])) as Array<{ valid: boolean; def: string }>;
    expect(row?.valid).toBe(true);
    // The filters, then the creation order, then the scope columns (the owner's group key, owner, agency).
    expect(row?.def.replace(/\s+/g, ' ')).toContain(
      `USING btree (((data ->> 'gbv_sexual_violence_type'::text)), ((data ->> 'incident_date'::text)) COLLATE "C", created_at DESC, ( CASE WHEN (cardinality(owner_groups) = 1) THEN owner_groups[1] ELSE NULL::text END), owner_id, owner_agency) WHERE`,
    );
  });

  it.each(['worker', 'supervisor'] as const)('is what the planner uses for the filtered, sorted list of a %s', async (who) => {
    const sql = await listStatement(users[who]);
    const plan = ((await ds.query(`EXPLAIN ${sql.pageAndTotal}`, sql.itemsParams)) as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain(composite.name);
  });

  it('gives the same pages and totals with and without it, within each scope', async () => {
    const withIndex = { worker: await pages('worker'), supervisor: await pages('supervisor') };
    // Sanity: the filters match, the scopes differ, the pages are sorted and within the filters.
    expect(withIndex.worker[0]!.total).toBeGreaterThan(20);
    expect(withIndex.supervisor[0]!.total).toBeGreaterThan(withIndex.worker[0]!.total);
    const dates = withIndex.supervisor.flatMap((p) => p.items.map((i) => i.data.incident_date as string));
    expect(dates).toEqual([...dates].sort().reverse());
    expect(dates.every((d) => d >= FILTER.incident_date.gte && d <= FILTER.incident_date.lte)).toBe(true);
    const expected = (await ds.query(
      `SELECT count(*)::int AS n FROM record WHERE record_type = 'incident' AND owner_id = $1 AND NOT disabled AND data->>'gbv_sexual_violence_type' = 'forced_marriage'
          AND data->>'incident_date' BETWEEN $2 AND $3`,
      [users.worker.id, FILTER.incident_date.gte, FILTER.incident_date.lte],
    )) as Array<{ n: number }>;
    expect(withIndex.worker[0]!.total).toBe(expected[0]!.n);

    const indexes = t.app.get(RecordIndexes);
    const ready = () => indexes.compositeReady(t.app.get(ActiveConfigService).current(), 'gbv', 'incident', ['gbv_sexual_violence_type', 'incident_date']);
    await indexes.refreshValid();
    expect(ready()).toBe(true);
    await ds.query(`DROP INDEX ${composite.name}`);
    try {
      // Once the server sees the index gone, its lists leave the composite path (slower without the index).
      await indexes.refreshValid();
      expect(ready()).toBe(false);
      const sql = await listStatement(users.supervisor);
      const plan = ((await ds.query(`EXPLAIN ${sql.pageAndTotal}`, sql.itemsParams)) as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).not.toContain(composite.name);
      expect({ worker: await pages('worker'), supervisor: await pages('supervisor') }).toEqual(withIndex);
    } finally {
      await new RecordIndexes(t.app.get(ActiveConfigService), { databaseUrl: t.db.url } as never).ensure(t.app.get(ActiveConfigService).current());
    }
    const rebuilt = (await ds.query(`SELECT 1 FROM pg_class WHERE relname = $1`, [composite.name])) as unknown[];
    expect(rebuilt).toHaveLength(1);
    // Built by another RecordIndexes (as by another instance): seen at the next look.
    await indexes.refreshValid();
    expect(ready()).toBe(true);
  });
});
