import pg from 'pg';
import type { CompiledConfig } from '../../engine/index.js';
import { formatDisplayId } from '../records/short-id.js';
import { hashPassword } from '../users/passwords.js';
import { copyJson, copyLines, copyText, copyTextArray } from './copy-writer.js';
import { ensurePeople, ownersFor, planPeople, type SeedUser } from './people.js';
import { RecordSource, type SeededRecord } from './record-source.js';
import { ShortIds } from './short-ids.js';

/**
 * Demo data at scale: agencies, teams and staff (people.ts), then records of each kind streamed into PostgreSQL
 * with COPY in batches of one transaction each, on a few connections at once so that generating the next rows
 * overlaps with the server ingesting the previous ones. Every record is engine-valid (record-source.ts) and a
 * deterministic 1% (plus the first 50 of each kind) is re-checked with `process()` on the exact JSON stored;
 * one failure stops the seed. Records are owned by caseworkers, with the owner's agency and groups as the
 * owner snapshots, exactly as the write path stores them.
 */

export interface SeedOptions {
  readonly incidents: number;
  readonly cases: number;
  readonly cpCases: number;
  readonly agencies: number;
  readonly groupsPerAgency: number;
  readonly usersPerGroup: number;
  readonly seed: number;
  /** Also the `create` history row and the `record.create` audit row of every record, as the API writes them. */
  readonly history: boolean;
  /** Add to a database that already has records (refused otherwise). */
  readonly append: boolean;
  /** `YYYY-MM-DD`: the day the data is "as of" (records span the three years before it). */
  readonly today: string;
  /** Password of every demo user created by this run. */
  readonly password: string;
  /** Engine-processed records per kind that the others are varied from (default 4,000). */
  readonly poolSize?: number;
  readonly batchSize?: number;
  /** Database connections writing batches at once (default 2). */
  readonly lanes?: number;
}

export interface SeedProgress {
  readonly phase: 'people' | 'pool' | 'records' | 'analyze';
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly perSecond?: number;
}

export interface KindSummary {
  readonly module: string;
  readonly recordType: string;
  readonly count: number;
  readonly pool: number;
  readonly poolMs: number;
  readonly freeFields: number;
  readonly checked: number;
}

export interface SeedSummary {
  readonly kinds: readonly KindSummary[];
  readonly users: readonly SeedUser[];
  readonly createdUsers: number;
  readonly records: number;
  readonly historyRows: number;
  readonly auditRows: number;
  /** Seconds from start to the end of the ANALYZE. */
  readonly seconds: number;
  /** Records per second of the record phase (COPY + generation, pools excluded). */
  readonly recordsPerSecond: number;
  readonly bundleHash: string;
}

export class SeedRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedRefusedError';
  }
}

const KINDS = [
  { module: 'gbv', recordType: 'incident', option: 'incidents' },
  { module: 'gbv', recordType: 'case', option: 'cases' },
  { module: 'cp', recordType: 'case', option: 'cpCases' },
] as const;

/** Sequence numbers of the short ids interleave the kinds, so appended runs of any kind never reuse one. */
const SEQUENCE_STRIDE = 8;

const RECORD_COPY = `COPY record (id, short_id, display_id, module, record_type, owner_id, owner_agency, owner_groups, status, bundle_hash, data,
  created_by, updated_by, created_at, updated_at) FROM STDIN`;
const HISTORY_COPY = `COPY record_history (record_id, version, at, actor_id, action, changes) FROM STDIN`;
const AUDIT_COPY = `COPY audit_log (at, actor_id, actor, action, object_type, object_id, details) FROM STDIN`;

/** Which records a run re-checks with the engine: the first 50 of each kind and 1% after that. */
export const isChecked = (i: number): boolean => i < 50 || i % 100 === 37;

interface Batch {
  readonly kind: number;
  readonly source: RecordSource;
  readonly count: number;
  readonly start: number;
  readonly end: number;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'haven-seed' });
  await client.connect();
  // Demo data: a crash mid-seed loses the last batches either way, so commits need not wait for the WAL flush.
  await client.query('SET synchronous_commit = off');
  // lz4 compresses the records' data faster than the default pglz (a COPY took about 1.8× as long with pglz); servers
  // built without lz4 refuse the setting, and pglz it is. Only values this session writes; the column is untouched.
  await client.query('SET default_toast_compression = lz4').catch(() => undefined);
  return client;
}

function requireRoles(compiled: CompiledConfig, users: readonly SeedUser[]): void {
  const defined = new Set(compiled.source.flatMap((b) => b.roles.map((r) => r.def.key)));
  const missing = [...new Set(users.flatMap((u) => u.roles))].filter((key) => !defined.has(key));
  if (missing.length) throw new SeedRefusedError(`The active configuration does not define the role(s) ${missing.join(', ')} the demo users need.`);
}

export async function seedDemo(url: string, compiled: CompiledConfig, options: SeedOptions, progress: (p: SeedProgress) => void = () => undefined): Promise<SeedSummary> {
  const started = performance.now();
  const wanted = KINDS.map((k, kind) => ({ ...k, kind, count: options[k.option] })).filter((k) => k.count > 0);
  for (const k of wanted) {
    if (!compiled.findRecordType(k.module, k.recordType)) throw new SeedRefusedError(`The active configuration has no ${k.module}/${k.recordType} record type.`);
  }
  const main = await connect(url);
  const lanes: pg.Client[] = [];
  try {
    const [{ count: existing }] = (await main.query<{ count: number }>('SELECT count(*)::int AS count FROM record')).rows as [{ count: number }];
    if (existing > 0 && !options.append) {
      throw new SeedRefusedError(`The database already has ${existing.toLocaleString('en-US')} record(s): pass --append to add demo records to it anyway.`);
    }

    progress({ phase: 'people', label: 'demo users', done: 0, total: 1 });
    const plan = planPeople({
      agencies: options.agencies,
      groupsPerAgency: options.groupsPerAgency,
      usersPerGroup: options.usersPerGroup,
      // Teams for every programme the configuration has, whatever this run seeds: appended runs find the same teams.
      programmes: new Set((['gbv', 'cp'] as const).filter((m) => compiled.recordTypes.some((rt) => rt.module === m))),
    });
    requireRoles(compiled, plan.users);
    const { createdUsers } = await ensurePeople(main, plan, await hashPassword(options.password), options.seed);

    const sources: RecordSource[] = [];
    const kinds: KindSummary[] = [];
    for (const k of wanted) {
      const { rows } = await main.query<{ count: number }>('SELECT count(*)::int AS count FROM record WHERE module = $1 AND record_type = $2', [k.module, k.recordType]);
      const source = new RecordSource(compiled, k.module, k.recordType, ownersFor(plan, k.module), {
        seed: options.seed,
        today: options.today,
        poolSize: options.poolSize ?? 4000,
        offset: rows[0]!.count,
      });
      progress({ phase: 'pool', label: `${k.module}/${k.recordType}`, done: 0, total: Math.min(k.count, options.poolSize ?? 4000) });
      source.preparePool(k.count);
      sources.push(source);
    }

    const shortIds = new ShortIds(options.seed);
    const batchSize = options.batchSize ?? 5000;
    const queue: Batch[] = [];
    wanted.forEach((k, i) => {
      for (let start = 0; start < k.count; start += batchSize) queue.push({ kind: k.kind, source: sources[i]!, count: k.count, start, end: Math.min(k.count, start + batchSize) });
    });
    const total = wanted.reduce((n, k) => n + k.count, 0);
    const checked = new Map<RecordSource, number>();
    let written = 0;
    let historyRows = 0;
    let reserve = 0;
    const recordsStarted = performance.now();
    let lastReport = 0;

    const writeBatch = async (client: pg.Client, batch: Batch): Promise<void> => {
      const { source } = batch;
      const rt = source.rt;
      const ids: string[] = [];
      for (let i = batch.start; i < batch.end; i++) ids.push(shortIds.at((source.offsetOf(i)) * SEQUENCE_STRIDE + batch.kind));
      await client.query('BEGIN');
      try {
        if (options.append) {
          // Ids the API drew at random may clash with the sequence: take replacements from the top of the space.
          for (;;) {
            const { rows } = await client.query<{ short_id: string }>('SELECT short_id FROM record WHERE short_id = ANY($1::text[])', [ids]);
            if (rows.length === 0) break;
            const taken = new Set(rows.map((r) => r.short_id));
            for (let j = 0; j < ids.length; j++) if (taken.has(ids[j]!)) ids[j] = shortIds.at(31 ** 7 - 1 - reserve++);
          }
        }
        const history: string[] = [];
        const audit: string[] = [];
        await copyLines(client, RECORD_COPY, async (push) => {
          for (let i = batch.start; i < batch.end; i++) {
            const rec: SeededRecord = source.record(i, batch.count, options.history);
            if (isChecked(i)) {
              source.check(rec);
              checked.set(source, (checked.get(source) ?? 0) + 1);
            }
            const shortId = ids[i - batch.start]!;
            const at = rec.createdAt.toISOString();
            const owner = rec.owner;
            const line = `${rec.id}\t${shortId}\t${copyText(formatDisplayId(rt.definition.displayId, shortId))}\t${rt.module}\t${rt.key}\t${owner.id}\t${owner.agencyCode}\t${copyTextArray(owner.groupCodes)}\t${rec.status}\t${compiled.hash}\t${copyJson(rec.json)}\t${owner.id}\t${owner.id}\t${at}\t${at}\n`;
            const wait = push(line);
            if (options.history) {
              history.push(`${rec.id}\t1\t${at}\t${owner.id}\tcreate\t${copyJson(rec.changes!)}\n`);
              const details = `{"module":${JSON.stringify(rt.module)},"recordType":${JSON.stringify(rt.key)},"fields":${JSON.stringify(rec.paths)}}`;
              audit.push(`${at}\t${owner.id}\t${owner.username}\trecord.create\trecord\t${rec.id}\t${copyJson(details)}\n`);
            }
            if (wait) await wait;
          }
        });
        if (options.history) {
          await copyLines(client, HISTORY_COPY, async (push) => {
            for (const line of history) await push(line);
          });
          await copyLines(client, AUDIT_COPY, async (push) => {
            for (const line of audit) await push(line);
          });
          historyRows += history.length;
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      written += batch.end - batch.start;
      const now = performance.now();
      if (now - lastReport > 1000 || written === total) {
        lastReport = now;
        progress({ phase: 'records', label: 'records', done: written, total, perSecond: (written / (now - recordsStarted)) * 1000 });
      }
    };

    for (let i = 0; i < Math.max(1, options.lanes ?? 2); i++) lanes.push(await connect(url));
    let failed = false;
    await Promise.all(
      lanes.map(async (client) => {
        for (let batch = queue.shift(); batch && !failed; batch = queue.shift()) {
          try {
            await writeBatch(client, batch);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      }),
    );
    const recordSeconds = (performance.now() - recordsStarted) / 1000;

    progress({ phase: 'analyze', label: 'ANALYZE', done: 0, total: 1 });
    await main.query(`INSERT INTO audit_log (actor, action, object_type, object_id, details) VALUES ('seed', 'seed.demo', 'database', NULL, $1)`, [
      {
        seed: options.seed,
        today: options.today,
        history: options.history,
        append: options.append,
        records: Object.fromEntries(wanted.map((k) => [`${k.module}/${k.recordType}`, k.count])),
        demoUsers: plan.users.length,
      },
    ]);
    if (written > 0) {
      // A running Haven may be building its per-bundle indexes (CREATE INDEX CONCURRENTLY), which ANALYZE would wait
      // for, and which waits for ANALYZE: give up after a while and leave the statistics to autovacuum.
      await main.query(`SET lock_timeout = '10s'`);
      try {
        await main.query('ANALYZE record');
        if (options.history) await main.query('ANALYZE record_history; ANALYZE audit_log');
      } catch (err) {
        progress({ phase: 'analyze', label: `ANALYZE skipped (${err instanceof Error ? err.message : String(err)}); autovacuum will gather the statistics`, done: 1, total: 1 });
      }
    }

    wanted.forEach((k, i) => {
      const source = sources[i]!;
      kinds.push({
        module: k.module,
        recordType: k.recordType,
        count: k.count,
        pool: source.poolCount,
        poolMs: source.poolMs,
        freeFields: source.freeFieldKeys.length,
        checked: checked.get(source) ?? 0,
      });
    });
    return {
      kinds,
      users: plan.users,
      createdUsers,
      records: written,
      historyRows,
      auditRows: historyRows + 1,
      seconds: (performance.now() - started) / 1000,
      recordsPerSecond: written / recordSeconds,
      bundleHash: compiled.hash,
    };
  } finally {
    await Promise.all([main, ...lanes].map((c) => c.end().catch(() => undefined)));
  }
}
