import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newGroup, newUser, type TestUser } from './support/factories.js';
import { newRecord, type TestRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Who sees which record, on EVERY read path (get, list, filter, sort, search, history, count), with the shipped
 * roles: two agencies with one group each, two GBV caseworkers per group, a GBV supervisor per group, a GBV
 * manager and a system administrator.
 *
 *  - a caseworker sees their own records and those shared with them;
 *  - a supervisor sees the records of their group without a single identifying field, and cannot filter, sort or
 *    search on one;
 *  - a manager and a system administrator cannot read the record types at all: lists answer 404 exactly like an
 *    unknown record type, records 404 exactly like missing ones;
 *  - nobody sees another agency's records, and a denied id looks exactly like a missing one.
 *
 * Every record carries distinctive identifying values (`SECRET-…`); every response body is checked for the ones
 * its caller may not see.
 */

type Api = ReturnType<typeof as>;
type Person = 'cwA1' | 'cwA2' | 'cwB1' | 'cwB2' | 'supA' | 'supB' | 'manager' | 'admin';
type Kind = 'case' | 'incident';
type Rec = TestRecord & { kind: Kind; owner: Person; secret: string; code: string; sharedWith?: Person[] };
type Body = Record<string, unknown> & { error?: Record<string, unknown> };

const RECORDS = '/api/v1/records';
const PEOPLE: Record<Person, { roles: string[]; agency: string; group?: string }> = {
  cwA1: { roles: ['gbv_caseworker'], agency: 'AGA', group: 'grp-a' },
  cwA2: { roles: ['gbv_caseworker'], agency: 'AGA', group: 'grp-a' },
  cwB1: { roles: ['gbv_caseworker'], agency: 'AGB', group: 'grp-b' },
  cwB2: { roles: ['gbv_caseworker'], agency: 'AGB', group: 'grp-b' },
  supA: { roles: ['gbv_supervisor'], agency: 'AGA', group: 'grp-a' },
  supB: { roles: ['gbv_supervisor'], agency: 'AGB', group: 'grp-b' },
  manager: { roles: ['gbv_manager'], agency: 'AGA', group: 'grp-a' },
  admin: { roles: ['system_admin'], agency: 'AGA' },
};
const CASEWORKERS: Person[] = ['cwA1', 'cwA2', 'cwB1', 'cwB2'];
const strip = (body: Body) => ({ ...body.error, requestId: undefined });

describe('records: access on every read path', () => {
  let t: TestApp;
  let ds: DataSource;
  const users = {} as Record<Person, TestUser>;
  const api = {} as Record<Person, Api>;
  const records: Rec[] = [];
  /** Every response body each person received, checked for secrets at the end. */
  const seen = Object.fromEntries(Object.keys(PEOPLE).map((p) => [p, [] as string[]])) as Record<Person, string[]>;

  async function call(who: Person, url: string) {
    const res = await api[who].get(url);
    seen[who].push(JSON.stringify(res.body));
    expect(res.status).toBeLessThan(500);
    return res;
  }

  /** The records a person may read, by the rules above. */
  function visible(who: Person, kind: Kind): Rec[] {
    const person = PEOPLE[who];
    return records.filter((r) => {
      if (r.kind !== kind) return false;
      if (person.roles.includes('gbv_caseworker')) return r.owner === who || (r.sharedWith ?? []).includes(who);
      if (person.roles.includes('gbv_supervisor')) return PEOPLE[r.owner].group === person.group;
      return false;
    });
  }
  const idsOf = (rs: Rec[]) => rs.map((r) => r.id).sort();

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'AGA' });
    await newAgency(ds, { code: 'AGB' });
    await newGroup(ds, { code: 'grp-a', agency: 'AGA' });
    await newGroup(ds, { code: 'grp-b', agency: 'AGB' });
    for (const [who, p] of Object.entries(PEOPLE) as [Person, (typeof PEOPLE)[Person]][]) {
      users[who] = await newUser(ds, { username: `acc.${who.toLowerCase()}`, agency: p.agency, groups: p.group ? [p.group] : [], roles: p.roles });
      api[who] = as(t, await login(t, users[who].username, users[who].password));
    }
    for (const owner of CASEWORKERS) {
      const secret = `SECRET-${owner}-case`;
      const code = `CODE-${owner}-case`;
      const c = await newRecord(ds, {
        module: 'gbv', recordType: 'case', owner: users[owner], history: true,
        data: { name: secret, survivor_phone: `${secret}-phone`, survivor_code_no: code, sex: 'female', age: 20 + records.length },
      });
      records.push({ ...c, kind: 'case', owner, secret, code });
      const isecret = `SECRET-${owner}-incident`;
      const icode = `CODE-${owner}-incident`;
      const i = await newRecord(ds, {
        module: 'gbv', recordType: 'incident', owner: users[owner], history: true,
        data: { incident_description: isecret, survivor_code: icode, sex: 'female', age: 30 + records.length, incident_location: 'XX01D01' },
      });
      records.push({ ...i, kind: 'incident', owner, secret: isecret, code: icode });
    }
    // cwA2 shares one case with cwA1 (a referral: record_share row and its shared_with mirror).
    const secret = 'SECRET-cwA2-shared';
    const shared = await newRecord(ds, {
      module: 'gbv', recordType: 'case', owner: users.cwA2, sharedWith: [users.cwA1], history: true,
      data: { name: secret, survivor_code_no: 'CODE-cwA2-shared', sex: 'female', age: 40 },
    });
    await ds.query(`INSERT INTO record_share (record_id, user_id, kind, granted_by) VALUES ($1, $2, 'referral', $3)`, [shared.id, users.cwA1.id, users.cwA2.id]);
    records.push({ ...shared, kind: 'case', owner: 'cwA2', secret, code: 'CODE-cwA2-shared', sharedWith: ['cwA1'] });
  });
  afterAll(async () => {
    await t?.close();
  });

  const readers: Person[] = ['cwA1', 'cwA2', 'cwB1', 'cwB2', 'supA', 'supB'];

  describe.each<[Kind]>([['case'], ['incident']])('%s', (kind) => {
    it.each(readers)('%s: list and count show exactly the records in scope', async (who) => {
      const res = await call(who, `${RECORDS}/${kind}?module=gbv&pageSize=100`);
      expect(res.status).toBe(200);
      const expected = visible(who, kind);
      expect(res.body.items.map((i: { id: string }) => i.id).sort()).toEqual(idsOf(expected));
      expect(res.body.total).toBe(expected.length);
      expect(expected.length).toBeGreaterThan(0);
    });

    it.each(readers)('%s: filters, sorts and searches stay within scope', async (who) => {
      const expected = idsOf(visible(who, kind));
      for (const query of ['filter[sex]=female', 'filter[age][gte]=0', 'sort=-age', 'sort=shortId', 'q=CODE-', 'filter[status]=open&sort=-createdAt']) {
        const res = await call(who, `${RECORDS}/${kind}?module=gbv&pageSize=100&${query}`);
        expect([query, res.status, res.body.items.map((i: { id: string }) => i.id).sort(), res.body.total]).toEqual([query, 200, expected, expected.length]);
      }
      // Another user's records are out of reach whatever the filter names.
      for (const other of records.filter((r) => r.kind === kind && !expected.includes(r.id))) {
        for (const query of [`q=${other.code}`, `filter[shortId]=${other.shortId}`, `filter[owner]=${users[other.owner].username}&filter[shortId]=${other.shortId}`]) {
          const res = await call(who, `${RECORDS}/${kind}?module=gbv&${query}`);
          expect([query, res.status, res.body.items, res.body.total]).toEqual([query, 200, [], 0]);
        }
      }
    });

    it.each(readers)('%s: get and history answer 200 in scope, and out of scope exactly like a missing id', async (who) => {
      const missing = await call(who, `${RECORDS}/${kind}/${randomUUID()}`);
      const missingHistory = await call(who, `${RECORDS}/${kind}/${randomUUID()}/history`);
      expect(missing.status).toBe(404);
      expect(strip(missingHistory.body)).toEqual(strip(missing.body));
      const inScope = new Set(visible(who, kind).map((r) => r.id));
      for (const r of records.filter((x) => x.kind === kind)) {
        const got = await call(who, `${RECORDS}/${kind}/${r.id}`);
        const history = await call(who, `${RECORDS}/${kind}/${r.id}/history`);
        if (inScope.has(r.id)) {
          expect([r.owner, got.status, history.status]).toEqual([r.owner, 200, 200]);
          expect(got.body.id).toBe(r.id);
          expect(history.body.items.length).toBeGreaterThan(0);
        } else {
          expect([r.owner, got.status, strip(got.body)]).toEqual([r.owner, 404, strip(missing.body)]);
          expect([r.owner, history.status, strip(history.body)]).toEqual([r.owner, 404, strip(missing.body)]);
          expect(Object.keys(got.headers).sort()).toEqual(Object.keys(missing.headers).sort());
        }
      }
    });
  });

  describe('supervisors', () => {
    it.each<[Person]>([['supA'], ['supB']])('%s reads no identifying field on any path', async (who) => {
      for (const kind of ['case', 'incident'] as Kind[]) {
        const list = await call(who, `${RECORDS}/${kind}?module=gbv&pageSize=100`);
        for (const item of list.body.items as Array<{ id: string; data: Record<string, unknown> }>) {
          expect(Object.keys(item.data)).not.toEqual(expect.arrayContaining(['name']));
          expect(item.data.name).toBeUndefined();
          expect(item.data.incident_description).toBeUndefined();
          expect(item.data.survivor_phone).toBeUndefined();
          const history = await call(who, `${RECORDS}/${kind}/${item.id}/history`);
          expect(history.status).toBe(200);
          const paths = history.body.items.flatMap((h: { changes: Array<{ path: string }> }) => h.changes.map((c) => c.path));
          expect(paths).not.toContain('name');
          expect(paths).not.toContain('incident_description');
          expect(paths).toContain('age');
        }
      }
      // Searching for an identifying value finds nothing.
      for (const r of records) {
        const res = await call(who, `${RECORDS}/${r.kind}?module=gbv&q=${r.secret}`);
        expect([r.secret, res.body.items]).toEqual([r.secret, []]);
      }
    });

    it.each<[Person]>([['supA'], ['supB']])('%s cannot filter or sort on an identifying field (400, like an unknown field)', async (who) => {
      const cases: Array<[string, string, Array<[string, string]>]> = [
        ['case', 'filter[name]=SECRET-cwA1-case', [['/filter/name', 'not_filterable']]],
        ['case', 'filter[survivor_phone]=x', [['/filter/survivor_phone', 'not_filterable']]],
        ['case', 'filter[date_of_birth][gte]=2000-01-01', [['/filter/date_of_birth', 'not_filterable']]],
        ['case', 'sort=name', [['/sort', 'not_sortable']]],
        ['case', 'sort=-date_of_birth', [['/sort', 'not_sortable']]],
        ['case', 'filter[action_plan_section.action_plan_description]=x', [['/filter/action_plan_section.action_plan_description', 'not_filterable']]],
        ['incident', 'filter[incident_description]=x&sort=incident_description', [['/filter/incident_description', 'not_filterable'], ['/sort', 'not_sortable']]],
      ];
      for (const [kind, query, expected] of cases) {
        const res = await call(who, `${RECORDS}/${kind}?module=gbv&${query}`);
        expect([query, res.status, res.body.error.issues.map((i: { path: string; code: string }) => [i.path, i.code])]).toEqual([query, 400, expected]);
        const unknown = await call(who, `${RECORDS}/${kind}?module=gbv&${query.replace(/name|survivor_phone|date_of_birth|action_plan_description|incident_description/g, 'zz_unknown')}`);
        expect(unknown.body.error.issues.map((i: { code: string }) => i.code)).toEqual(res.body.error.issues.map((i: { code: string }) => i.code));
      }
      // The caseworker may do all of these on their own records.
      const own = await call('cwA1', `${RECORDS}/case?module=gbv&filter[name]=SECRET-cwA1-case&sort=name`);
      expect(own.body.items.map((i: { id: string }) => i.id)).toEqual([records.find((r) => r.secret === 'SECRET-cwA1-case')!.id]);
    });
  });

  describe('managers and system administrators', () => {
    it.each<[Person]>([['manager'], ['admin']])('%s: every record path is a 404, like an unknown type or a missing record', async (who) => {
      const unknownType = await call(who, `${RECORDS}/no_such_type`);
      const missing = await call(who, `${RECORDS}/case/${randomUUID()}`);
      expect([unknownType.status, missing.status]).toEqual([404, 404]);
      for (const kind of ['case', 'incident'] as Kind[]) {
        for (const query of ['', '?module=gbv', '?module=gbv&filter[sex]=female', '?module=gbv&sort=-age', '?module=gbv&q=CODE-']) {
          const res = await call(who, `${RECORDS}/${kind}${query}`);
          expect([kind, query, res.status, strip(res.body)]).toEqual([kind, query, 404, strip(unknownType.body)]);
        }
        for (const r of records.filter((x) => x.kind === kind)) {
          for (const url of [`${RECORDS}/${kind}/${r.id}`, `${RECORDS}/${kind}/${r.id}/history`]) {
            const res = await call(who, url);
            expect([url, res.status, strip(res.body)]).toEqual([url, 404, strip(missing.body)]);
          }
        }
      }
    });
  });

  it('no response carried an identifying value its caller may not read', () => {
    for (const who of Object.keys(PEOPLE) as Person[]) {
      const allowed = new Set(PEOPLE[who].roles.includes('gbv_caseworker') ? [...visible(who, 'case'), ...visible(who, 'incident')].map((r) => r.secret) : []);
      const text = seen[who].join('\n');
      expect(seen[who].length).toBeGreaterThan(5);
      for (const r of records) {
        if (!allowed.has(r.secret)) expect([who, r.secret, text.includes(r.secret)]).toEqual([who, r.secret, false]);
      }
    }
  });

  it('audits what caseworkers read, never what supervisors read (they get no identifying data)', async () => {
    const rows: Array<{ actor: string; n: number }> = await ds.query(
      `SELECT actor, count(*)::int AS n FROM audit_log WHERE action = 'record.read' GROUP BY actor ORDER BY actor`,
    );
    const actors = rows.map((r) => r.actor);
    expect(actors).toEqual(expect.arrayContaining(['acc.cwa1', 'acc.cwb1']));
    expect(actors).not.toContain('acc.supa');
    expect(actors).not.toContain('acc.supb');
    const details: Array<{ details: unknown }> = await ds.query(`SELECT details FROM audit_log WHERE action = 'record.read'`);
    expect(JSON.stringify(details)).not.toContain('SECRET-');
  });
});
