import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { logger } from '../modules/common/logger.js';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { indexFor, RecordIndexes, wantedIndexes } from '../modules/records/record-indexes.js';
import { configsWith } from './support/configs.js';
import { as, login, newAgency, newGroup, newUser, type TestUser } from './support/factories.js';
import { activeConfigHash, newRecord, type TestRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type View = { id: string; shortId: string; displayId: string; status: string; disabled: boolean; owner: string; data: Record<string, unknown> };
type IssueBody = { code: string; path: string };

/** Test-only role: reads the group's GBV records and may disable them (and so list disabled ones); no history. */
const RECORDS_KEEPER = {
  key: 'gbv_records_keeper',
  label: 'GBV records keeper',
  secondFactor: 'optional',
  records: [{ module: 'gbv', recordTypes: ['case', 'incident'], scope: 'group', actions: ['read', 'disable'], forms: { '*': 'read' } }],
};

const RECORDS = '/api/v1/records';
const NAME = 'Zelda-Quixotic-Survivor';
const issues = (body: { error: { issues: IssueBody[] } }) => body.error.issues.map((i) => [i.path, i.code]);
const ids = (body: { items: View[] }) => body.items.map((i) => i.id);

describe('records: the read path', () => {
  let t: TestApp;
  let ds: DataSource;
  let configs: Awaited<ReturnType<typeof configsWith>>;
  const api: Record<'worker' | 'colleague' | 'supervisor' | 'keeper' | 'both' | 'manager', Api> = {} as never;
  const users: Record<string, TestUser> = {};
  const rec: Record<string, TestRecord> = {};

  const list = (who: keyof typeof api, query: string, status = 200) => api[who].get(`${RECORDS}/case?module=gbv&${query}`).expect(status);

  beforeAll(async () => {
    configs = await configsWith({
      'gbv/roles/gbv_records_keeper.json': RECORDS_KEEPER,
    });
    t = await startTestApp({ HAVEN_CONFIG_DIR: configs.dir });
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'HOME' });
    await newGroup(ds, { code: 'home-gbv', agency: 'HOME' });
    const roles = { worker: ['gbv_caseworker'], colleague: ['gbv_caseworker'], supervisor: ['gbv_supervisor'], keeper: ['gbv_records_keeper'], both: ['gbv_caseworker', 'cp_caseworker'], manager: ['gbv_manager'] } as const;
    for (const [name, r] of Object.entries(roles) as [keyof typeof api, readonly string[]][]) {
      users[name] = await newUser(ds, { username: `read.${name}`, agency: 'HOME', groups: ['home-gbv'], roles: [...r] });
      api[name] = as(t, await login(t, users[name].username, users[name].password));
    }
    const w = users.worker;
    const at = (day: number) => new Date(Date.UTC(2025, 0, day, 12));
    rec.c1 = await newRecord(ds, {
      module: 'gbv', recordType: 'case', owner: w, createdAt: at(1), history: true,
      data: { name: NAME, survivor_code_no: 'SC-100%_x', sex: 'female', age: 12, date_closure: '2025-03-01', consent_for_services: true },
    });
    rec.c2 = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: w, createdAt: at(2), status: 'closed', data: { survivor_code_no: 'SC-200', sex: 'male', age: 17, date_closure: '2025-06-15', consent_for_services: false } });
    rec.c3 = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: w, createdAt: at(3), data: { survivor_code_no: 'SC-300', sex: 'female', age: 30 } });
    rec.c4 = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: w, createdAt: at(4), disabled: true, data: { survivor_code_no: 'SC-400', sex: 'female', age: 15 } });
    rec.c5 = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: w, createdAt: at(5), data: { survivor_code_no: 'SC-500', sex: 'other' } });
    rec.c6 = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: users.colleague, createdAt: at(6), data: { survivor_code_no: 'SC-600', sex: 'female', age: 14 } });
    rec.c7 = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: users.colleague, createdAt: at(7), sharedWith: [w], data: { survivor_code_no: 'SC-700', sex: 'female', age: 16 } });
    await ds.query(`UPDATE record SET flagged = true, flags = $2 WHERE id = $1`, [rec.c3.id, JSON.stringify([{ id: randomUUID(), reason: 'check', by: w.username, at: at(3).toISOString() }])]);
    const perp = (sex: string) => [{ _id: randomUUID(), perpetrator_sex: sex }];
    rec.i1 = await newRecord(ds, { module: 'gbv', recordType: 'incident', owner: w, createdAt: at(1), data: { incident_location: 'XX01D01C01', incident_date: '2024-12-01', alleged_perpetrator: perp('male') } });
    rec.i2 = await newRecord(ds, { module: 'gbv', recordType: 'incident', owner: w, createdAt: at(2), data: { incident_location: 'XX02D01', incident_date: '2024-11-01', alleged_perpetrator: perp('female') } });
    rec.i3 = await newRecord(ds, { module: 'gbv', recordType: 'incident', owner: w, createdAt: at(3), data: { incident_location: 'XX01', incident_date: '2024-10-01' } });
    for (let i = 0; i < 25; i++) {
      await newRecord(ds, { module: 'gbv', recordType: 'case', owner: users.both, createdAt: at(10 + i), data: { survivor_code_no: `PAGE-${String(i).padStart(2, '0')}`, age: i } });
    }
    await t.app.get(RecordIndexes).whenIdle();
  });
  afterAll(async () => {
    await t?.close();
    await configs?.remove();
  });

  describe('GET one record', () => {
    it('returns the record view, and audits the read of identifying data (ids and field names only)', async () => {
      const res = await api.worker.get(`${RECORDS}/case/${rec.c1.id}`).expect(200);
      expect(res.body).toMatchObject({ id: rec.c1.id, shortId: rec.c1.shortId, module: 'gbv', recordType: 'case', owner: 'read.worker', agency: 'HOME', status: 'open', disabled: false });
      expect(res.body.data).toMatchObject({ name: NAME, age: 12, sex: 'female' });
      const [audit] = await ds.query(`SELECT actor, details FROM audit_log WHERE action = 'record.read' AND object_id = $1 ORDER BY id DESC LIMIT 1`, [rec.c1.id]);
      expect(audit.actor).toBe('read.worker');
      expect(audit.details).toMatchObject({ identifying: true, module: 'gbv', recordType: 'case', fields: ['name'] });
      expect(JSON.stringify(audit)).not.toContain(NAME);
    });

    it('a read without identifying data is not audited', async () => {
      const before = await ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'record.read' AND object_id = $1`, [rec.c3.id]);
      await api.worker.get(`${RECORDS}/case/${rec.c3.id}`).expect(200);
      const after = await ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'record.read' AND object_id = $1`, [rec.c3.id]);
      expect(after[0].n).toBe(before[0].n);
    });

    it('missing, malformed, out of scope, disabled and wrong-type ids are the same 404', async () => {
      const strip = (b: { error: Record<string, unknown> }) => ({ ...b.error, requestId: undefined });
      const missing = await api.worker.get(`${RECORDS}/case/${randomUUID()}`).expect(404);
      for (const url of [`${RECORDS}/case/not-a-uuid`, `${RECORDS}/case/${rec.c6.id}`, `${RECORDS}/case/${rec.c4.id}`, `${RECORDS}/incident/${rec.c1.id}`, `${RECORDS}/case/${rec.c1.id}?module=cp`, `${RECORDS}/nope/${rec.c1.id}`]) {
        const res = await api.worker.get(url);
        expect([url, res.status, strip(res.body)]).toEqual([url, 404, strip(missing.body)]);
      }
    });

    it('shared records are readable; disabled ones only with the disable action', async () => {
      await api.worker.get(`${RECORDS}/case/${rec.c7.id}`).expect(200);
      const res = await api.keeper.get(`${RECORDS}/case/${rec.c4.id}`).expect(200);
      expect(res.body.disabled).toBe(true);
    });

    it('refuses unknown query parameters', async () => {
      const res = await api.worker.get(`${RECORDS}/case/${rec.c1.id}?foo=1`).expect(400);
      expect(issues(res.body)).toEqual([['/foo', 'unknown_field']]);
    });
  });

  describe('lists', () => {
    it('lists own and shared records, newest first, without disabled ones', async () => {
      const res = await list('worker', '');
      expect(ids(res.body)).toEqual([rec.c7, rec.c5, rec.c3, rec.c2, rec.c1].map((r) => r.id));
      expect(res.body).toMatchObject({ total: 5, page: 1, pageSize: 20 });
      expect(res.body.totalIsEstimate).toBeUndefined();
    });

    it('audits a list that returns identifying data (one row, ids and field names)', async () => {
      await list('worker', 'filter[sex]=female');
      const [audit] = await ds.query(`SELECT object_id, details FROM audit_log WHERE action = 'record.read' AND actor = 'read.worker' ORDER BY id DESC LIMIT 1`);
      expect(audit.object_id).toBeNull();
      expect(audit.details).toMatchObject({ identifying: true, list: true, ids: [rec.c1.id], fields: ['name'] });
    });

    it.each<[string, string, string[]]>([
      ['equality', 'filter[sex]=male', ['c2']],
      ['a list of values', 'filter[sex]=male,other', ['c5', 'c2']],
      ['a repeated parameter', 'filter[sex]=male&filter[sex]=other', ['c5', 'c2']],
      ['a number range', 'filter[age][gte]=12&filter[age][lt]=18', ['c7', 'c2', 'c1']],
      ['a number', 'filter[age]=30', ['c3']],
      ['a date range', 'filter[date_closure][gte]=2025-03-01&filter[date_closure][lte]=2025-06-01', ['c1']],
      ['a date equality', 'filter[date_closure]=2025-06-15', ['c2']],
      ['a yes/no', 'filter[consent_for_services]=false', ['c2']],
      ['status', 'filter[status]=closed', ['c2']],
      ['flags', 'filter[flagged]=true', ['c3']],
      ['not flagged', 'filter[flagged]=false&filter[sex]=female', ['c7', 'c1']],
      ['owner', 'filter[owner]=READ.colleague', ['c7']],
      ['createdAt range', 'filter[createdAt][gte]=2025-01-03&filter[createdAt][lt]=2025-01-06', ['c5', 'c3']],
      ['several filters', 'filter[sex]=female&filter[age][gt]=12', ['c7', 'c3']],
    ])('filters by %s', async (_name, query, expected) => {
      const res = await list('worker', query);
      expect(ids(res.body)).toEqual(expected.map((k) => rec[k].id));
      expect(res.body.total).toBe(expected.length);
    });

    it('filters by short id', async () => {
      expect(ids((await list('worker', `filter[shortId]=${rec.c2.shortId},${rec.c3.shortId}`)).body)).toEqual([rec.c3.id, rec.c2.id]);
    });

    it('filters locations with their descendants', async () => {
      const inc = (q: string) => api.worker.get(`${RECORDS}/incident?${q}`).expect(200);
      expect(ids((await inc('filter[incident_location]=XX01')).body)).toEqual([rec.i3.id, rec.i1.id]);
      expect(ids((await inc('filter[incident_location]=XX02')).body)).toEqual([rec.i2.id]);
      expect(ids((await inc('filter[incident_location]=XX01D01C01')).body)).toEqual([rec.i1.id]);
      expect(ids((await inc('filter[incident_location]=XX')).body)).toEqual([rec.i3.id, rec.i2.id, rec.i1.id]);
      expect(ids((await inc('filter[incident_date][lt]=2024-11-15')).body)).toEqual([rec.i3.id, rec.i2.id]);
      expect(ids((await inc('filter[alleged_perpetrator.perpetrator_sex]=female')).body)).toEqual([rec.i2.id]);
    });

    it('filters disabled records only with the disable action', async () => {
      expect(issues((await list('worker', 'filter[disabled]=true', 400)).body)).toEqual([['/filter/disabled', 'not_filterable']]);
      expect(ids((await list('keeper', 'filter[disabled]=true')).body)).toEqual([rec.c4.id]);
      const all = await list('keeper', 'filter[disabled]=true,false&filter[owner]=read.worker');
      expect(ids(all.body)).toEqual([rec.c5, rec.c4, rec.c3, rec.c2, rec.c1].map((r) => r.id));
    });

    it.each<[string, string[]]>([
      ['age', ['c1', 'c7', 'c2', 'c3', 'c5']],
      ['-age', ['c3', 'c2', 'c7', 'c1', 'c5']],
      ['createdAt', ['c1', 'c2', 'c3', 'c5', 'c7']],
      ['status,-createdAt', ['c2', 'c7', 'c5', 'c3', 'c1']],
      ['-survivor_code_no', ['c7', 'c5', 'c3', 'c2', 'c1']],
      ['date_closure', ['c1', 'c2', 'c7', 'c5', 'c3']],
    ])('sorts by %s', async (sort, expected) => {
      const res = await list('worker', `sort=${sort}`);
      const got = ids(res.body);
      if (sort === 'date_closure') {
        // Records without a closure date come last, in no guaranteed order among themselves.
        expect(got.slice(0, 2)).toEqual([rec.c1.id, rec.c2.id]);
        expect(new Set(got.slice(2))).toEqual(new Set([rec.c7.id, rec.c5.id, rec.c3.id]));
      } else {
        expect(got).toEqual(expected.map((k) => rec[k].id));
      }
    });

    it('sorts by shortId', async () => {
      const res = await list('worker', 'sort=-shortId');
      const shortIds = res.body.items.map((i: View) => i.shortId);
      expect(shortIds).toEqual([...shortIds].sort().reverse());
    });

    it('searches searchable fields and ids, with LIKE wildcards taken literally', async () => {
      expect(ids((await list('worker', 'q=sc-3')).body)).toEqual([rec.c3.id]);
      expect(ids((await list('worker', `q=${encodeURIComponent('100%_')}`)).body)).toEqual([rec.c1.id]);
      expect(ids((await list('worker', `q=${encodeURIComponent('%')}`)).body)).toEqual([rec.c1.id]);
      expect(ids((await list('worker', `q=_`)).body)).toEqual([rec.c1.id]);
      expect(ids((await list('worker', `q=${rec.c2.shortId.toLowerCase()}`)).body)).toEqual([rec.c2.id]);
      expect(ids((await list('worker', `q=${encodeURIComponent(rec.c5.displayId)}`)).body)).toEqual([rec.c5.id]);
      // The name is not a searchable field of GBV cases.
      expect((await list('worker', `q=${NAME}`)).body.items).toEqual([]);
    });

    it('pages, with exact totals whether or not the page is full', async () => {
      const page = (n: number) => list('both', `q=PAGE-&pageSize=10&page=${n}&sort=survivor_code_no`);
      const p1 = await page(1);
      expect(p1.body).toMatchObject({ total: 25, page: 1, pageSize: 10 });
      expect(p1.body.items.map((i: View) => i.data.survivor_code_no)).toEqual(Array.from({ length: 10 }, (_, i) => `PAGE-${String(i).padStart(2, '0')}`));
      expect((await page(2)).body.total).toBe(25);
      const p3 = await page(3);
      expect(p3.body.items).toHaveLength(5);
      expect(p3.body.total).toBe(25);
      const p4 = await page(4);
      expect(p4.body).toMatchObject({ items: [], total: 25, page: 4 });
      const max = await list('both', 'q=PAGE-&pageSize=100&page=1');
      expect(max.body.items).toHaveLength(25);
    });

    it('needs module where several readable modules define the record type', async () => {
      const res = await api.both.get(`${RECORDS}/case`).expect(400);
      expect(issues(res.body)).toEqual([['/module', 'module_required']]);
      expect((await api.both.get(`${RECORDS}/case?module=cp`).expect(200)).body.items).toEqual([]);
      // One readable module: no need to say it.
      expect((await api.worker.get(`${RECORDS}/case`).expect(200)).body.total).toBe(5);
    });

    it('a record type the caller cannot read is a 404 like an unknown one', async () => {
      const strip = (b: { error: Record<string, unknown> }) => ({ ...b.error, requestId: undefined });
      const unknown = await api.worker.get(`${RECORDS}/no_such_type`).expect(404);
      for (const url of [`${RECORDS}/case?module=cp`, `${RECORDS}/tracing_request`, `${RECORDS}/Case`, `${RECORDS}/case?module=nope`]) {
        const res = await api.worker.get(url);
        expect([url, res.status, strip(res.body)]).toEqual([url, 404, strip(unknown.body)]);
      }
      const manager = await api.manager.get(`${RECORDS}/case?module=gbv&filter[name]=x`);
      expect([manager.status, strip(manager.body)]).toEqual([404, strip(unknown.body)]);
    });
  });

  it('documents the query syntax in the OpenAPI description', async () => {
    const doc = await t.http().get('/api/docs-json').expect(200);
    const op = doc.body.paths['/api/v1/records/{recordType}'].get;
    expect(op.description).toContain('filter[age][gte]=12&filter[age][lt]=18');
    expect(op.description).toContain('totalIsEstimate');
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['module', 'q', 'filter', 'sort', 'page', 'pageSize']));
    expect(doc.body.paths['/api/v1/records/{recordType}/{id}/history'].get).toBeDefined();
  });

  describe('bad parameters: 400 with an issue per parameter, never 5xx', () => {
    it.each<[string, Array<[string, string]>]>([
      ['filter[__proto__][x]=1', [['/filter/__proto__', 'forbidden_key']]],
      ['__proto__[x]=1', [['/__proto__', 'forbidden_key']]],
      ['filter[constructor][a]=1', [['/filter/constructor', 'forbidden_key'], ['/filter/constructor', 'not_filterable']]],
      ['filter[toString]=1', [['/filter/toString', 'not_filterable']]],
      ['filter[hasOwnProperty]=1', [['/filter/hasOwnProperty', 'not_filterable']]],
      ['sort=data', [['/sort', 'not_sortable']]],
      ['sort=constructor', [['/sort', 'not_sortable']]],
      ['sort[]=age', [['/sort', 'invalid_type']]],
      ['sort[a]=age', [['/sort', 'invalid_type']]],
      ['filter[age][regex]=x', [['/filter/age/regex', 'unsupported_operator']]],
      ['filter[age][gte][x]=1', [['/filter/age/gte', 'invalid_type']]],
      ['filter[age][gte]=abc', [['/filter/age/gte', 'invalid_value']]],
      ['filter[age]=1e400', [['/filter/age', 'invalid_value']]],
      ['filter[sex][gte]=a', [['/filter/sex/gte', 'unsupported_operator']]],
      ['filter[date_closure]=2025-13-01', [['/filter/date_closure', 'invalid_date']]],
      ['filter[incident_location]=XX01', [['/filter/incident_location', 'not_filterable']]],
      ['filter=abc', [['/filter', 'invalid_type']]],
      ['filter[sex]=', [['/filter/sex', 'required']]],
      ['filter[a][b][c][d][e][f][g]=1', [['/filter/a/b', 'unsupported_operator']]],
      ['page=0', [['/page', 'too_small']]],
      ['page=-1', [['/page', 'invalid_type']]],
      ['page[]=1', [['/page', 'invalid_type']]],
      ['pageSize=1000', [['/pageSize', 'too_large']]],
      ['pageSize=1.5', [['/pageSize', 'invalid_type']]],
      ['q=<10,000 characters>', [['/q', 'too_long']]],
      ['q[a]=1', [['/q', 'invalid_type']]],
      ['module[]=gbv', [['/module', 'invalid_type']]],
      ['bogus=1', [['/bogus', 'unknown_parameter']]],
      ['page=0&pageSize=0&sort=data&filter[nope]=1', [['/page', 'too_small'], ['/pageSize', 'too_small'], ['/filter/nope', 'not_filterable'], ['/sort', 'not_sortable']]],
    ])('%s', async (query, expected) => {
      const res = await api.worker.get(`${RECORDS}/case?${query.replace('<10,000 characters>', 'x'.repeat(10_000))}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(issues(res.body)).toEqual(expected);
    });
  });

  describe('history', () => {
    let historyRecord: TestRecord;
    const rowId = randomUUID();
    beforeAll(async () => {
      historyRecord = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: users.worker, history: true, data: { name: NAME, sex: 'female', age: 20 } });
      const changes = [
        { path: 'age', from: 20, to: 21 },
        { path: 'name', from: NAME, to: `${NAME}-2` },
        { path: `action_plan_section/${rowId}`, from: null, to: { _id: rowId, service_type: 'health', action_plan_description: `${NAME} plan` } },
        { path: `action_plan_section/${rowId}/action_plan_description`, from: `${NAME} plan`, to: `${NAME} plan 2` },
        { path: `action_plan_section/${rowId}/service_type`, from: 'health', to: 'legal' },
      ];
      await ds.query(`INSERT INTO record_history (record_id, version, actor_id, action, changes) VALUES ($1, 2, $2, 'update', $3)`, [historyRecord.id, users.worker.id, JSON.stringify(changes)]);
    });

    it('shows every change to the owner, with actor usernames, and audits the identifying values', async () => {
      const res = await api.worker.get(`${RECORDS}/case/${historyRecord.id}/history`).expect(200);
      expect(res.body.items.map((h: { version: number; action: string; actor: string }) => [h.version, h.action, h.actor])).toEqual([
        [1, 'create', 'read.worker'],
        [2, 'update', 'read.worker'],
      ]);
      expect(res.body.items[1].changes).toHaveLength(5);
      const [audit] = await ds.query(`SELECT details FROM audit_log WHERE action = 'record.read' AND object_id = $1 ORDER BY id DESC LIMIT 1`, [historyRecord.id]);
      expect(audit.details).toMatchObject({ identifying: true, history: true, fields: ['action_plan_section.action_plan_description', 'name'] });
    });

    it('drops the changes a supervisor may not read and redacts rows', async () => {
      const res = await api.supervisor.get(`${RECORDS}/case/${historyRecord.id}/history`).expect(200);
      expect(JSON.stringify(res.body)).not.toContain(NAME);
      expect(res.body.items[1].changes).toEqual([
        { path: 'age', from: 20, to: 21 },
        { path: `action_plan_section/${rowId}`, from: null, to: { _id: rowId, service_type: 'health' } },
        { path: `action_plan_section/${rowId}/service_type`, from: 'health', to: 'legal' },
      ]);
      expect(res.body.items[0].changes.map((c: { path: string }) => c.path).sort()).toEqual(['age', 'sex']);
    });

    it('needs view_history: without it the record is a 404', async () => {
      const missing = await api.keeper.get(`${RECORDS}/case/${randomUUID()}/history`).expect(404);
      const denied = await api.keeper.get(`${RECORDS}/case/${historyRecord.id}/history`).expect(404);
      expect({ ...denied.body.error, requestId: 0 }).toEqual({ ...missing.body.error, requestId: 0 });
      await api.keeper.get(`${RECORDS}/case/${historyRecord.id}`).expect(200);
      await api.colleague.get(`${RECORDS}/case/${historyRecord.id}/history`).expect(404);
    });
  });

  describe('totals beyond 10,000 and indexes', () => {
    let bulk: TestUser;
    let bulkApi: Api;
    beforeAll(async () => {
      bulk = await newUser(ds, { username: 'read.bulk', agency: 'HOME', roles: ['gbv_caseworker'] });
      bulkApi = as(t, await login(t, bulk.username, bulk.password));
      const hash = await activeConfigHash(ds);
      await ds.query(
        `INSERT INTO record (short_id, display_id, module, record_type, owner_id, owner_agency, status, bundle_hash, data, created_at)
         SELECT 'B' || lpad(i::text, 6, '0'), 'GBV-B' || i, 'gbv', 'case', $1, 'HOME', 'open', $2,
                jsonb_build_object('age', i % 100, 'sex', CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END), now() - make_interval(secs => i)
           FROM generate_series(1, 10050) i`,
        [bulk.id, hash],
      );
      await ds.query('ANALYZE record');
    });

    it('reports an estimate, flagged, past 10,000 and an exact total below', async () => {
      const all = await bulkApi.get(`${RECORDS}/case?pageSize=5`).expect(200);
      expect(all.body.items).toHaveLength(5);
      expect(all.body.totalIsEstimate).toBe(true);
      expect(all.body.total).toBeGreaterThan(10_000);
      const some = await bulkApi.get(`${RECORDS}/case?pageSize=5&filter[age]=7`).expect(200);
      expect(some.body).toMatchObject({ total: 101 });
      expect(some.body.totalIsEstimate).toBeUndefined();
    });

    it('builds the per-bundle expression indexes, valid, idempotently', async () => {
      const indexes = t.app.get(RecordIndexes);
      await indexes.whenIdle();
      const wanted = wantedIndexes(t.app.get(ActiveConfigService).current());
      const rows: Array<{ relname: string; indisvalid: boolean }> = await ds.query(
        `SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'record_x_%'`,
      );
      expect(rows.map((r) => r.relname).sort()).toEqual(wanted.map((w) => w.name).sort());
      expect(rows.every((r) => r.indisvalid)).toBe(true);
      // With statistics on each scalar expression (the planner ignores a partial index's own).
      const stats: Array<{ stxname: string }> = await ds.query(`SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'record_s_%'`);
      expect(stats.map((r) => r.stxname).sort()).toEqual(wanted.flatMap((w) => (w.statistics ? [w.statistics.name] : [])).sort());
    });

    it('rebuilds an index left invalid by an interrupted build, and builds nothing without the rights', async () => {
      const config = t.app.get(ActiveConfigService);
      const sex = indexFor(wantedIndexes(config.current()), 'gbv', 'case', 'sex')!;
      const state = async () => (await ds.query(`SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`, [sex.name]))[0];
      await ds.query(`DROP INDEX ${sex.name}`);
      // A failed CONCURRENTLY build leaves an INVALID index under the name (here: unique over duplicate values).
      await ds.query(`CREATE UNIQUE INDEX CONCURRENTLY ${sex.name} ON record ((data->>'sex'))`).catch(() => undefined);
      expect(await state()).toEqual({ valid: false });

      // A database user that does not own "record": logs and builds nothing.
      const role = `haven_ro_${randomUUID().slice(0, 8)}`;
      await ds.query(`CREATE ROLE ${role} LOGIN PASSWORD 'ro-pass-1234'`);
      await ds.query(`GRANT CONNECT ON DATABASE "${t.db.name}" TO ${role}`);
      try {
        const url = new URL(t.db.url);
        url.username = role;
        url.password = 'ro-pass-1234';
        const warn = jest.spyOn(logger, 'warn');
        try {
          const readOnly = new RecordIndexes(config, { databaseUrl: url.toString() } as never);
          await readOnly.ensure(config.current());
          expect(warn.mock.calls.map((c) => c[1])).toContainEqual(expect.stringContaining('does not own table "record"'));
        } finally {
          warn.mockRestore();
        }
        expect(await state()).toEqual({ valid: false });
      } finally {
        await ds.query(`DROP OWNED BY ${role}`);
        await ds.query(`DROP ROLE ${role}`);
      }

      const owner = new RecordIndexes(config, { databaseUrl: t.db.url } as never);
      await owner.ensure(config.current());
      expect(await state()).toEqual({ valid: true });
      const def = (await ds.query(`SELECT indexdef FROM pg_indexes WHERE indexname = $1`, [sex.name]))[0].indexdef as string;
      expect(def).not.toContain('UNIQUE');
      // Idempotent: a second run changes nothing.
      await new RecordIndexes(config, { databaseUrl: t.db.url } as never).ensure(config.current());
      expect(await state()).toEqual({ valid: true });
    });

    it('drops per-bundle indexes and statistics the configuration no longer asks for (e.g. the older module-partial ones), and nothing else', async () => {
      const config = t.app.get(ActiveConfigService);
      const stale = 'record_x_0123456789abcdef01234567';
      const staleStatistics = 'record_s_0123456789abcdef01234567';
      await ds.query(`CREATE INDEX ${stale} ON record ((data->>'sex')) WHERE module = 'gbv' AND record_type = 'case'`);
      await ds.query(`CREATE STATISTICS ${staleStatistics} ON ((data->>'sex')) FROM record`);
      await ds.query(`CREATE INDEX record_by_hand_idx ON record ((data->>'sex'))`);
      try {
        await new RecordIndexes(config, { databaseUrl: t.db.url } as never).ensure(config.current());
        const names: string[] = (await ds.query(`SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'record'::regclass`)).map(
          (r: { relname: string }) => r.relname,
        );
        expect(names).not.toContain(stale);
        expect(names).toContain('record_by_hand_idx');
        expect(names.filter((n) => n.startsWith('record_x_')).sort()).toEqual(wantedIndexes(config.current()).map((w) => w.name).sort());
        expect(await ds.query(`SELECT 1 FROM pg_statistic_ext WHERE stxname = $1`, [staleStatistics])).toEqual([]);
      } finally {
        await ds.query(`DROP STATISTICS IF EXISTS ${staleStatistics}`);
        await ds.query(`DROP INDEX IF EXISTS ${stale}`);
        await ds.query(`DROP INDEX IF EXISTS record_by_hand_idx`);
      }
    });

    it('serves a filtered list from the indexes', async () => {
      const plan: Array<{ 'QUERY PLAN': string }> = await ds.query(
        `EXPLAIN SELECT r.id FROM record r WHERE r.module = 'gbv' AND r.record_type = 'case' AND (r.owner_id = $1::uuid OR r.shared_with @> ARRAY[$1::uuid])
           AND NOT r.disabled AND (CASE WHEN jsonb_typeof(r.data->'age') = 'number' THEN (r.data->>'age')::numeric END) = 7::numeric`,
        [bulk.id],
      );
      const text = plan.map((p) => p['QUERY PLAN']).join('\n');
      const ageIndex = indexFor(wantedIndexes(t.app.get(ActiveConfigService).current()), 'gbv', 'case', 'age')!;
      expect(text).toContain(ageIndex.name);
    });
  });
});
