import { DataSource } from 'typeorm';
import type { CompiledConfig } from '../../engine/index.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { dataSourceOptions, migrate } from '../database/data-source.js';
import { loadEnv, type Env } from '../settings/env.js';
import { ensureBootstrapAdmin } from '../users/bootstrap-admin.js';

/**
 * What Haven's first start does to a database, for a seed that may run before Haven ever started on it:
 * migrations, the configuration baseline from HAVEN_CONFIG_DIR (only when nothing is active yet: after that the
 * database is the source of truth) and the bootstrap administrator (only when there is no user at all; the demo
 * users would otherwise stop Haven from ever creating it). The same code the server runs, not a copy.
 */
export interface PreparedDatabase {
  readonly compiled: CompiledConfig;
  readonly appliedMigrations: readonly string[];
  readonly activatedBaseline: boolean;
  readonly createdAdmin: boolean;
}

export async function prepareDatabase(url: string, env: Env = loadEnv(), print: (line: string) => void = console.log): Promise<PreparedDatabase> {
  const appliedMigrations = await migrate(url);
  const ds = new DataSource(dataSourceOptions(url, 2));
  await ds.initialize();
  try {
    const config = new ActiveConfigService(ds, { env, databaseKind: env.databaseUrl ? 'postgres' : 'embedded', databaseUrl: url });
    const activatedBaseline = await config.ensureBaseline();
    const compiled = await config.reload();
    const createdAdmin = await ensureBootstrapAdmin(ds, env.adminUser, env.adminPassword, print);
    return { compiled, appliedMigrations, activatedBaseline, createdAdmin };
  } finally {
    await ds.destroy();
  }
}
