import { beforeAll, describe, expect, it } from '@jest/globals';
import type { CompiledConfig } from '../../../engine/index.js';
import { HavenError } from '../../common/errors.js';
import { readListParams, type ListParams } from './list-params.js';
import { compileListQuery, escapeLike, normaliseDateValue, withDescendants, type ListQuery } from './list-query.js';
import { listSql } from './list-sql.js';
import { abilityFor, shippedConfig } from './spec-config.js';

function issuesOf(fn: () => unknown): Array<{ code: string; path: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof HavenError) return err.issues.map((i) => ({ code: i.code, path: i.path }));
    throw err;
  }
  throw new Error('expected a 400');
}

describe('list query parameters (shape)', () => {
  it('reads defaults', () => {
    expect(readListParams({}, '')).toEqual({ module: undefined, q: undefined, filters: [], sort: undefined, page: 1, pageSize: 20 });
  });

  it('reads filters: values, lists, repeated parameters and operators', () => {
    const p = readListParams({ filter: { sex: 'female, male', status: ['open', 'closed'], age: { gte: '12', lt: '18' } } }, '');
    expect(p.filters).toEqual([
      { name: 'sex', op: 'eq', values: ['female', 'male'], path: '/filter/sex' },
      { name: 'status', op: 'eq', values: ['open', 'closed'], path: '/filter/status' },
      { name: 'age', op: 'gte', values: ['12'], path: '/filter/age/gte' },
      { name: 'age', op: 'lt', values: ['18'], path: '/filter/age/lt' },
    ]);
  });

  it('reads sort keys and search text', () => {
    const p = readListParams({ sort: '-age,shortId', q: '  abc ' }, '');
    expect(p.sort).toEqual([{ name: 'age', desc: true }, { name: 'shortId', desc: false }]);
    expect(p.q).toBe('abc');
  });

  it.each<[string, Record<string, unknown>, string, Array<{ code: string; path: string }>]>([
    ['page 0', { page: '0' }, '', [{ code: 'too_small', path: '/page' }]],
    ['page not a number', { page: 'x' }, '', [{ code: 'invalid_type', path: '/page' }]],
    ['page as array', { page: ['1', '2'] }, '', [{ code: 'invalid_type', path: '/page' }]],
    ['pageSize 1000', { pageSize: '1000' }, '', [{ code: 'too_large', path: '/pageSize' }]],
    ['q of 10k characters', { q: 'x'.repeat(10_000) }, '', [{ code: 'too_long', path: '/q' }]],
    ['q as object', { q: { a: '1' } }, '', [{ code: 'invalid_type', path: '/q' }]],
    ['unknown parameter', { foo: '1' }, '', [{ code: 'unknown_parameter', path: '/foo' }]],
    ['__proto__ in a filter (dropped by qs, seen in the raw string)', { filter: {} }, 'filter[__proto__][x]=1', [{ code: 'forbidden_key', path: '/filter/__proto__' }]],
    ['encoded __proto__', { filter: {} }, 'filter%5B__proto__%5D=1', [{ code: 'forbidden_key', path: '/filter/__proto__' }]],
    ['constructor as a filter', { filter: { constructor: { a: '2' } } }, 'filter[constructor][a]=2', [{ code: 'forbidden_key', path: '/filter/constructor' }, { code: 'not_filterable', path: '/filter/constructor' }]],
    ['unsupported operator', { filter: { age: { regex: 'x' } } }, '', [{ code: 'unsupported_operator', path: '/filter/age/regex' }]],
    ['nested junk', { filter: { age: { gte: { x: '1' } } } }, '', [{ code: 'invalid_type', path: '/filter/age/gte' }]],
    ['range with two values', { filter: { age: { gte: '1,2' } } }, '', [{ code: 'invalid_value', path: '/filter/age/gte' }]],
    ['empty value', { filter: { sex: '' } }, '', [{ code: 'required', path: '/filter/sex' }]],
    ['filter as a string', { filter: 'sex' }, '', [{ code: 'invalid_type', path: '/filter' }]],
    ['sort as array', { sort: ['a', 'b'] }, '', [{ code: 'invalid_type', path: '/sort' }]],
    ['sort with junk', { sort: 'a;drop' }, '', [{ code: 'not_sortable', path: '/sort' }]],
    ['too many sort keys', { sort: 'a,b,c,d' }, '', [{ code: 'too_many', path: '/sort' }]],
    ['module as array', { module: ['gbv', 'cp'] }, '', [{ code: 'invalid_type', path: '/module' }]],
    ['too many values', { filter: { sex: Array.from({ length: 101 }, (_, i) => `v${i}`).join(',') } }, '', [{ code: 'too_many', path: '/filter/sex' }]],
  ])('refuses %s', (_name, query, raw, expected) => {
    expect(issuesOf(() => readListParams(query, raw))).toEqual(expected);
  });

  it('reports every problem at once', () => {
    expect(issuesOf(() => readListParams({ page: '0', pageSize: '1000', sort: ['x'] }, '')).map((i) => i.path)).toEqual(['/page', '/pageSize', '/sort']);
  });
});

describe('list query against a record type', () => {
  let config: CompiledConfig;
  beforeAll(async () => {
    config = await shippedConfig();
  });

  const compile = (roles: string[], query: Record<string, unknown>, recordType = 'case', module = 'gbv', raw = ''): ListQuery => {
    const ability = abilityFor(config, roles);
    return compileListQuery(readListParams(query, raw) as ListParams, {
      type: config.recordType(module, recordType),
      readable: ability.readableFields(module, recordType),
      canSeeDisabled: ability.canRecord('disable', module, recordType),
      locations: config.locations,
    });
  };

  it('types each filter by its field', () => {
    const q = compile(['gbv_caseworker'], {
      filter: { sex: 'female,male', age: { gte: '12', lt: '18' }, date_closure: { gte: '2025-01-01' }, consent_for_services: 'true', status: 'open', owner: 'Alice', flagged: 'false' },
    });
    expect(q.conditions).toEqual([
      { target: { type: 'data', key: 'sex', kind: 'text' }, op: 'in', values: ['female', 'male'] },
      { target: { type: 'data', key: 'age', kind: 'number' }, op: 'gte', value: '12' },
      { target: { type: 'data', key: 'age', kind: 'number' }, op: 'lt', value: '18' },
      { target: { type: 'data', key: 'date_closure', kind: 'date' }, op: 'gte', value: '2025-01-01' },
      { target: { type: 'data', key: 'consent_for_services', kind: 'boolean' }, op: 'in', values: ['true'] },
      { target: { type: 'column', column: 'status', kind: 'text' }, op: 'in', values: ['open'] },
      { target: { type: 'owner' }, op: 'in', values: ['alice'] },
      { target: { type: 'column', column: 'flagged', kind: 'boolean' }, op: 'in', values: ['false'] },
    ]);
    expect(q.disabled).toBe('exclude');
    expect(q.sort).toEqual([{ target: { type: 'column', column: 'created_at', kind: 'timestamp' }, desc: true }]);
  });

  it('reaches a data field through `data.<key>` (for keys shadowed by record columns)', () => {
    expect(compile(['gbv_caseworker'], { filter: { 'data.sex': 'female' } }).conditions[0].target).toEqual({ type: 'data', key: 'sex', kind: 'text' });
  });

  it('expands a location to itself and its descendants', () => {
    const q = compile(['gbv_caseworker'], { filter: { incident_location: 'XX01' } }, 'incident');
    const values = (q.conditions[0] as unknown as { values: string[] }).values;
    expect(values).toContain('XX01');
    expect(values).toContain('XX01D01');
    expect(values).toContain('XX01D01C01');
    expect(values).not.toContain('XX');
    expect(values.every((v) => v.startsWith('XX01'))).toBe(true);
    expect(withDescendants(config.locations, ['XX01D01C01'])).toEqual(['XX01D01C01']);
  });

  it('takes subform fields as filters (EXISTS over rows) but not as sort keys', () => {
    const q = compile(['gbv_caseworker'], { filter: { 'alleged_perpetrator.perpetrator_sex': 'male' } }, 'incident');
    expect(q.conditions[0].target).toEqual({ type: 'data', key: 'perpetrator_sex', kind: 'text', subform: 'alleged_perpetrator' });
    expect(issuesOf(() => compile(['gbv_caseworker'], { sort: 'alleged_perpetrator.perpetrator_sex' }, 'incident'))).toEqual([{ code: 'not_sortable', path: '/sort' }]);
  });

  it('sorts by typed columns and by data fields', () => {
    const q = compile(['gbv_caseworker'], { sort: '-age,status' });
    expect(q.sort).toEqual([
      { target: { type: 'data', key: 'age', kind: 'number' }, desc: true },
      { target: { type: 'column', column: 'status', kind: 'text' }, desc: false },
    ]);
  });

  it('searches the searchable fields the caller may read', () => {
    expect(compile(['gbv_caseworker'], { q: 'abc' }, 'incident').search).toEqual({
      text: 'abc',
      fields: [{ key: 'incidentid_ir' }, { key: 'incident_camp_town' }, { key: 'survivor_code' }],
    });
    // CP case: names are searchable AND identifying; a CP supervisor reads them (CP practice), so they stay.
    expect(compile(['cp_supervisor'], { q: 'abc' }, 'case', 'cp').search!.fields.map((f) => f.key)).toContain('name');
  });

  it('a supervisor cannot filter, sort or search on an identifying field: same answer as for a missing field', () => {
    const sup = issuesOf(() => compile(['gbv_supervisor'], { filter: { name: 'x', no_such_field: 'y' }, sort: 'name' }));
    expect(sup).toEqual([
      { code: 'not_filterable', path: '/filter/name' },
      { code: 'not_filterable', path: '/filter/no_such_field' },
      { code: 'not_sortable', path: '/sort' },
    ]);
    expect(issuesOf(() => compile(['gbv_supervisor'], { filter: { date_of_birth: { gte: '2000-01-01' } } }))).toEqual([{ code: 'not_filterable', path: '/filter/date_of_birth' }]);
    // The caseworker may: same queries pass.
    expect(compile(['gbv_caseworker'], { filter: { name: 'x' }, sort: 'name' }).conditions).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, Array<{ code: string; path: string }>]>([
    ['sort=data', { sort: 'data' }, [{ code: 'not_sortable', path: '/sort' }]],
    ['a range on a text field', { filter: { sex: { gte: 'a' } } }, [{ code: 'unsupported_operator', path: '/filter/sex/gte' }]],
    ['a non-number', { filter: { age: 'twelve' } }, [{ code: 'invalid_value', path: '/filter/age' }]],
    ['an impossible date', { filter: { date_closure: { gte: '2025-02-30' } } }, [{ code: 'invalid_date', path: '/filter/date_closure/gte' }]],
    ['a date-time on a date field', { filter: { date_closure: '2025-02-01T10:00:00Z' } }, [{ code: 'invalid_date', path: '/filter/date_closure' }]],
    ['a non-boolean', { filter: { consent_for_services: 'yes' } }, [{ code: 'invalid_value', path: '/filter/consent_for_services' }]],
    ['disabled without the disable action', { filter: { disabled: 'true' } }, [{ code: 'not_filterable', path: '/filter/disabled' }]],
    ['equality on createdAt', { filter: { createdAt: '2025-01-01' } }, [{ code: 'unsupported_operator', path: '/filter/createdAt' }]],
    ['an attachment field', { filter: { other_documents: 'x' } }, [{ code: 'not_filterable', path: '/filter/other_documents' }]],
    ['a subform as a whole', { filter: { action_plan_section: 'x' } }, [{ code: 'not_filterable', path: '/filter/action_plan_section' }]],
  ])('refuses %s', (_name, query, expected) => {
    expect(issuesOf(() => compile(['gbv_caseworker'], query))).toEqual(expected);
  });

  it('refuses an unknown location', () => {
    expect(issuesOf(() => compile(['gbv_caseworker'], { filter: { incident_location: 'NOPE' } }, 'incident'))).toEqual([{ code: 'unknown_location', path: '/filter/incident_location' }]);
  });

  it('normalises dates and escapes LIKE wildcards', () => {
    expect(normaliseDateValue('2025-01-31', false)).toBe('2025-01-31');
    expect(normaliseDateValue('2025-01-31T12:00+02:00', true)).toBe('2025-01-31T10:00:00.000Z');
    expect(normaliseDateValue('2025-01-31T12:00', true)).toBeUndefined();
    expect(escapeLike('50%_a\\b')).toBe('50\\%\\_a\\\\b');
  });
});

describe('list SQL', () => {
  let config: CompiledConfig;
  beforeAll(async () => {
    config = await shippedConfig();
  });

  it('ANDs scope, type literals, default disabled exclusion, filters as index expressions, search and order', () => {
    const ability = abilityFor(config, ['gbv_caseworker']);
    const query = compileListQuery(readListParams({ filter: { sex: 'female', age: { gte: '12' }, date_closure: { lt: '2025-01-01' } }, q: '50%', sort: '-age' }, ''), {
      type: config.recordType('gbv', 'case'),
      readable: ability.readableFields('gbv', 'case'),
      canSeeDisabled: false,
      locations: config.locations,
    });
    const sql = listSql(query, { module: 'gbv', recordType: 'case', read: ability.recordConditions('read', 'gbv', 'case'), disable: [] }, 10_000);
    expect(sql.items).toContain(`r.module = 'gbv'`);
    expect(sql.items).toContain(`r.record_type = 'case'`);
    expect(sql.items).toContain(`((r.owner_id = $1::uuid) OR (cardinality(r.shared_with) > 0 AND r.shared_with @> ARRAY[$2::uuid]))`);
    expect(sql.items).toContain('NOT r.disabled');
    expect(sql.items).toContain(`(r.data->>'sex') = $3::text`);
    expect(sql.items).toContain(`(CASE WHEN jsonb_typeof(r.data->'age') = 'number' THEN (r.data->>'age')::numeric END) >= $4::numeric`);
    expect(sql.items).toContain(`((r.data->>'date_closure') COLLATE "C") < $5::text`);
    expect(sql.items).toContain(`r.short_id ILIKE $6 OR r.display_id ILIKE $6 OR (r.data->>'survivor_code_no') ILIKE $6`);
    // The age filter keeps records without an age out: no NULLS clause, so that an index can deliver the order.
    expect(sql.items).toContain(`ORDER BY (CASE WHEN jsonb_typeof(r.data->'age') = 'number' THEN (r.data->>'age')::numeric END) DESC, r.id DESC`);
    expect(sql.items).toMatch(/LIMIT \$7 OFFSET \$8$/);
    expect(sql.itemsParams.slice(2)).toEqual(['female', '12', '2025-01-01', '%50\\%%', 20, 0]);
    expect(sql.count).toContain('LIMIT 10001) capped');
    expect(sql.explain.startsWith('EXPLAIN (FORMAT JSON) SELECT 1 FROM record r WHERE')).toBe(true);
    expect(sql.params).toHaveLength(6);
  });

  it('keeps NULLS LAST on a data sort key that no condition restricts', () => {
    const sql = listSql(
      { conditions: [{ target: { type: 'data', key: 'sex', kind: 'text' }, op: 'in', values: ['female'] }], disabled: 'exclude', sort: [{ target: { type: 'data', key: 'age', kind: 'number' }, desc: true }], page: 1, pageSize: 20 },
      { module: 'gbv', recordType: 'case', read: [{}], disable: [] },
      10_000,
    );
    expect(sql.items).toContain(`ORDER BY (CASE WHEN jsonb_typeof(r.data->'age') = 'number' THEN (r.data->>'age')::numeric END) DESC NULLS LAST, r.id DESC`);
    expect(sql.pageAndTotal).toContain('ORDER BY m.k0 DESC NULLS LAST, m.id DESC');
  });

  it("splits the group scope on the owner's group key, and counts one disjoint scan per scope alternative", () => {
    const sql = listSql(
      { conditions: [], disabled: 'exclude', sort: [], page: 1, pageSize: 20, compositeIndexed: true },
      { module: 'gbv', recordType: 'case', read: [{ ownerGroupsAny: ['team-a', 'team-b'] }, { ownerId: 'u1' }], disable: [] },
      10_000,
    );
    const key = '(CASE WHEN cardinality(r.owner_groups) = 1 THEN r.owner_groups[1] END)';
    const halves = [`(${key} = ANY($1::text[]))`, `(${key} IS NULL AND r.owner_groups && $1::text[])`, '(r.owner_id = $2::uuid)'];
    expect(sql.items).toContain(`AND (${halves.join(' OR ')})`);
    expect(sql.itemsParams).toEqual([['team-a', 'team-b'], 'u1', 20, 0]);
    // Three scans, each leaving out what the earlier ones found, capped together.
    const count = sql.pageAndTotal.slice(0, sql.pageAndTotal.indexOf('c AS (SELECT count(*)'));
    expect(count.split('UNION ALL')).toHaveLength(3);
    expect(count).toContain(`AND ${halves[1]}\n  AND (${halves[0]}) IS NOT TRUE`);
    expect(count).toContain(`AND ${halves[2]}\n  AND (${halves[0]} OR ${halves[1]}) IS NOT TRUE`);
    expect(count).toContain('LIMIT 10001');
    // The page: the same three scans, each in list order and cut at offset + page size, merged and cut to the page.
    const page = sql.pageAndTotal.slice(sql.pageAndTotal.indexOf('LEFT JOIN LATERAL'));
    expect(page.split('UNION ALL')).toHaveLength(3);
    expect(page.match(/ORDER BY r\.id ASC\n LIMIT \$3::int \+ \$4::int\)/g)).toHaveLength(3);
    expect(page).toContain(`AND ${halves[2]}\n  AND (${halves[0]} OR ${halves[1]}) IS NOT TRUE`);
    expect(page).toContain(') u ORDER BY u.id ASC LIMIT $3 OFFSET $4) p');
    // Without a composite index holding the filters: one scan, and the page from the ids it found.
    const single = listSql({ conditions: [], disabled: 'exclude', sort: [], page: 1, pageSize: 20 }, { module: 'gbv', recordType: 'case', read: [{ ownerGroupsAny: ['team-a'] }, { ownerId: 'u1' }], disable: [] }, 10_000);
    expect(single.pageAndTotal).not.toContain('UNION ALL');
    expect(single.pageAndTotal).toContain('FROM (SELECT * FROM m WHERE c.n <= 10000 ORDER BY m.id ASC LIMIT $3 OFFSET $4) p');
    // No group at all: no access through groups (as before), the other alternatives stay.
    const none = listSql({ conditions: [], disabled: 'exclude', sort: [], page: 1, pageSize: 20 }, { module: 'gbv', recordType: 'case', read: [{ ownerGroupsAny: [] }, { ownerId: 'u1' }], disable: [] }, 10_000);
    expect(none.items).toContain('AND ((r.owner_id = $1::uuid))');
    expect(none.pageAndTotal).not.toContain('UNION ALL');
  });

  it('reads through a declared composite index only once it is built (compositeReady)', () => {
    const ability = abilityFor(config, ['gbv_caseworker']);
    const asked: Array<readonly string[]> = [];
    const compileWith = (filter: Record<string, unknown>, compositeReady?: (fields: readonly string[]) => boolean) =>
      compileListQuery(readListParams({ filter, sort: '-incident_date' }, ''), {
        type: config.recordType('gbv', 'incident'),
        readable: ability.readableFields('gbv', 'incident'),
        canSeeDisabled: false,
        locations: config.locations,
        ...(compositeReady ? { compositeReady } : {}),
      });
    const filter = { gbv_sexual_violence_type: 'rape', incident_date: { gte: '2025-01-01' } };
    // The incident declares { fields: [gbv_sexual_violence_type, incident_date] }.
    expect(compileWith(filter, (fields) => (asked.push(fields), false)).compositeIndexed).toBeUndefined();
    expect(asked).toEqual([['gbv_sexual_violence_type', 'incident_date']]);
    expect(compileWith(filter, () => true).compositeIndexed).toBe(true);
    // Not told: declared is taken as built.
    expect(compileWith(filter).compositeIndexed).toBe(true);
    // Built, but the query does not filter on its first field.
    expect(compileWith({ incident_date: { gte: '2025-01-01' } }, () => true).compositeIndexed).toBeUndefined();
    // The SQL differs accordingly: one scan per scope alternative only on the index.
    const supervisor = abilityFor(config, ['gbv_supervisor']);
    const scope = { module: 'gbv', recordType: 'incident', read: supervisor.recordConditions('read', 'gbv', 'incident'), disable: [] };
    expect(listSql(compileWith(filter, () => true), scope, 10_000).pageAndTotal).toContain('UNION ALL');
    expect(listSql(compileWith(filter, () => false), scope, 10_000).pageAndTotal).not.toContain('UNION ALL');
  });

  it('no access at all matches nothing', () => {
    const ability = abilityFor(config, ['gbv_manager']);
    const query = compileListQuery(readListParams({}, ''), { type: config.recordType('gbv', 'case'), readable: new Set(), canSeeDisabled: false, locations: config.locations });
    const sql = listSql(query, { module: 'gbv', recordType: 'case', read: ability.recordConditions('read', 'gbv', 'case'), disable: [] }, 10_000);
    expect(sql.items).toContain('AND false');
  });

  it('disabled records come only within the disable scope', () => {
    const query = { conditions: [], disabled: 'only' as const, sort: [], page: 2, pageSize: 10 };
    const sql = listSql(query, { module: 'gbv', recordType: 'case', read: [{}], disable: [{ ownerId: 'u1' }] }, 10_000);
    expect(sql.items).toContain('r.disabled\n  AND ((r.owner_id = $1::uuid))');
    expect(sql.itemsParams).toEqual(['u1', 10, 10]);
    const all = listSql({ ...query, disabled: 'all' }, { module: 'gbv', recordType: 'case', read: [{}], disable: [{ ownerId: 'u1' }] }, 10_000);
    expect(all.items).toContain('(NOT r.disabled OR ((r.owner_id = $1::uuid)))');
  });

  it('owner, multi-select and subform filters', () => {
    const sql = listSql(
      {
        conditions: [
          { target: { type: 'owner' }, op: 'in', values: ['alice'] },
          { target: { type: 'data', key: 'tags', kind: 'list' }, op: 'in', values: ['a', 'b'] },
          { target: { type: 'data', key: 'perpetrator_sex', kind: 'text', subform: 'alleged_perpetrator' }, op: 'in', values: ['male', 'female'] },
        ],
        disabled: 'exclude',
        sort: [],
        page: 1,
        pageSize: 20,
      },
      { module: 'gbv', recordType: 'incident', read: [{}], disable: [] },
      10_000,
    );
    expect(sql.items).toContain('r.owner_id IN (SELECT u.id FROM app_user u WHERE lower(u.username) = ANY($1::text[]))');
    expect(sql.items).toContain(`(r.data->'tags') ?| $2::text[]`);
    expect(sql.items).toContain(
      `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.data->'alleged_perpetrator') = 'array' THEN r.data->'alleged_perpetrator' ELSE '[]'::jsonb END) e WHERE (e->>'perpetrator_sex') = ANY($3::text[]))`,
    );
  });
});
