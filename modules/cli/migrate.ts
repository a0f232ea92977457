import { migrate } from '../database/data-source.js';
import { openDatabase } from '../database/open-database.js';
import { loadEnv } from '../settings/env.js';
import { runCli } from './run-cli.js';

/** `npm run migrate`: applies pending migrations to the configured database (embedded or DATABASE_URL). */
await runCli(async () => {
  const env = loadEnv();
  const db = await openDatabase(env, 'cli');
  try {
    const applied = await migrate(db.url);
    console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The database is up to date.');
    return 0;
  } finally {
    await db.close();
  }
});
