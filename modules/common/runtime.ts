import type { DatabaseKind } from '../database/open-database.js';
import type { Env } from '../settings/env.js';

/** What the running app knows about its own setup; injected under this token. */
export const HAVEN_RUNTIME = Symbol('HAVEN_RUNTIME');

export interface HavenRuntime {
  env: Env;
  databaseKind: DatabaseKind;
  databaseUrl: string;
}
