import { parseArgs } from 'node:util';
import { BackupError, defaultBackupFile, writeBackup, type BackupFormat } from '../backup/index.js';
import { openDatabase } from '../database/open-database.js';
import { loadEnv } from '../settings/env.js';
import { runCli } from './run-cli.js';

/**
 * `npm run backup [-- [--format auto|copy|pg_dump] [file]]`: writes one archive of the configured database
 * (embedded or DATABASE_URL) to `file`, by default `HAVEN_DATA_DIR/backups/haven-<UTC time>.havenbak`. Works
 * while Haven runs (through its runtime file) and when it does not.
 */
await runCli(async () => {
  const { values, positionals } = parseArgs({ options: { format: { type: 'string', default: 'auto' } }, allowPositionals: true });
  if (positionals.length > 1) throw new BackupError('Usage: npm run backup -- [--format auto|copy|pg_dump] [file]');
  const format = values.format as BackupFormat;
  if (!['auto', 'copy', 'pg_dump'].includes(format)) throw new BackupError(`--format must be auto, copy or pg_dump, got "${format}".`);
  const env = loadEnv();
  const file = positionals[0] ?? defaultBackupFile(env.dataDir);
  const db = await openDatabase(env, 'cli');
  try {
    const s = await writeBackup(db.url, file, { format });
    console.log(
      `Backup written: ${s.file} (${s.manifest.payload.kind} payload, ${s.tables} tables, ${s.rows} rows, ${(s.bytes / 1024).toFixed(1)} KiB) in ${s.seconds.toFixed(2)} s`,
    );
    return 0;
  } finally {
    await db.close();
  }
});
