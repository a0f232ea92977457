/**
 * Record lists at scale, through the code the API runs: `RecordsReadService.list` (query-string parsing, checks
 * against the record type and the caller's readable fields, SQL from the shared builder with the caller's scope,
 * the page, the capped count, redaction, the audit row for identifying data). Only HTTP is left out.
 *
 * Per database: a fresh database, N demo GBV incidents from the seed library (default 1,000,000 on the PostgreSQL
 * server of DATABASE_URL, 100,000 on the embedded database), the incident's per-bundle expression indexes as
 * `wantedIndexes` (record-indexes.ts) declares them except the composite ones, VACUUM (ANALYZE) (statistics, and the
 * visibility map index-only scans rely on), then ≥ 200 timed runs per scenario:
 *
 *   1. a supervisor (group scope), two filters that together match under 1% of incidents, sorted by incident date;
 *   2. a caseworker (own scope), same filters and sort;
 *   3. the supervisor with one broad filter (~20% of incidents), newest first;
 *   4. plain SQL of scenario 1 written by hand (same indexes, no builder, no mapping, the group scope as the plain
 *      array overlap `owner_groups && groups`) in the same run;
 *   4b. the same with the group scope as `scopeSql` writes it (the owner's single group as a scalar key, else the
 *      array), against 4 (the plain array overlap) on the same data;
 *   5. plain SQL on a fitting index: the caseworker's newest 20 (record_type_owner_idx), the floor of any list;
 *   6. after: the incident's composite indexes (`indexes: [{ fields: [...] }]`, the benchmark's filter pair among
 *      them) built as declared, VACUUM (ANALYZE), scenarios 1–4b again: before/after in the same run. The
 *      "before" rows are a server whose declared composite index is not built yet (it builds in the background
 *      after start): lists read as if none were declared until the index is valid (`RecordIndexes.compositeReady`).
 *
 * Every scenario is timed in `--passes` (default 2) passes, one after the other: the machine may be shared, and
 * the spread between passes is part of the result.
 *
 * Run: `npm run bench:list [-- --db embedded|postgres|both] [--records N] [--runs 200] [--passes 2] [--keep | --reuse <url>]`
 * (`--keep` keeps the seeded database and prints its URL; `--reuse <url>` with `--db postgres` measures on it again
 * without seeding, so that two builds can be compared on the very same rows; drop it when done.)
 */
import { DataSource } from 'typeorm';
import type { CompiledConfig } from '../engine/index.js';
import { AuditService } from '../modules/audit/audit.service.js';
import { setLogLevel } from '../modules/common/logger.js';
import { PrincipalLoader } from '../modules/auth/principal.loader.js';
import type { HavenRuntime } from '../modules/common/runtime.js';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { dataSourceOptions } from '../modules/database/data-source.js';
import { parseListParams } from '../modules/records/query/list-params.js';
import { compileListQuery } from '../modules/records/query/list-query.js';
import { listSql } from '../modules/records/query/list-sql.js';
import { compositeKey, indexFor, wantedIndexes, type RecordIndexes } from '../modules/records/record-indexes.js';
import { RecordsReadService } from '../modules/records/records-read.service.js';
import { ownerGroupKey } from '../modules/records/scope-sql.js';
import { prepareDatabase } from '../modules/seed/prepare.js';
import { isoDay, dayNumber } from '../modules/seed/random.js';
import { seedDemo, type SeedSummary } from '../modules/seed/seed-demo.js';
import type { Actor } from '../modules/users/request-actor.js';
import { databaseKinds, fmt, freshDatabase, machine, ms, numberArg, reuseArg, reusedDatabase, serverVersion, timing, type BenchDatabase, type Timing } from './support/bench-env.js';

const RUNS = Math.max(200, numberArg('runs', 200));
const PASSES = Math.max(1, numberArg('passes', 2));
const WARMUP = 20;
const TODAY = '2026-06-30';

interface Scenario {
  readonly name: string;
  readonly run: () => Promise<number>;
  /** Records of the type the query's conditions match (scope included), counted once. */
  readonly matches: number;
}

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly Plans?: readonly PlanNode[];
}

interface Row {
  readonly db: string;
  readonly records: number;
  readonly pass: number;
  readonly scenario: string;
  readonly matches: number;
  readonly time: Timing;
}

/** `filter[a]=x&filter[b][gte]=y` from a nested object (what Express's extended parser turns back into it). */
function queryString(query: Record<string, unknown>, prefix = ''): string {
  return Object.entries(query)
    .flatMap(([key, value]) => {
      const name = prefix ? `${prefix}[${key}]` : key;
      return typeof value === 'object' && value !== null ? [queryString(value as Record<string, unknown>, name)] : [`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`];
    })
    .join('&');
}

async function timed(run: () => Promise<unknown>, runs: number): Promise<Timing> {
  for (let i = 0; i < WARMUP; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return timing(samples);
}

/** The demo users of a database an earlier run seeded (`--reuse`). */
async function seededUsers(url: string): Promise<SeedSummary['users']> {
  const ds = new DataSource(dataSourceOptions(url, 1));
  await ds.initialize();
  try {
    const users = (await ds.query(`SELECT id, username FROM app_user WHERE username LIKE 'demo.%'`)) as Array<{ id: string; username: string }>;
    if (users.length === 0) throw new Error(`${url} holds no demo users (seed it with a --keep run first).`);
    return users as unknown as SeedSummary['users'];
  } finally {
    await ds.destroy();
  }
}

async function benchmark(db: BenchDatabase & { reused?: true }, records: number, log: (line: string) => void): Promise<Row[]> {
  // Migrations run on a reused database too (a newer build may add some); the configuration stays as it is.
  const prepared = await prepareDatabase(db.url, db.env, () => undefined);
  const compiled: CompiledConfig = prepared.compiled;
  let started = performance.now();
  const seeded: Pick<SeedSummary, 'users'> = db.reused ? { users: await seededUsers(db.url) } : await seedDemo(
    db.url,
    compiled,
    { incidents: records, cases: 0, cpCases: 0, agencies: 4, groupsPerAgency: 3, usersPerGroup: 5, seed: 42, history: false, append: false, today: TODAY, password: 'benchmark-demo-password' },
    (p) => {
      if (p.phase === 'records' && (p.done === p.total || p.done % 100_000 === 0)) log(`  seeded ${fmt(p.done)} / ${fmt(p.total)} (${fmt(p.perSecond ?? 0)}/s)`);
    },
  );
  if (!db.reused) log(`  seed: ${fmt(records)} incidents in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const runtime: HavenRuntime = { env: db.env, databaseKind: db.kind, databaseUrl: db.url };
  const ds = new DataSource(dataSourceOptions(db.url, 4));
  await ds.initialize();
  try {
    const config = new ActiveConfigService(ds, runtime);
    await config.reload();
    // The record type's per-bundle indexes and statistics, exactly as RecordIndexes declares them (names, expressions, predicates),
    // built here without CONCURRENTLY (nobody else writes) and only for incidents; the server would build them all.
    started = performance.now();
    const allSpecs = wantedIndexes(config.current()).filter((spec) => spec.usedBy.some((u) => u.module === 'gbv' && u.recordType === 'incident'));
    const specs = allSpecs.filter((spec) => !spec.composite);
    const composites = allSpecs.filter((spec) => spec.composite);
    // A reused database has the composite indexes of the earlier run (or of an older definition): the first
    // scenarios run without any, as on a fresh database.
    if (db.reused) {
      const present = (await ds.query(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'record'::regclass AND c.relname LIKE 'record\\_x\\_%'`,
      )) as Array<{ name: string }>;
      const single = new Set(specs.map((spec) => spec.name));
      for (const { name } of present) if (!single.has(name)) await ds.query(`DROP INDEX IF EXISTS ${name}`);
    }
    for (const spec of specs) {
      await ds.query(spec.sql.replace(' CONCURRENTLY', ''));
      if (spec.statistics) await ds.query(spec.statistics.sql);
    }
    await ds.query('VACUUM (ANALYZE) record');
    log(`  ${specs.length} single-field per-bundle incident indexes + VACUUM (ANALYZE): ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The service asks RecordIndexes to build missing indexes on every list: here they are built by the benchmark.
    // Which composite ones are valid is read from the catalogue, as RecordIndexes does, once per phase.
    let valid = new Set<string>();
    const lookUpValid = async () => {
      const rows = (await ds.query(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'record'::regclass AND i.indisvalid`,
      )) as Array<{ name: string }>;
      valid = new Set(rows.map((r) => r.name));
    };
    await lookUpValid();
    const builtIndexes = {
      ensure: async () => undefined,
      whenIdle: async () => undefined,
      compositeReady: (_compiled: unknown, module: string, recordType: string, fields: readonly string[]) => {
        const spec = indexFor(composites, module, recordType, compositeKey(fields));
        return spec !== undefined && valid.has(spec.name);
      },
    } as unknown as RecordIndexes;
    const service = new RecordsReadService(ds, config, new AuditService(ds), builtIndexes);
    const loader = new PrincipalLoader(ds, config);
    const actorOf = async (username: string): Promise<Actor> => {
      const user = seeded.users.find((u) => u.username === username)!;
      const facts = await loader.user(user.id);
      return { principal: loader.principal(facts!, 'benchmark'), clientIp: '127.0.0.1', requestId: null };
    };
    const supervisor = await actorOf('demo.ag1.gbv1.sup');
    const caseworker = await actorOf('demo.ag1.gbv1.cw1');

    const today = dayNumber(TODAY);
    const narrow = {
      filter: { gbv_sexual_violence_type: 'forced_marriage', incident_date: { gte: isoDay(today - 400), lte: isoDay(today - 330) } },
      sort: '-incident_date',
      pageSize: '20',
    };
    const broad = { filter: { incident_date: { gte: isoDay(today - 220) } }, pageSize: '20' };
    const list = (actor: Actor, query: Record<string, unknown>) => {
      const qs = queryString(query);
      return async () => (await service.list(actor, 'incident', query, qs)).items.length;
    };
    /** The builder's SQL for a caller and query (as the service builds it). */
    const sqlFor = (actor: Actor, query: Record<string, unknown>, cap: number) => {
      const { params } = parseListParams(query, queryString(query));
      const ability = actor.principal.ability;
      const rt = compiled.recordType('gbv', 'incident');
      const compiledQuery = compileListQuery(params, {
        type: rt,
        readable: ability.readableFields('gbv', 'incident'),
        canSeeDisabled: false,
        locations: compiled.locations,
        compositeReady: (fields) => builtIndexes.compositeReady(compiled, 'gbv', 'incident', fields),
      });
      return listSql(compiledQuery, { module: 'gbv', recordType: 'incident', read: ability.recordConditions('read', 'gbv', 'incident'), disable: [] }, cap);
    };
    /** How many incidents the caller's scope and the query's filters match (the builder's own WHERE clause). */
    const matching = async (actor: Actor, query: Record<string, unknown>): Promise<number> => {
      const sql = sqlFor(actor, query, 10_000_000);
      const [{ n }] = (await ds.query(sql.count, sql.params)) as Array<{ n: number }>;
      return n;
    };
    /** The plan of the statement a list runs (page and total together) as a one-line outline (node types and indexes). */
    const planOf = async (actor: Actor, query: Record<string, unknown>): Promise<string> => {
      const sql = sqlFor(actor, query, 10_000);
      const [row] = (await ds.query(`EXPLAIN (FORMAT JSON) ${sql.pageAndTotal}`, sql.itemsParams)) as Array<{ 'QUERY PLAN': unknown }>;
      const outline = (node: PlanNode): string => {
        const label = `${node['Node Type']}${node['Index Name'] ? ` ${node['Index Name']}` : ''}`;
        const children = (node.Plans ?? []).map(outline);
        return children.length ? `${label} (${children.join(', ')})` : label;
      };
      const plan = (row?.['QUERY PLAN'] as Array<{ Plan: PlanNode }> | undefined)?.[0]?.Plan;
      return plan ? outline(plan) : '?';
    };
    const [{ all }] = (await ds.query(`SELECT count(*)::int AS all FROM record WHERE module = 'gbv' AND record_type = 'incident'`)) as Array<{ all: number }>;
    const [{ twoFilters }] = (await ds.query(
      `SELECT count(*)::int AS "twoFilters" FROM record WHERE module = 'gbv' AND record_type = 'incident' AND data->>'gbv_sexual_violence_type' = $1
          AND ((data->>'incident_date') COLLATE "C") BETWEEN $2 AND $3`,
      ['forced_marriage', narrow.filter.incident_date.gte, narrow.filter.incident_date.lte],
    )) as Array<{ twoFilters: number }>;
    log(`  the two narrow filters match ${fmt(twoFilters)} of ${fmt(all)} incidents (${((twoFilters / all) * 100).toFixed(2)}%)`);

    const handWritten = `SELECT r.id, r.short_id, r.display_id, r.owner_id, r.status, r.version, r.data, r.created_at
        FROM record r
       WHERE r.module = 'gbv' AND r.record_type = 'incident' AND NOT r.disabled
         AND (r.owner_groups && $1::text[] OR r.owner_id = $2::uuid OR r.shared_with @> ARRAY[$2::uuid])
         AND (r.data->>'gbv_sexual_violence_type') = $3
         AND ((r.data->>'incident_date') COLLATE "C") >= $4 AND ((r.data->>'incident_date') COLLATE "C") <= $5
       ORDER BY ((r.data->>'incident_date') COLLATE "C") DESC NULLS LAST, r.id DESC
       LIMIT 20`;
    // The same with the group scope as scopeSql writes it (the owner's single group, else the array).
    const group = ownerGroupKey();
    const handWrittenGroupKey = handWritten.replace(
      'r.owner_groups && $1::text[]',
      `(${group} = ANY($1::text[]) OR (${group} IS NULL AND r.owner_groups && $1::text[]))`,
    );
    const handParams = [supervisor.principal.groupCodes, supervisor.principal.userId, 'forced_marriage', narrow.filter.incident_date.gte, narrow.filter.incident_date.lte];
    const floor = `SELECT r.id, r.short_id, r.display_id, r.status, r.version, r.data, r.created_at FROM record r
       WHERE r.module = 'gbv' AND r.record_type = 'incident' AND r.owner_id = $1 ORDER BY r.created_at DESC LIMIT 20`;

    const scenarios: Scenario[] = [
      { name: 'supervisor (group scope), 2 filters < 1%, sort -incident_date', run: list(supervisor, narrow), matches: await matching(supervisor, narrow) },
      { name: 'caseworker (own scope), 2 filters < 1%, sort -incident_date', run: list(caseworker, narrow), matches: await matching(caseworker, narrow) },
      { name: 'supervisor, 1 broad filter (~20%), sort -createdAt', run: list(supervisor, broad), matches: await matching(supervisor, broad) },
      { name: 'baseline: scenario 1 as hand-written SQL', run: async () => (await ds.query(handWritten, handParams)).length, matches: await matching(supervisor, narrow) },
      {
        name: "baseline: scenario 1 as hand-written SQL, group scope by the owner's group key",
        run: async () => (await ds.query(handWrittenGroupKey, handParams)).length,
        matches: await matching(supervisor, narrow),
      },
      { name: "baseline: a caseworker's newest 20 (record_type_owner_idx)", run: async () => (await ds.query(floor, [caseworker.principal.userId])).length, matches: 0 },
    ];
    log(`  plan of scenario 1: ${await planOf(supervisor, narrow)}`);
    log(`  plan of scenario 2: ${await planOf(caseworker, narrow)}`);
    const rows: Row[] = [];
    // Every scenario PASSES times, one pass after the other (the machine is shared: the passes show the noise).
    for (let pass = 1; pass <= PASSES; pass++) {
      for (const scenario of scenarios) {
        const time = await timed(scenario.run, RUNS);
        log(`  pass ${pass}, ${scenario.name}: p50 ${ms(time.p50)} ms, p95 ${ms(time.p95)} ms, p99 ${ms(time.p99)} ms`);
        rows.push({ db: db.kind, records: all, pass, scenario: scenario.name, matches: scenario.matches, time });
      }
    }


    // After: the composite indexes the incident declares (`indexes: [{ fields: [...] }]`), one of them over the two
    // narrow filters, then the same scenarios again in every pass.
    started = performance.now();
    for (const spec of composites) await ds.query(spec.sql.replace(' CONCURRENTLY', ''));
    await ds.query('VACUUM (ANALYZE) record');
    await lookUpValid();
    log(`  ${composites.length} composite incident index(es) (${composites.map((c) => c.usedBy.map((u) => u.field).join(', ')).join('; ')}) + VACUUM (ANALYZE): ${((performance.now() - started) / 1000).toFixed(1)} s`);
    log(`  plan of scenario 1 now: ${await planOf(supervisor, narrow)}`);
    log(`  plan of scenario 2 now: ${await planOf(caseworker, narrow)}`);
    for (let pass = 1; pass <= PASSES; pass++) {
      for (const scenario of scenarios.filter((s) => !s.name.startsWith("baseline: a caseworker's"))) {
        const time = await timed(scenario.run, RUNS);
        const name = `with composite index: ${scenario.name}`;
        log(`  pass ${pass}, ${name}: p50 ${ms(time.p50)} ms, p95 ${ms(time.p95)} ms, p99 ${ms(time.p99)} ms`);
        rows.push({ db: db.kind, records: all, pass, scenario: name, matches: scenario.matches, time });
      }
    }
    return rows;
  } finally {
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  setLogLevel(process.env.LOG_LEVEL ?? 'error');
  const kinds = databaseKinds();
  const rows: Row[] = [];
  const versions: string[] = [];
  for (const kind of kinds) {
    const records = numberArg('records', kind === 'postgres' ? 1_000_000 : 100_000);
    console.error(`${kind}: ${fmt(records)} incidents`);
    const reuse = reuseArg();
    if (reuse && kinds.length > 1) throw new Error('--reuse takes one database: pass --db embedded or --db postgres as well.');
    const db: BenchDatabase & { reused?: true } = reuse ? { ...reusedDatabase(kind, reuse), reused: true } : await freshDatabase(kind);
    try {
      versions.push(`${kind}: PostgreSQL ${await serverVersion(db.url)}`);
      rows.push(...(await benchmark(db, records, (line) => console.error(line))));
    } finally {
      if (process.argv.includes('--keep') || reuse) console.error(`  kept: --reuse ${db.url}${db.dataDir ? ` (data folder ${db.dataDir}; the embedded server is stopped when this run ends)` : ''}`);
      else await db.close();
    }
  }
  console.log(`\n${machine()}; ${versions.join(', ')}; ${RUNS} timed runs per scenario after ${WARMUP} warm-up runs, one client, page size 20.\n`);
  console.log('| database | incidents | pass | scenario | matching | p50 ms | p95 ms | p99 ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.db} | ${fmt(r.records)} | ${r.pass} | ${r.scenario} | ${r.matches ? fmt(r.matches) : '—'} | ${ms(r.time.p50)} | ${ms(r.time.p95)} | ${ms(r.time.p99)} |`);
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
