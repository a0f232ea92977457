import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { DataSource, MigrationExecutor } from 'typeorm';
import { LZ4_TOAST_SQL, Lz4Toast1765000000000 } from '../../migrations/1765000000000-lz4-toast.js';
import { migrations as codeMigrations } from '../../migrations/index.js';
import { logger } from '../common/logger.js';
import { HAVEN_VERSION } from '../common/version.js';
import { dataSourceOptions } from '../database/data-source.js';
import { BackupError, openArchive, payloadStream, verifyPayloadDigest, type OpenedArchive, type PayloadKind } from './archive.js';
import {
  appliedMigrations,
  countAllRows,
  currentDatabase,
  describeNonEmpty,
  ident,
  listSequences,
  listTables,
  MIGRATIONS_TABLE,
  qualified,
  serverVersion,
  setPortableSession,
  type TableInfo,
} from './catalog.js';
import { CopyPayloadReader, loadCopyPayload } from './copy-payload.js';
import { findPgRestore, lastLines, libpqConnection, runTool, type PgTool } from './pg-tools.js';

export interface RestoreSummary {
  file: string;
  database: string;
  kind: PayloadKind;
  tables: number;
  rows: number;
  migrations: string[];
  seconds: number;
}

function migrationName(m: (typeof codeMigrations)[number]): string {
  return new m().name;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'haven-restore' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Feeds the payload to a tool's stdin. A tool that stops reading early (an error, `--list`) is judged by its exit code. */
async function feedPayload(archive: OpenedArchive, stdin: NodeJS.WritableStream): Promise<void> {
  try {
    await pipeline(payloadStream(archive), stdin);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPIPE' && code !== 'ERR_STREAM_PREMATURE_CLOSE' && code !== 'ERR_STREAM_DESTROYED') throw err;
  }
}

function differences(expected: Record<string, number>, actual: Record<string, number>): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names.filter((n) => (expected[n] ?? 0) !== (actual[n] ?? 0)).map((n) => `${n}: archive ${expected[n] ?? 0}, database ${actual[n] ?? 0}`);
}

/**
 * Restores the archive `file` into the EMPTY database at `url` (schema public holds no table, view, sequence or
 * function). Everything that can be checked is checked before the first write: the magic line, the manifest,
 * that this Haven knows every migration in it, that the target is empty, the payload's SHA-256, and for a
 * pg_dump payload that `pg_restore --list` reads it. The restore itself is one transaction: it lands whole or
 * not at all.
 */
export async function restoreBackup(url: string, file: string): Promise<RestoreSummary> {
  const started = performance.now();
  const archive = await openArchive(file);
  const { manifest } = archive;

  const known = codeMigrations.map(migrationName);
  const unknown = manifest.migrations.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new BackupError(
      `${file} comes from a newer Haven (${manifest.havenVersion}, migration ${unknown.join(', ')}) than this one (${HAVEN_VERSION}); upgrade Haven, then restore.`,
    );
  }

  const { database, targetMajor } = await withClient(url, async (client) => {
    const name = await currentDatabase(client);
    const found = await describeNonEmpty(client);
    if (found) {
      throw new BackupError(
        `The database ${name} is not empty (schema public has ${found}); Haven restores only into an empty database. Create a new one (or use a new HAVEN_DATA_DIR) and restore there.`,
      );
    }
    return { database: name, targetMajor: (await serverVersion(client)).major };
  });

  await verifyPayloadDigest(archive);

  let restorer: PgTool | undefined;
  if (manifest.payload.kind === 'pg_dump') {
    restorer = await findPgRestore(manifest.server.major);
    if (!restorer) {
      throw new BackupError(
        `${file} holds a pg_dump payload from PostgreSQL ${manifest.server.major}; restoring it needs pg_restore ${manifest.server.major} or newer, and none was found. Install the PostgreSQL client tools.`,
      );
    }
    const list = runTool(restorer, ['--list'], process.env, 'ignore');
    await feedPayload(archive, list.stdin);
    const listed = await list.done;
    if (listed.code !== 0) throw new BackupError(`pg_restore ${restorer.version} cannot read the payload of ${file}: ${lastLines(listed.stderr)}. Nothing was restored.`);
  }

  const loaded = manifest.payload.kind === 'pg_dump' ? await restorePgDump(url, archive, restorer!, targetMajor) : await restoreCopy(url, archive);
  return { file, database, kind: manifest.payload.kind, ...loaded, seconds: (performance.now() - started) / 1000 };
}

async function restorePgDump(url: string, archive: OpenedArchive, restorer: PgTool, targetMajor: number): Promise<{ tables: number; rows: number; migrations: string[] }> {
  const { manifest } = archive;
  const conn = libpqConnection(url);
  const run = runTool(restorer, ['--single-transaction', '--exit-on-error', '--no-owner', '--no-privileges', '--no-password', conn.dbnameArg], conn.env, 'ignore');
  await feedPayload(archive, run.stdin);
  const result = await run.done;
  if (result.code !== 0) {
    const hint =
      targetMajor < manifest.server.major
        ? ` The archive comes from PostgreSQL ${manifest.server.major} and this server runs ${targetMajor}: to move to an older server, make the backup with --format copy.`
        : '';
    throw new BackupError(`pg_restore failed, nothing was restored (one transaction): ${lastLines(result.stderr)}.${hint}`);
  }
  // pg_restore has committed; what is left is to check that the database holds what the archive says.
  return withClient(url, async (client) => {
    const counts = await countAllRows(client);
    const migrations = (await appliedMigrations(client)) ?? [];
    const diff = differences(manifest.tables, counts);
    if (diff.length) throw new BackupError(`pg_restore finished but the row counts differ from the archive's: ${diff.join('; ')}.`);
    if (migrations.join() !== manifest.migrations.join()) throw new BackupError(`pg_restore finished but ${MIGRATIONS_TABLE} differs from the archive's migration list.`);
    // Archives carry no TOAST compression methods (write-backup.ts): set lz4 again where this server has it. The
    // restore has committed and is complete by now; should this fail (a lock not granted in time), the data only
    // stays compressed the default way, which is worth a warning, not a failed restore.
    if (migrations.includes(migrationName(Lz4Toast1765000000000))) {
      await client.query(LZ4_TOAST_SQL).catch((err: unknown) => {
        logger.warn({ err: String(err) }, 'restore: lz4 compression could not be set again; large values keep the default compression');
      });
    }
    return { tables: Object.keys(counts).length, rows: Object.values(counts).reduce((a, b) => a + b, 0), migrations };
  });
}

/**
 * The copy payload: in ONE transaction, create the schema by running the migrations the archive lists (and no
 * later ones: the next start of Haven applies those as usual), load every table with COPY FROM, move each
 * sequence past the values in use, and compare every table's row count with the manifest before COMMIT.
 */
async function restoreCopy(url: string, archive: OpenedArchive): Promise<{ tables: number; rows: number; migrations: string[] }> {
  const { manifest } = archive;
  const wanted = codeMigrations.filter((m) => manifest.migrations.includes(migrationName(m)));
  const ds = new DataSource({ ...dataSourceOptions(url, 1), migrations: wanted });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  let fh: fs.FileHandle | undefined;
  try {
    const client = (await runner.connect()) as pg.PoolClient;
    await runner.startTransaction();
    try {
      await setPortableSession(client);
      const executor = new MigrationExecutor(ds, runner);
      executor.transaction = 'all';
      await executor.executePendingMigrations();
      const migrations = (await appliedMigrations(client)) ?? [];
      if ([...migrations].sort().join() !== [...manifest.migrations].sort().join()) {
        throw new BackupError(`The migrations applied (${migrations.join(', ')}) differ from the archive's (${manifest.migrations.join(', ')}).`);
      }

      const tables = new Map<string, TableInfo>((await listTables(client)).map((t) => [t.name, t]));
      const missing = Object.keys(manifest.tables).filter((n) => !tables.has(n));
      if (missing.length) throw new BackupError(`The archive has table(s) the migrations do not create: ${missing.join(', ')}.`);
      // Rows a migration may have seeded are replaced by the archive's.
      if (tables.size) await client.query(`TRUNCATE ${[...tables.keys()].map(qualified).join(', ')}`);

      fh = await fs.open(archive.file, 'r');
      const reader = new CopyPayloadReader(fh, archive.payloadOffset, archive.payloadOffset + archive.payloadBytes);
      const loaded = await loadCopyPayload(client, reader, (t) => {
        const table = tables.get(t.name);
        if (!table) throw new BackupError(`The archive has a table the migrations do not create: ${t.name}.`);
        const absent = t.columns.filter((c) => !table.columns.includes(c));
        if (absent.length) throw new BackupError(`Table ${t.name} has no column(s) ${absent.join(', ')} after the migrations.`);
      });

      const sequences = await listSequences(client);
      for (const record of loaded.sequences) {
        if (!sequences.some((s) => s.name === record.name)) continue;
        await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [qualified(record.name), record.lastValue, record.isCalled]);
      }
      for (const s of sequences) {
        if (!s.table || !s.column || s.table === MIGRATIONS_TABLE) continue;
        const { rows } = await client.query<{ max: string | null }>(`SELECT max(${ident(s.column)})::text AS max FROM ${qualified(s.table)}`);
        const max = rows[0].max;
        if (max === null || !/^-?\d+$/.test(max)) continue;
        const { rows: cur } = await client.query<{ last: string; called: boolean }>(`SELECT last_value::text AS last, is_called AS called FROM ${qualified(s.name)}`);
        const next = BigInt(cur[0].last) + (cur[0].called ? 1n : 0n);
        if (BigInt(max) >= next) await client.query('SELECT setval($1::regclass, $2::bigint, true)', [qualified(s.name), max]);
      }

      const counts = await countAllRows(client, [...tables.values()]);
      const diff = differences(manifest.tables, counts);
      if (diff.length) throw new BackupError(`The restored row counts differ from the archive's, nothing was restored: ${diff.join('; ')}.`);
      await runner.commitTransaction();
      return { tables: tables.size, rows: Object.values(counts).reduce((a, b) => a + b, 0), migrations };
    } catch (err) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    }
  } finally {
    await fh?.close().catch(() => undefined);
    await runner.release().catch(() => undefined);
    await ds.destroy().catch(() => undefined);
  }
}
