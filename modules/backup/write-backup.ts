import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { HAVEN_VERSION } from '../common/version.js';
import { BackupError, FORMAT_VERSION, SHA256_PLACEHOLDER, encodeHeader, type Manifest, type PayloadKind } from './archive.js';
import { appliedMigrations, countAllRows, currentDatabase, listSequences, listTables, MIGRATIONS_TABLE, serverVersion, setPortableSession } from './catalog.js';
import { writeCopyPayload, writeSequenceRecords } from './copy-payload.js';
import { findPgDump, lastLines, libpqConnection, runTool } from './pg-tools.js';

export type BackupFormat = PayloadKind | 'auto';

export interface BackupOptions {
  /** `auto` (default): pg_dump when one of the server's major version is installed, else `copy`. */
  format?: BackupFormat;
}

export interface BackupSummary {
  file: string;
  manifest: Manifest;
  tables: number;
  rows: number;
  bytes: number;
  seconds: number;
}

/** `haven-20260125T101500Z.havenbak` in `<dataDir>/backups`. */
export function defaultBackupFile(dataDir: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return path.join(dataDir, 'backups', `haven-${stamp}.havenbak`);
}

/**
 * Writes one archive of the database at `url` to `file` (mode 0600; refuses to overwrite). Everything is read
 * from one REPEATABLE READ snapshot: the row counts in the manifest and the payload describe the same instant.
 * The archive is written under a temporary name and renamed into place once complete and synced.
 */
export async function writeBackup(url: string, file: string, opts: BackupOptions = {}): Promise<BackupSummary> {
  const started = performance.now();
  const format = opts.format ?? 'auto';
  if (!['auto', 'copy', 'pg_dump'].includes(format)) throw new BackupError(`Unknown backup format "${format}" (use auto, copy or pg_dump).`);
  const target = path.resolve(file);
  if (await fs.stat(target).then(() => true, () => false)) throw new BackupError(`${target} already exists; choose another file name.`);
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });

  const client = new pg.Client({ connectionString: url, application_name: 'haven-backup' });
  // A connection lost while pg_dump runs surfaces at COMMIT; without a listener it would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  const partial = `${target}.partial-${process.pid}`;
  let fh: fs.FileHandle | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const server = await serverVersion(client);
    const dumper = format === 'copy' ? undefined : await findPgDump(server.major);
    if (format === 'pg_dump' && !dumper) {
      throw new BackupError(`No pg_dump ${server.major} found (looked in PATH and the usual PostgreSQL folders); install the PostgreSQL ${server.major} client tools or use --format copy.`);
    }
    const kind: PayloadKind = dumper ? 'pg_dump' : 'copy';
    // Under REPEATABLE READ the first query fixed the transaction's snapshot; pg_export_snapshot hands that same
    // snapshot to pg_dump, so the dump holds exactly what the counts below see.
    const snapshot = dumper ? (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0].id : undefined;
    await setPortableSession(client);
    const migrations = await appliedMigrations(client);
    if (!migrations) {
      throw new BackupError(`The database ${await currentDatabase(client)} has no ${MIGRATIONS_TABLE} table: it is not a Haven database (or Haven never started on it).`);
    }
    const tables = await listTables(client);
    const counts = await countAllRows(client, tables);
    const manifest: Manifest = {
      format: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      havenVersion: HAVEN_VERSION,
      server,
      migrations,
      tables: counts,
      payload: { kind, sha256: SHA256_PLACEHOLDER, ...(dumper ? { tool: `pg_dump ${dumper.version}` } : {}) },
    };
    const header = encodeHeader(manifest);
    fh = await fs.open(partial, 'wx', 0o600);
    await fh.write(header.bytes);
    const hash = createHash('sha256');
    let payloadBytes = 0;
    const out = fh;
    const sink = async (chunk: Buffer) => {
      hash.update(chunk);
      payloadBytes += chunk.length;
      await out.write(chunk);
    };

    if (dumper && snapshot) {
      const conn = libpqConnection(url);
      // No TOAST compression methods in the archive: lz4 (where the server has it) would stop a restore into a server
      // built without it, such as the embedded database; the restore sets them again where it can.
      const dump = runTool(dumper, ['--format=custom', `--snapshot=${snapshot}`, '--no-toast-compression', '--no-password', conn.dbnameArg], conn.env);
      try {
        for await (const chunk of dump.stdout) await sink(chunk);
      } catch (err) {
        dump.kill();
        throw err;
      }
      const result = await dump.done;
      if (result.code !== 0) throw new BackupError(`pg_dump failed (exit ${result.code ?? result.signal}): ${lastLines(result.stderr)} (--format copy backs up without pg_dump)`);
    } else {
      await writeCopyPayload(client, tables, counts, sink);
      const sequences = (await listSequences(client)).filter((s) => s.table !== MIGRATIONS_TABLE).map((s) => s.name);
      await writeSequenceRecords(client, sequences, sink);
    }
    await client.query('COMMIT');

    const digest = hash.digest('hex');
    await fh.write(Buffer.from(digest, 'ascii'), 0, 64, header.sha256Offset);
    manifest.payload.sha256 = digest;
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.rename(partial, target);
    const rows = Object.values(counts).reduce((a, b) => a + b, 0);
    return { file: target, manifest, tables: tables.length, rows, bytes: header.bytes.length + payloadBytes, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    await fh?.close().catch(() => undefined);
    await fs.rm(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
