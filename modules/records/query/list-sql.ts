import type { RecordCondition } from '../../../engine/index.js';
import { RECORD_COLUMNS } from '../record.types.js';
import { orSql, scopeAlternatives, scopeSql, SqlParams } from '../scope-sql.js';
import { jsonExpr, sqlKey, subformRows, valueExpr } from './field-sql.js';
import { escapeLike, type Condition, type ListQuery, type SortKey, type Target } from './list-query.js';

/**
 * Stage 3 of a list query: SQL. Every condition is written so that an index can serve it:
 *  - module/record type as literals (`record_type_owner_idx` and the typed-column indexes lead with them),
 *  - the caller's scope (`scopeSql`: owner / shared_with GIN / owner_groups GIN / owner_agency),
 *  - data filters as the exact expressions of the per-bundle expression indexes (`valueExpr`).
 * Values always travel as parameters; only configured keys (checked by `sqlKey`) are spliced in.
 */

export interface ListScope {
  readonly module: string;
  readonly recordType: string;
  /** `ability.recordConditions('read', m, rt)`. */
  readonly read: readonly RecordCondition[];
  /** `ability.recordConditions('disable', m, rt)`: which disabled records the caller may see. */
  readonly disable: readonly RecordCondition[];
}

export interface ListSql {
  /**
   * Page and capped total in one statement (parameters `itemsParams`): the number of matching records up to
   * `cap + 1` (`total_count`, on every row; one row with NULL columns when the page is empty) and, when there are
   * at most `cap`, the page. Beyond the cap it returns the count only: the page then comes from `items` and the
   * total from `explain`.
   */
  readonly pageAndTotal: string;
  /** Page of rows (RECORD_COLUMNS, owner joined as `o`). */
  readonly items: string;
  readonly itemsParams: unknown[];
  /** Count, capped at `cap + 1` rows. */
  readonly count: string;
  /** EXPLAIN of the filtered scan, for the estimate beyond the cap. */
  readonly explain: string;
  /** Parameters of `count` and `explain`. */
  readonly params: unknown[];
}

function columnExpr(target: Target): string {
  switch (target.type) {
    case 'column':
      return `r.${target.column}`;
    case 'owner':
      return 'r.owner_id';
    case 'data':
      return valueExpr(target.kind, target.key, target.subform === undefined ? 'r.data' : 'e');
  }
}

function conditionSql(c: Condition, params: SqlParams): string {
  const t = c.target;
  if (t.type === 'owner') {
    return `r.owner_id IN (SELECT u.id FROM app_user u WHERE lower(u.username) = ANY(${params.add(c.op === 'in' ? c.values : [c.value])}::text[]))`;
  }
  let sql: string;
  if (t.type === 'data' && t.kind === 'list') {
    // `in` only (checked when parsing): the list holds any of the values.
    sql = `${jsonExpr(t.key, t.subform === undefined ? 'r.data' : 'e')} ?| ${params.add(c.op === 'in' ? c.values : [c.value])}::text[]`;
  } else {
    const expr = columnExpr(t);
    const cast = t.type === 'column' ? (t.kind === 'timestamp' ? '::timestamptz' : t.kind === 'boolean' ? '::boolean' : '::text') : t.kind === 'number' ? '::numeric' : '::text';
    if (c.op === 'in') {
      sql = c.values.length === 1 ? `${expr} = ${params.add(c.values[0])}${cast}` : `${expr} = ANY(${params.add(c.values)}${cast}[])`;
    } else {
      const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[c.op];
      sql = `${expr} ${op} ${params.add(c.value)}${cast}`;
    }
  }
  return t.type === 'data' && t.subform !== undefined ? `EXISTS (SELECT 1 FROM ${subformRows(t.subform)} e WHERE ${sql})` : sql;
}

function searchSql(search: NonNullable<ListQuery['search']>, params: SqlParams): string {
  const p = params.add(`%${escapeLike(search.text)}%`);
  const parts = [`r.short_id ILIKE ${p}`, `r.display_id ILIKE ${p}`];
  const bySubform = new Map<string, string[]>();
  for (const f of search.fields) {
    if (f.subform === undefined) parts.push(`(r.data->>${sqlKey(f.key)}) ILIKE ${p}`);
    else bySubform.set(f.subform, [...(bySubform.get(f.subform) ?? []), `(e->>${sqlKey(f.key)}) ILIKE ${p}`]);
  }
  for (const [subform, conds] of bySubform) parts.push(`EXISTS (SELECT 1 FROM ${subformRows(subform)} e WHERE ${conds.join(' OR ')})`);
  return `(${parts.join(' OR ')})`;
}

/**
 * Whether a condition of the query keeps records without a value for sort key `s` out (any condition on the same
 * top-level field: they are all strict). The key's NULLS placement then does not matter, and it is left to the
 * direction's default, which is the order a btree index over the expression delivers in either direction (`DESC
 * NULLS LAST` would make the planner sort every match instead of reading the index backwards).
 */
function excludesNulls(query: ListQuery, s: SortKey): boolean {
  const t = s.target;
  if (t.type !== 'data') return true;
  return query.conditions.some((c) => c.target.type === 'data' && c.target.subform === undefined && c.target.key === t.key && c.target.kind === t.kind && t.subform === undefined);
}

/** ORDER BY keys of a sort; `expr` gives the SQL of key i (default: its expression over `r`). */
function orderSql(query: ListQuery, expr: (s: SortKey, i: number) => string = (s) => columnExpr(s.target), id = 'r.id'): string {
  const sort = query.sort;
  const keys = sort.map((s, i) => {
    // Typed columns are NOT NULL: no NULLS clause, so that their btree indexes can deliver the order.
    const nulls = excludesNulls(query, s) ? '' : ' NULLS LAST';
    return `${expr(s, i)} ${s.desc ? 'DESC' : 'ASC'}${nulls}`;
  });
  keys.push(`${id} ${sort[0]?.desc ? 'DESC' : 'ASC'}`);
  return keys.join(', ');
}

interface ListWhere {
  /** The whole condition (alias `r`). */
  readonly where: string;
  readonly params: SqlParams;
  /** Everything but the caller's read scope. */
  readonly common: string;
  /** The read scope's alternatives (`scopeAlternatives`): `where` is `common AND (one of them)`. */
  readonly scope: readonly string[];
}

/** The WHERE clause of a list (alias `r`) and its parameters. */
export function listWhere(query: ListQuery, scope: ListScope, params = new SqlParams()): ListWhere {
  const read = scopeAlternatives(scope.read, params);
  const parts = [`r.module = ${sqlKey(scope.module)}`, `r.record_type = ${sqlKey(scope.recordType)}`];
  if (query.disabled === 'exclude') parts.push('NOT r.disabled');
  else if (query.disabled === 'only') parts.push('r.disabled', scopeSql(scope.disable, params));
  else parts.push(`(NOT r.disabled OR ${scopeSql(scope.disable, params)})`);
  for (const c of query.conditions) parts.push(conditionSql(c, params));
  if (query.search) parts.push(searchSql(query.search, params));
  const [module, recordType, ...rest] = parts;
  return { where: [module, recordType, orSql(read), ...rest].join('\n  AND '), params, common: parts.join('\n  AND '), scope: read };
}

/**
 * The matches of a list as one scan per scope alternative, each leaving out what an earlier one found, so that
 * they add up without duplicates (`UNION ALL`, which a LIMIT stops early). Each scan can then take its scope
 * condition from the index that also holds the filters (a composite per-bundle index carries the owner's group,
 * owner and agency), and the filters on `data` stay index conditions. With the scope as one OR, the planner
 * ORs one bitmap per alternative from whichever index fits it best, and then has to check every filter on `data`
 * against each candidate row in the table, which reads (and decompresses) the row's whole `data`: at a million
 * records that was most of the time of a list. Only when a composite index holds the filters
 * (`compositeIndexed`): otherwise the filters come from single-field bitmaps either way, and the split only made
 * the planner run the scans in parallel workers, which measured slower (a broad list: 190 ms instead of 100 ms).
 */
function matchesSql(w: ListWhere): string {
  return scopeScans(w, 'r.id').join('\nUNION ALL\n');
}

/** One `SELECT <columns> FROM record r WHERE …` per scope alternative, each leaving out what the earlier ones match. */
function scopeScans(w: ListWhere, columns: string): string[] {
  if (w.scope.length <= 1) return [`SELECT ${columns} FROM record r WHERE ${w.where}`];
  return w.scope.map((alternative, i) => {
    const earlier = i === 0 ? '' : `\n  AND (${w.scope.slice(0, i).join(' OR ')}) IS NOT TRUE`;
    return `SELECT ${columns} FROM record r WHERE ${w.common}\n  AND ${alternative}${earlier}`;
  });
}

/**
 * The ids and sort keys of one page, where a composite index holds the filters: the first `offset + limit` matches of
 * each scope alternative in list order (`scopeScans`; the index delivers each scan's rows in order when the sort key
 * is one of its fields, so each reads about a page of entries), merged (Merge Append) and cut to the page. With the
 * scope as one OR, the planner ORed the alternatives' bitmaps and sorted every match by a key it had to read from
 * each row's `data` (a caseworker's 141 matches at a million incidents: 7.5 ms instead of 2.6 ms).
 */
function orderedPageSql(query: ListQuery, w: ListWhere, limit: string, offset: string): string {
  const keys = query.sort.map((s, i) => `, ${columnExpr(s.target)} AS k${i}`).join('');
  const scans = scopeScans(w, `r.id${keys}`).map((scan) => `(${scan}\n ORDER BY ${orderSql(query)}\n LIMIT ${limit}::int + ${offset}::int)`);
  return `SELECT * FROM (${scans.join('\nUNION ALL\n')}) u ORDER BY ${orderSql(query, (_, i) => `u.k${i}`, 'u.id')} LIMIT ${limit} OFFSET ${offset}`;
}

/** The SQL of one list page, its capped count and its estimate. */
export function listSql(query: ListQuery, scope: ListScope, countCap: number): ListSql {
  const w = listWhere(query, scope);
  const { where, params } = w;
  const n = params.values.length;
  const cap = Math.trunc(countCap);
  const items = `SELECT ${RECORD_COLUMNS}\n  FROM record r JOIN app_user o ON o.id = r.owner_id\n WHERE ${where}\n ORDER BY ${orderSql(query)}\n LIMIT $${n + 1} OFFSET $${n + 2}`;
  return {
    pageAndTotal: query.compositeIndexed
      ? // Filters held by a composite index: the ids of at most cap + 1 matches, one scan per scope alternative
        // (`matchesSql`: no `data` read), counted; then, within the cap, the page's ids from the same scans in list
        // order (`orderedPageSql`), which the index answers without reading `data` beyond the page's rows when the
        // sort key is one of its fields (at a million records: 1.4 ms for a page of 539 matches instead of 31 ms
        // sorting them all), and only the page's rows read in full.
        `WITH m AS MATERIALIZED (${matchesSql(w)}\n LIMIT ${cap + 1}),
     c AS (SELECT count(*)::int AS n FROM m)
SELECT c.n AS total_count, page.*
  FROM c LEFT JOIN LATERAL (
    SELECT ${RECORD_COLUMNS}
      FROM (${orderedPageSql(query, w, `$${n + 1}`, `$${n + 2}`)}) p
      JOIN record r ON r.id = p.id JOIN app_user o ON o.id = r.owner_id
     WHERE c.n <= ${cap}
     ORDER BY ${orderSql(query, (_, i) => `p.k${i}`, 'p.id')}
  ) page ON true`
      : // Otherwise one scan: the ids and sort keys of at most cap + 1 matches, counted; the page is sorted from them
        // and only its rows are read back in full (the filters' single-field bitmaps are built once).
        `WITH m AS MATERIALIZED (SELECT r.id${query.sort.map((s, i) => `, ${columnExpr(s.target)} AS k${i}`).join('')} FROM record r WHERE ${where} LIMIT ${cap + 1}),
     c AS (SELECT count(*)::int AS n FROM m)
SELECT c.n AS total_count, page.*
  FROM c LEFT JOIN LATERAL (
    SELECT ${RECORD_COLUMNS}
      FROM (SELECT * FROM m WHERE c.n <= ${cap} ORDER BY ${orderSql(query, (_, i) => `m.k${i}`, 'm.id')} LIMIT $${n + 1} OFFSET $${n + 2}) p
      JOIN record r ON r.id = p.id JOIN app_user o ON o.id = r.owner_id
     ORDER BY ${orderSql(query, (_, i) => `p.k${i}`, 'p.id')}
  ) page ON true`,
    items,
    itemsParams: [...params.values, query.pageSize, (query.page - 1) * query.pageSize],
    count: `SELECT count(*)::int AS n FROM (SELECT 1 FROM record r WHERE ${where} LIMIT ${countCap + 1}) capped`,
    explain: `EXPLAIN (FORMAT JSON) SELECT 1 FROM record r WHERE ${where}`,
    params: [...params.values],
  };
}
