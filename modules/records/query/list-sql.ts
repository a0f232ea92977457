import type { RecordCondition } from '../../../engine/index.js';
import { RECORD_COLUMNS } from '../record.types.js';
import { scopeSql, SqlParams } from '../scope-sql.js';
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
   * Page and capped total in one statement (parameters `itemsParams`): the ids of at most `cap + 1` matching
   * records, counted (`total_count`, on every row; one row with NULL columns when the page is empty) and, when
   * there are at most `cap`, the page taken from them. One scan instead of a page query plus a count query.
   * Beyond the cap it returns the count only: the page then comes from `items` (which can stop early on an index
   * that delivers the order) and the total from `explain`.
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

/** ORDER BY keys of a sort; `expr` gives the SQL of key i (default: its expression over `r`). */
function orderSql(sort: readonly SortKey[], expr: (s: SortKey, i: number) => string = (s) => columnExpr(s.target), id = 'r.id'): string {
  const keys = sort.map((s, i) => {
    // Typed columns are NOT NULL: no NULLS clause, so that their btree indexes can deliver the order.
    const nulls = s.target.type === 'data' ? ' NULLS LAST' : '';
    return `${expr(s, i)} ${s.desc ? 'DESC' : 'ASC'}${nulls}`;
  });
  keys.push(`${id} ${sort[0]?.desc ? 'DESC' : 'ASC'}`);
  return keys.join(', ');
}

/** The WHERE clause of a list (alias `r`) and its parameters. */
export function listWhere(query: ListQuery, scope: ListScope, params = new SqlParams()): { where: string; params: SqlParams } {
  const parts = [`r.module = ${sqlKey(scope.module)}`, `r.record_type = ${sqlKey(scope.recordType)}`, scopeSql(scope.read, params)];
  if (query.disabled === 'exclude') parts.push('NOT r.disabled');
  else if (query.disabled === 'only') parts.push('r.disabled', scopeSql(scope.disable, params));
  else parts.push(`(NOT r.disabled OR ${scopeSql(scope.disable, params)})`);
  for (const c of query.conditions) parts.push(conditionSql(c, params));
  if (query.search) parts.push(searchSql(query.search, params));
  return { where: parts.join('\n  AND '), params };
}

/** The SQL of one list page, its capped count and its estimate. */
export function listSql(query: ListQuery, scope: ListScope, countCap: number): ListSql {
  const { where, params } = listWhere(query, scope);
  const n = params.values.length;
  const cap = Math.trunc(countCap);
  return {
    // The ids and sort keys of at most cap + 1 matches, counted; the page is sorted from them and only its rows are
    // read back in full.
    pageAndTotal: `WITH m AS MATERIALIZED (SELECT r.id${query.sort.map((s, i) => `, ${columnExpr(s.target)} AS k${i}`).join('')} FROM record r WHERE ${where} LIMIT ${cap + 1}),
     c AS (SELECT count(*)::int AS n FROM m)
SELECT c.n AS total_count, page.*
  FROM c LEFT JOIN LATERAL (
    SELECT ${RECORD_COLUMNS}
      FROM (SELECT * FROM m WHERE c.n <= ${cap} ORDER BY ${orderSql(query.sort, (_, i) => `m.k${i}`, 'm.id')} LIMIT $${n + 1} OFFSET $${n + 2}) p
      JOIN record r ON r.id = p.id JOIN app_user o ON o.id = r.owner_id
     ORDER BY ${orderSql(query.sort, (_, i) => `p.k${i}`, 'p.id')}
  ) page ON true`,
    items: `SELECT ${RECORD_COLUMNS}\n  FROM record r JOIN app_user o ON o.id = r.owner_id\n WHERE ${where}\n ORDER BY ${orderSql(query.sort)}\n LIMIT $${n + 1} OFFSET $${n + 2}`,
    itemsParams: [...params.values, query.pageSize, (query.page - 1) * query.pageSize],
    count: `SELECT count(*)::int AS n FROM (SELECT 1 FROM record r WHERE ${where} LIMIT ${countCap + 1}) capped`,
    explain: `EXPLAIN (FORMAT JSON) SELECT 1 FROM record r WHERE ${where}`,
    params: [...params.values],
  };
}
