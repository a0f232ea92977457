import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { entities } from './entities.js';

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: false,
    extra: { max: poolSize, application_name: 'haven' },
  };
}

/** An advisory-lock key so that app instances starting together apply migrations one at a time. */
const MIGRATION_LOCK = 7_262_836_1;

/** Applies pending migrations; safe to call from several instances at once. Returns the names applied. */
export async function migrate(url: string): Promise<string[]> {
  // Two connections: one holds the advisory lock, TypeORM runs the migrations on the other.
  const ds = new DataSource({ ...dataSourceOptions(url, 2) });
  await ds.initialize();
  try {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await runner.release();
    }
  } finally {
    await ds.destroy();
  }
}
