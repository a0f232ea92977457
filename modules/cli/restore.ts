import { parseArgs } from 'node:util';
import { BackupError, restoreBackup } from '../backup/index.js';
import { openDatabase } from '../database/open-database.js';
import { loadEnv } from '../settings/env.js';
import { runCli } from './run-cli.js';

/**
 * `npm run restore -- <archive>`: restores a Haven backup into the configured database (the embedded one in
 * HAVEN_DATA_DIR, or DATABASE_URL), which must be empty. Verifies the archive before writing anything, restores
 * in one transaction, and compares row counts with the archive's.
 */
await runCli(async () => {
  const { positionals } = parseArgs({ options: {}, allowPositionals: true });
  if (positionals.length !== 1) throw new BackupError('Usage: npm run restore -- <archive.havenbak>');
  const env = loadEnv();
  const db = await openDatabase(env, 'cli');
  try {
    const s = await restoreBackup(db.url, positionals[0]);
    console.log(
      `Restored ${s.file} into ${db.kind === 'embedded' ? 'the embedded database' : `database ${s.database}`}: ${s.tables} tables, ${s.rows} rows (${s.kind} payload, ${s.migrations.length} migrations) in ${s.seconds.toFixed(2)} s`,
    );
    return 0;
  } finally {
    await db.close();
  }
});
