import type pg from 'pg';

/** What backup and restore need to know about schema public, read from the PostgreSQL catalogs. */

export const MIGRATIONS_TABLE = 'schema_migrations';

type Queryable = Pick<pg.ClientBase, 'query'>;

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(table: string): string {
  return `public.${ident(table)}`;
}

/**
 * Session settings under which COPY's text format means the same thing on every server: dates in ISO order,
 * UTC, exact floats, hex bytea. Used by both sides of a copy backup.
 */
export async function setPortableSession(client: Queryable): Promise<void> {
  await client.query(`SET LOCAL client_encoding = 'UTF8'`);
  await client.query(`SET LOCAL DateStyle = 'ISO, YMD'`);
  await client.query(`SET LOCAL IntervalStyle = 'postgres'`);
  await client.query(`SET LOCAL TimeZone = 'UTC'`);
  await client.query(`SET LOCAL extra_float_digits = 3`);
  await client.query(`SET LOCAL bytea_output = 'hex'`);
  await client.query(`SET LOCAL search_path = public`);
}

export interface TableInfo {
  name: string;
  /** A partitioned table is read through its parent (`COPY (SELECT ...)`); its partitions are not listed. */
  partitioned: boolean;
  /** Columns COPY can write: not dropped, not generated. */
  columns: string[];
}

/**
 * The tables of schema public except `schema_migrations`, parents before the tables whose foreign keys
 * point at them (so a restore loads them in an order that satisfies the constraints), then by name.
 */
export async function listTables(client: Queryable): Promise<TableInfo[]> {
  const { rows: tables } = await client.query<{ oid: number; name: string; kind: string }>(
    `SELECT c.oid::int AS oid, c.relname AS name, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> $1
      ORDER BY c.relname`,
    [MIGRATIONS_TABLE],
  );
  const { rows: columns } = await client.query<{ oid: number; name: string }>(
    `SELECT a.attrelid::int AS oid, a.attname AS name
       FROM pg_attribute a
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attrelid, a.attnum`,
    [tables.map((t) => t.oid)],
  );
  const { rows: fks } = await client.query<{ child: number; parent: number }>(
    `SELECT conrelid::int AS child, confrelid::int AS parent FROM pg_constraint
      WHERE contype = 'f' AND conrelid = ANY($1::oid[]) AND confrelid = ANY($1::oid[]) AND conrelid <> confrelid`,
    [tables.map((t) => t.oid)],
  );
  const byOid = new Map(tables.map((t) => [t.oid, { name: t.name, partitioned: t.kind === 'p', columns: [] as string[] }]));
  for (const c of columns) byOid.get(c.oid)?.columns.push(c.name);
  // Depth-first topological order; a cycle (only loadable with deferred or disabled constraints) keeps name order.
  const parents = new Map<number, number[]>();
  for (const fk of fks) parents.set(fk.child, [...(parents.get(fk.child) ?? []), fk.parent]);
  const ordered: TableInfo[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (oid: number) => {
    if (state.has(oid)) return;
    state.set(oid, 'visiting');
    for (const p of parents.get(oid) ?? []) visit(p);
    state.set(oid, 'done');
    ordered.push(byOid.get(oid)!);
  };
  for (const t of tables) visit(t.oid);
  return ordered;
}

export async function countRows(client: Queryable, table: Pick<TableInfo, 'name' | 'partitioned'>): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.partitioned ? '' : 'ONLY '}${qualified(table.name)}`);
  return Number(rows[0].n);
}

/** Row counts of every table (see `listTables`), keyed by table name. */
export async function countAllRows(client: Queryable, tables?: TableInfo[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of tables ?? (await listTables(client))) counts[t.name] = await countRows(client, t);
  return counts;
}

export async function appliedMigrations(client: Queryable): Promise<string[] | undefined> {
  const { rows: exists } = await client.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = $1`, [
    MIGRATIONS_TABLE,
  ]);
  if (exists.length === 0) return undefined;
  const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${qualified(MIGRATIONS_TABLE)} ORDER BY id`);
  return rows.map((r) => r.name);
}

export interface SequenceInfo {
  name: string;
  /** The table and column owning the sequence (serial or identity), if any. */
  table?: string;
  column?: string;
}

export async function listSequences(client: Queryable): Promise<SequenceInfo[]> {
  const { rows } = await client.query<{ name: string; table: string | null; column: string | null }>(
    `SELECT s.relname AS name, t.relname AS table, a.attname AS column
       FROM pg_class s
       JOIN pg_namespace n ON n.oid = s.relnamespace
       LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       LEFT JOIN pg_class t ON t.oid = d.refobjid
       LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE n.nspname = 'public' AND s.relkind = 'S'
      ORDER BY s.relname`,
  );
  return rows.map((r) => ({ name: r.name, table: r.table ?? undefined, column: r.column ?? undefined }));
}

/**
 * What makes a database unfit as a restore target. Haven restores only into an EMPTY database: schema public
 * holds no table, view, sequence or function (objects that belong to an installed extension do not count).
 * Returns a short description of what was found, or undefined when the database is empty.
 */
export async function describeNonEmpty(client: Queryable): Promise<string | undefined> {
  const { rows } = await client.query<{ kind: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' ELSE 'table' END AS kind, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     UNION ALL
     SELECT 'function', p.proname
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY 1, 2`,
  );
  if (rows.length === 0) return undefined;
  const tables = rows.filter((r) => r.kind === 'table').map((r) => r.name);
  const others = rows.length - tables.length;
  const parts: string[] = [];
  if (tables.length) parts.push(`${tables.length} table(s) (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''})`);
  if (others) parts.push(`${others} other object(s)`);
  return parts.join(' and ');
}

export async function currentDatabase(client: Queryable): Promise<string> {
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  return rows[0].db;
}

export async function serverVersion(client: Queryable): Promise<{ major: number; version: string }> {
  const { rows } = await client.query<{ num: string; version: string }>(`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`);
  return { major: Math.floor(Number(rows[0].num) / 10000), version: rows[0].version.split(' ')[0] };
}
