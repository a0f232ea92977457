import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { CompiledConfig } from '../../engine/index.js';
import { logger } from '../common/logger.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { fieldKind, isScalarKind, jsonExpr, sqlKey, valueExpr, type FieldKind } from './query/field-sql.js';

/**
 * Per-bundle expression indexes: for each `indexes: [{ field }]` entry of each record type of the active bundles,
 * a partial btree index over the field's list-query expression (`valueExpr`, the same one the list SQL uses;
 * a GIN index over the JSON array for multi-selects), restricted to that module and record type:
 *
 *   CREATE INDEX CONCURRENTLY IF NOT EXISTS record_x_<hash> ON record ((data->>'sex'))
 *    WHERE module = 'gbv' AND record_type = 'case'
 *
 * Built in the background after start (and again when the active configuration changes), one at a time, on a
 * dedicated connection (CONCURRENTLY cannot run in a transaction and does not block writes). Idempotent: the
 * name is a hash of module, record type, field and expression, an index left INVALID by an interrupted build is
 * dropped and rebuilt, and instances starting together take turns through an advisory lock. Queries stay
 * correct without the indexes, only slower. A database user that does not own `record` builds nothing (logged).
 */

export interface IndexSpec {
  readonly name: string;
  readonly module: string;
  readonly recordType: string;
  readonly field: string;
  readonly kind: FieldKind;
  readonly sql: string;
}

/** Serialises index builds across app instances. */
const INDEX_LOCK = 7_262_836_3;
const RETRY_MS = 10 * 60_000;

export function indexName(module: string, recordType: string, field: string, expression: string): string {
  return `record_x_${createHash('sha256').update(`${module}/${recordType}/${field}/${expression}`).digest('hex').slice(0, 24)}`;
}

/** The indexes the active configuration asks for (top-level scalar fields only; others are skipped, logged). */
export function wantedIndexes(compiled: CompiledConfig): IndexSpec[] {
  const out: IndexSpec[] = [];
  for (const type of compiled.recordTypes) {
    for (const { field: key } of type.definition.indexes ?? []) {
      const field = type.field(key);
      const kind = field && field.subform === undefined ? fieldKind(field) : undefined;
      if (!field || !kind) {
        logger.warn({ module: type.module, recordType: type.key, field: key }, 'record index skipped: not a top-level field lists can filter on');
        continue;
      }
      // Scalars: btree over the list expression. Multi-selects: GIN over the JSON array (serves `?|`).
      const expression = isScalarKind(kind) ? valueExpr(kind, key, 'data') : jsonExpr(key, 'data');
      const method = isScalarKind(kind) ? '' : 'USING gin ';
      const name = indexName(type.module, type.key, key, `${method}${expression}`);
      out.push({
        name,
        module: type.module,
        recordType: type.key,
        field: key,
        kind,
        sql: `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON record ${method}(${expression}) WHERE module = ${sqlKey(type.module)} AND record_type = ${sqlKey(type.key)}`,
      });
    }
  }
  return out;
}

@Injectable()
export class RecordIndexes implements OnApplicationBootstrap, OnApplicationShutdown {
  private running: Promise<void> = Promise.resolve();
  private scheduledHash?: string;
  private closing = false;
  private retryAt = 0;
  private client?: pg.Client;

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

  /** Resolves when every scheduled build has finished (tests await it). */
  whenIdle(): Promise<void> {
    return this.running;
  }

  private async build(compiled: CompiledConfig): Promise<void> {
    const wanted = wantedIndexes(compiled);
    if (wanted.length === 0 || this.closing) return;
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
        logger.info({ index: spec.name, module: spec.module, recordType: spec.recordType, field: spec.field, ms: Date.now() - started }, 'record index built');
      }
      logger.info({ wanted: wanted.length, created, configHash: compiled.hash.slice(0, 12) }, 'record indexes up to date');
      await client.query('SELECT pg_advisory_unlock($1)', [INDEX_LOCK]);
    } finally {
      this.client = undefined;
      await client.end().catch(() => undefined);
    }
  }
}
