import path from 'node:path';

/**
 * Every environment variable Haven reads, described once. `loadEnv` validates them at boot; a wrong value
 * stops the start with one line naming the variable. The README's table mirrors this list.
 */
export interface Env {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  configDir: string;
  adminUser: string;
  adminPassword?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  dbPoolSize: number;
}

export class EnvError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'EnvError';
  }
}

type Source = Record<string, string | undefined>;

function integer(src: Source, name: string, fallback: number, min: number, max: number): number {
  const raw = src[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new EnvError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new EnvError(name, `expected a number from ${min} to ${max}, got ${value}`);
  return value;
}

function text(src: Source, name: string, fallback?: string): string | undefined {
  const raw = src[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const ENV_DOC: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'PORT', default: '3000', meaning: 'HTTP port.' },
  { name: 'HOST', default: '127.0.0.1', meaning: 'Interface to listen on (`0.0.0.0` for all).' },
  { name: 'DATABASE_URL', default: '(unset)', meaning: 'PostgreSQL server URL (`postgres://user:pass@host:5432/db`). Unset: the embedded PostgreSQL in `HAVEN_DATA_DIR`.' },
  { name: 'HAVEN_DATA_DIR', default: './data', meaning: 'Folder for the embedded database, its lock and runtime file, and backups.' },
  { name: 'HAVEN_CONFIG_DIR', default: './configs', meaning: 'Folder holding the configuration bundles (`core`, `gbv`, `cp`, ...).' },
  { name: 'HAVEN_ADMIN_USER', default: 'admin', meaning: 'Username of the bootstrap system administrator created on first start.' },
  { name: 'HAVEN_ADMIN_PASSWORD', default: '(generated)', meaning: 'Password of the bootstrap administrator; when unset a random one is generated and printed once.' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'One of fatal, error, warn, info, debug, trace, silent.' },
  { name: 'HAVEN_BODY_LIMIT', default: '1048576', meaning: 'Largest accepted JSON request body, in bytes.' },
  { name: 'HAVEN_DB_POOL_SIZE', default: '10', meaning: 'Database connections per app instance.' },
];

export function loadEnv(src: Source = process.env, cwd = process.cwd()): Env {
  const databaseUrl = text(src, 'DATABASE_URL');
  if (databaseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      throw new EnvError('DATABASE_URL', 'is not a valid URL (expected postgres://user:password@host:port/database)');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new EnvError('DATABASE_URL', `must start with postgres:// or postgresql://, got "${url.protocol}//"`);
    }
  }
  const logLevel = text(src, 'LOG_LEVEL', 'info') as string;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new EnvError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const adminUser = text(src, 'HAVEN_ADMIN_USER', 'admin') as string;
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/.test(adminUser)) {
    throw new EnvError('HAVEN_ADMIN_USER', 'use 2 to 64 letters, digits, dots, dashes, underscores or @');
  }
  const adminPassword = src.HAVEN_ADMIN_PASSWORD === undefined || src.HAVEN_ADMIN_PASSWORD === '' ? undefined : src.HAVEN_ADMIN_PASSWORD;
  if (adminPassword !== undefined && adminPassword.length < 12) {
    throw new EnvError('HAVEN_ADMIN_PASSWORD', 'must be at least 12 characters long');
  }
  const host = text(src, 'HOST', '127.0.0.1') as string;
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) throw new EnvError('HOST', `"${host}" is not a host name or address`);
  return {
    port: integer(src, 'PORT', 3000, 0, 65535),
    host,
    databaseUrl,
    dataDir: path.resolve(cwd, text(src, 'HAVEN_DATA_DIR', './data') as string),
    configDir: path.resolve(cwd, text(src, 'HAVEN_CONFIG_DIR', './configs') as string),
    adminUser,
    adminPassword,
    logLevel: logLevel as Env['logLevel'],
    bodyLimitBytes: integer(src, 'HAVEN_BODY_LIMIT', 1024 * 1024, 1024, 512 * 1024 * 1024),
    dbPoolSize: integer(src, 'HAVEN_DB_POOL_SIZE', 10, 1, 500),
  };
}
