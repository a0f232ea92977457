import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { CompiledConfig } from '../../engine/index.js';
import { logger } from '../common/logger.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { fieldKind, isScalarKind, jsonExpr, valueExpr, type FieldKind } from './query/field-sql.js';
import { ownerGroupKey } from './scope-sql.js';

/**
 * Per-bundle expression indexes: for each `indexes: [{ field }]` entry of each record type of the active bundles,
 * a btree index over the field's list-query expression (`valueExpr`, the same one the list SQL uses; a GIN index
 * over the JSON array for multi-selects), one per expression whichever record types index the key, holding only
 * the rows that have a value, plus statistics on the expression for scalars:
 *
 *   CREATE INDEX CONCURRENTLY IF NOT EXISTS record_x_<hash> ON record ((data->>'sex')) WHERE (data->>'sex') IS NOT NULL
 *   CREATE STATISTICS IF NOT EXISTS record_s_<hash> ON ((data->>'sex')) FROM record
 *
 * Not restricted to a module and record type (neither `WHERE module = … AND record_type = …` nor led by those
 * columns): the planner never ANDs two bitmap index scans whose conditions overlap (the same predicate, or the same
 * `module`/`record_type` index conditions), so only one filter of a list could use its index (measured 16× slower
 * at a million records, docs/benchmarks.md); lists AND the module and record type in as heap filters. The
 * `IS NOT NULL` predicate differs per index, is implied by every (strict) list condition on the field, and keeps
 * other record types' rows out of the index (no write cost for them). The planner ignores the statistics of
 * partial indexes, hence the statistics objects (ANALYZE runs after new ones are made). A composite entry
 * (`indexes: [{ fields: [a, b] }]`) gives one btree over the fields' expressions (`compositeIndex`).
 *
 * Built in the background after start (and again when the active configuration changes), one at a time, on a
 * dedicated connection (CONCURRENTLY cannot run in a transaction and does not block writes). Idempotent: the
 * name is a hash of the index's definition (with INDEX_FORMAT), an index left INVALID by an interrupted build is
 * dropped and rebuilt, per-bundle indexes and statistics the configuration no longer asks for (another definition,
 * a removed entry, the older module-partial ones) are dropped once the wanted ones are built, and instances
 * starting together take turns through an advisory lock. Queries stay correct without the indexes, only slower. A
 * database user that does not own `record` builds nothing (logged).
 */

export interface IndexSpec {
  readonly name: string;
  /**
   * The record types' `indexes` entries this index serves (several when record types share a key and kind);
   * `field` is the entry's field, or for a composite entry its fields joined by `+` (`compositeKey`).
   */
  readonly usedBy: Array<{ readonly module: string; readonly recordType: string; readonly field: string }>;
  /** The field's kind (a composite index: the kind of its first field). */
  readonly kind: FieldKind;
  /** Set for a composite index (`indexes: [{ fields: [...] }]`). */
  readonly composite?: true;
  readonly sql: string;
  /** Statistics on the expression (scalars): named like the index with the `record_s_` prefix. */
  readonly statistics?: { readonly name: string; readonly sql: string };
}

/** Serialises index builds across app instances. */
const INDEX_LOCK = 7_262_836_3;
const RETRY_MS = 10 * 60_000;
/** How often `compositeReady` looks again at which per-bundle indexes are valid (another instance may build them). */
const VALID_RECHECK_MS = 30_000;

/**
 * Bumped when the shape of the generated indexes changes, so that every name changes with it: existing indexes of
 * the old shape are then no longer wanted and are dropped after the new ones are built.
 */
const INDEX_FORMAT = 'v3';

/** Prefix of every per-bundle index (and of nothing else). */
export const INDEX_PREFIX = 'record_x_';
/** Prefix of the statistics objects that go with them. */
export const STATISTICS_PREFIX = 'record_s_';

export function indexName(definition: string): string {
  return `${INDEX_PREFIX}${createHash('sha256').update(`${INDEX_FORMAT}/${definition}`).digest('hex').slice(0, 24)}`;
}

/** How a composite `indexes` entry is named in `usedBy` and `indexFor`. */
export function compositeKey(fields: readonly string[]): string {
  return fields.join('+');
}

/** The indexes the active configuration asks for (top-level scalar fields only; others are skipped, logged). */
export function wantedIndexes(compiled: CompiledConfig): IndexSpec[] {
  const out: IndexSpec[] = [];
  for (const type of compiled.recordTypes) {
    for (const entry of type.definition.indexes ?? []) {
      if ('fields' in entry) {
        const composite = compositeIndex(type, entry.fields);
        const same = composite && out.find((spec) => spec.name === composite.name);
        if (same) same.usedBy.push(...composite.usedBy);
        else if (composite) out.push(composite);
        continue;
      }
      const key = entry.field;
      const field = type.field(key);
      const kind = field && field.subform === undefined ? fieldKind(field) : undefined;
      if (!field || !kind) {
        logger.warn({ module: type.module, recordType: type.key, field: key }, 'record index skipped: not a top-level field lists can filter on');
        continue;
      }
      // Scalars: btree over the list expression. Multi-selects: GIN over the JSON array (serves `?|`). One index
      // per expression, whichever record types index the key (queries AND their module and record type in).
      // Rows without a value (other record types, unfilled fields) stay out of the index: every list condition on
      // the field is strict, so it implies the predicate. Scalars get statistics on the expression as well (the
      // planner ignores a partial index's own), so that it knows how selective each filter is.
      const expression = isScalarKind(kind) ? valueExpr(kind, key, 'data') : jsonExpr(key, 'data');
      const method = isScalarKind(kind) ? '' : 'USING gin ';
      const definition = `${method}(${expression}) WHERE ${expression} IS NOT NULL`;
      const name = indexName(definition);
      const use = { module: type.module, recordType: type.key, field: key };
      const same = out.find((spec) => spec.name === name);
      if (same) {
        same.usedBy.push(use);
        continue;
      }
      const statisticsName = `${STATISTICS_PREFIX}${name.slice(INDEX_PREFIX.length)}`;
      out.push({
        name,
        usedBy: [use],
        kind,
        sql: `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON record ${definition}`,
        ...(isScalarKind(kind) ? { statistics: { name: statisticsName, sql: `CREATE STATISTICS IF NOT EXISTS ${statisticsName} ON (${expression}) FROM record` } } : {}),
      });
    }
  }
  return out;
}

/**
 * A composite entry: one btree over `(<expression of each field>, created_at DESC, <owner's group key>, owner_id,
 * owner_agency)`, holding the rows that have a value for the first field (implied by any list condition on it);
 * record types declaring the same fields share it. A list filtering on the fields (equality on the leading ones, a
 * range on the last) finds its candidates in one index range (4,286 entries for the benchmark's two filters at a
 * million incidents, instead of ANDing two bitmaps of 65,000). The scope columns after them make each scope
 * alternative (list-sql.ts: the owner's single group, the owner, the agency) an index condition within that range
 * (539 entries for a team's supervisor), so that no row outside the caller's scope is read from the table; the key
 * is `ownerGroupKey('')` (scope-sql.ts), the exact expression the queries use. Measured, and therefore deliberately:
 *  - not led by `(module, record_type)`: the planner never ANDs two bitmaps whose index conditions overlap, and the
 *    caseworker scope's `record_type_owner_idx` has those conditions too, so such an index was never chosen;
 *  - no INCLUDE of the scope columns: PostgreSQL (15–17) plans no index-only scan when a query needs a column only
 *    through an index expression (`data`), so included columns would never be read from the index; they made it
 *    2.5× larger (175 MB instead of 69 MB at a million).
 * Scalar top-level fields only; an entry with any other field is skipped (logged).
 */
function compositeIndex(type: CompiledConfig['recordTypes'][number], keys: readonly string[]): IndexSpec | undefined {
  const expressions: string[] = [];
  for (const key of keys) {
    const field = type.field(key);
    const kind = field && field.subform === undefined ? fieldKind(field) : undefined;
    if (!field || !kind || !isScalarKind(kind)) {
      logger.warn({ module: type.module, recordType: type.key, fields: keys, field: key }, 'composite record index skipped: not a top-level scalar field lists can filter on');
      return undefined;
    }
    expressions.push(valueExpr(kind, key, 'data'));
  }
  const first = fieldKind(type.field(keys[0] as string)!)!;
  const definition = `(${expressions.join(', ')}, created_at DESC, ${ownerGroupKey('')}, owner_id, owner_agency) WHERE ${expressions[0]} IS NOT NULL`;
  const name = indexName(definition);
  return {
    name,
    usedBy: [{ module: type.module, recordType: type.key, field: compositeKey(keys) }],
    kind: first,
    composite: true,
    sql: `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON record ${definition}`,
  };
}

/** The wanted index serving one record type's `indexes` entry (a composite one: `compositeKey(fields)`). */
export function indexFor(wanted: readonly IndexSpec[], module: string, recordType: string, field: string): IndexSpec | undefined {
  return wanted.find((w) => w.usedBy.some((u) => u.module === module && u.recordType === recordType && u.field === field));
}

/** The names of the per-bundle indexes on `record`; with `validOnly`, those built (not left behind by an interrupted build). */
async function perBundleIndexes(client: pg.Client, validOnly: boolean): Promise<ReadonlySet<string>> {
  const rows = (
    await client.query(
      `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'record'::regclass AND c.relname LIKE $1${validOnly ? ' AND i.indisvalid' : ''}`,
      [`${INDEX_PREFIX}%`],
    )
  ).rows as Array<{ name: string }>;
  return new Set(rows.map((r) => r.name));
}

@Injectable()
export class RecordIndexes implements OnApplicationBootstrap, OnApplicationShutdown {
  private running: Promise<void> = Promise.resolve();
  private scheduledHash?: string;
  private closing = false;
  private retryAt = 0;
  private client?: pg.Client;
  /** The per-bundle indexes valid in the database when last looked at (`compositeReady`). */
  private valid: ReadonlySet<string> = new Set();
  private validCheckedAt = 0;
  /** Bumped with every new answer (`setValid`). */
  private validStamp = 0;
  private validChecking?: Promise<void>;
  private checkClient?: pg.Client;
  private wantedCache?: { readonly hash: string; readonly wanted: IndexSpec[] };

  constructor(
    private readonly config: ActiveConfigService,
    @Inject(HAVEN_RUNTIME) private readonly runtime: HavenRuntime,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: the app serves while the indexes build. The configuration loads in its own bootstrap hook;
    // should this one run first, wait for it (a list request schedules the build too).
    let attempts = 0;
    const start = () => {
      if (this.closing) return;
      if (this.loaded()) void this.ensure();
      else if (attempts++ < 120) setTimeout(start, 500).unref();
    };
    start();
  }

  private loaded(): boolean {
    try {
      this.config.current();
      return true;
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.client?.end().catch(() => undefined);
    await this.checkClient?.end().catch(() => undefined);
  }

  /**
   * Schedules a build for the active configuration unless one was already scheduled for it; cheap enough to call
   * on every list request (that is how a newly activated bundle gets its indexes). Resolves when done.
   */
  ensure(compiled?: CompiledConfig): Promise<void> {
    let config: CompiledConfig;
    try {
      config = compiled ?? this.config.current();
    } catch {
      return this.running;
    }
    if (this.closing || config.hash === this.scheduledHash || Date.now() < this.retryAt) return this.running;
    this.scheduledHash = config.hash;
    this.running = this.running.then(() => this.build(config)).catch((err: unknown) => {
      if (this.closing) return;
      logger.warn({ err: String(err) }, 'record indexes: build failed (retried in 10 minutes); lists stay correct without them');
      this.scheduledHash = undefined;
      this.retryAt = Date.now() + RETRY_MS;
    });
    return this.running;
  }

  /**
   * Whether the composite index a record type declares over `fields` is built and valid, as this instance last saw:
   * after each of its builds, and at most every 30 s on request (another instance may have built it, or someone
   * dropped it). Until then lists do not take the composite path (list-sql.ts), which is slower than the plain one
   * while the index is missing. Never waits: a look at the catalogue runs in the background when due.
   */
  compositeReady(compiled: CompiledConfig, module: string, recordType: string, fields: readonly string[]): boolean {
    if (this.wantedCache?.hash !== compiled.hash) this.wantedCache = { hash: compiled.hash, wanted: wantedIndexes(compiled) };
    if (Date.now() - this.validCheckedAt >= VALID_RECHECK_MS) void this.refreshValid();
    const spec = indexFor(this.wantedCache.wanted, module, recordType, compositeKey(fields));
    return spec !== undefined && this.valid.has(spec.name);
  }

  /** Resolves once the valid indexes were looked up again (tests await it). */
  refreshValid(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.validChecking ??= (async () => {
      this.validCheckedAt = Date.now();
      // A build that finishes meanwhile has the newer answer: this one is then dropped.
      const stamp = this.validStamp;
      const client = new pg.Client({
        connectionString: this.runtime.databaseUrl,
        application_name: 'haven-indexes',
        connectionTimeoutMillis: 10_000,
        query_timeout: 10_000,
      });
      client.on('error', () => undefined);
      this.checkClient = client;
      try {
        await client.connect();
        const valid = await perBundleIndexes(client, true);
        if (this.validStamp === stamp) this.setValid(valid);
      } catch (err) {
        if (!this.closing) logger.warn({ err: String(err) }, 'record indexes: could not look up which are built; lists keep the last known set');
      } finally {
        this.checkClient = undefined;
        await client.end().catch(() => undefined);
        this.validChecking = undefined;
      }
    })();
    return this.validChecking;
  }

  private setValid(valid: ReadonlySet<string>): void {
    this.valid = valid;
    this.validStamp++;
    this.validCheckedAt = Date.now();
  }

  /** Resolves when every scheduled build has finished (tests await it). */
  whenIdle(): Promise<void> {
    return this.running;
  }

  private async build(compiled: CompiledConfig): Promise<void> {
    const wanted = wantedIndexes(compiled);
    if (this.closing) return;
    const client = new pg.Client({ connectionString: this.runtime.databaseUrl, application_name: 'haven-indexes' });
    client.on('error', () => undefined);
    this.client = client;
    await client.connect();
    try {
      const [{ owner }] = (
        await client.query(`SELECT pg_has_role(current_user, c.relowner, 'USAGE') AS owner FROM pg_class c WHERE c.oid = 'record'::regclass`)
      ).rows as Array<{ owner: boolean }>;
      if (!owner) {
        logger.warn({ indexes: wanted.length }, 'record indexes: the database user does not own table "record"; per-bundle indexes are not built (ask the DBA to create them)');
        return;
      }
      const [{ locked }] = (await client.query('SELECT pg_try_advisory_lock($1) AS locked', [INDEX_LOCK])).rows as Array<{ locked: boolean }>;
      if (!locked) {
        logger.info('record indexes: another instance is building them');
        return;
      }
      let created = 0;
      for (const spec of wanted) {
        if (this.closing) return;
        const existing = (await client.query(`SELECT i.indisvalid AS valid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1`, [spec.name]))
          .rows as Array<{ valid: boolean }>;
        if (existing[0]?.valid) continue;
        if (existing.length) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${spec.name}`);
        const started = Date.now();
        await client.query(spec.sql);
        created++;
        logger.info({ index: spec.name, usedBy: spec.usedBy, ms: Date.now() - started }, 'record index built');
      }
      // Statistics on the indexed expressions, then ANALYZE when any is new (ANALYZE does not block writes).
      let analyse = false;
      for (const spec of wanted) {
        if (this.closing) return;
        if (!spec.statistics) continue;
        const found = (await client.query(`SELECT 1 FROM pg_statistic_ext WHERE stxname = $1`, [spec.statistics.name])).rows.length > 0;
        if (found) continue;
        await client.query(spec.statistics.sql);
        analyse = true;
      }
      if (analyse && !this.closing) await client.query('ANALYZE record');
      // Then the per-bundle indexes and statistics nobody asks for any more (older definitions, removed entries).
      const names = new Set(wanted.map((spec) => spec.name));
      let dropped = 0;
      for (const name of await perBundleIndexes(client, false)) {
        if (this.closing) return;
        if (names.has(name) || !/^record_x_[0-9a-f]{24}$/.test(name)) continue;
        await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
        dropped++;
        logger.info({ index: name }, 'record index dropped: no longer wanted');
      }
      const statistics = new Set(wanted.flatMap((spec) => (spec.statistics ? [spec.statistics.name] : [])));
      const presentStatistics = (
        await client.query(`SELECT stxname AS name FROM pg_statistic_ext WHERE stxrelid = 'record'::regclass AND stxname LIKE $1`, [`${STATISTICS_PREFIX}%`])
      ).rows as Array<{ name: string }>;
      for (const { name } of presentStatistics) {
        if (statistics.has(name) || !/^record_s_[0-9a-f]{24}$/.test(name)) continue;
        await client.query(`DROP STATISTICS IF EXISTS ${name}`);
        dropped++;
      }
      this.setValid(await perBundleIndexes(client, true));
      logger.info({ wanted: wanted.length, created, dropped, configHash: compiled.hash.slice(0, 12) }, 'record indexes up to date');
      await client.query('SELECT pg_advisory_unlock($1)', [INDEX_LOCK]);
    } finally {
      this.client = undefined;
      await client.end().catch(() => undefined);
    }
  }
}
