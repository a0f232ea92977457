import { accessSync, constants as fsConstants, statSync } from 'node:fs';
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
  /** HTTP worker processes sharing the port (1 = this process serves HTTP itself). */
  workers: number;
  /** Outgoing mail (docs/notifications.md): unset = no e-mail (in-app notifications only). */
  smtpUrl?: string;
  smtpFrom: string;
  /** Base URL of the web app, for links in e-mails (`https://haven.example.org`); unset = no links. */
  publicUrl?: string;
  mailPollMs: number;
  mailRetryBaseMs: number;
  mailMaxAttempts: number;
  /** Chromium executable for PDF printouts (docs/decisions/0009-printing.md); undefined = no PDF on this server. */
  chromiumPath?: string;
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

const DEFAULT_CHROMIUM = '/usr/bin/chromium';

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    const stat = statSync(file);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** HAVEN_CHROMIUM_PATH: `off` = no PDF; a path must be an executable file; unset = Debian's chromium when installed. */
function chromiumPath(src: Source, cwd: string): string | undefined {
  const raw = text(src, 'HAVEN_CHROMIUM_PATH');
  if (raw === undefined) return isExecutableFile(DEFAULT_CHROMIUM) ? DEFAULT_CHROMIUM : undefined;
  if (raw === 'off') return undefined;
  const file = path.resolve(cwd, raw);
  if (!isExecutableFile(file)) throw new EnvError('HAVEN_CHROMIUM_PATH', `"${raw}" is not an executable file (install Debian's chromium package, or set off for HTML printouts only)`);
  return file;
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
  { name: 'HAVEN_WORKERS', default: '1', meaning: 'HTTP worker processes sharing the port (Node cluster): each is an app instance with its own pool and caches, so a server with several cores serves more requests. 1: one process.' },
  { name: 'SMTP_URL', default: '(unset)', meaning: 'Outgoing mail server (`smtp://user:pass@host:587`, `smtps://…:465`). Unset: notifications are in-app only and no e-mail is queued.' },
  { name: 'SMTP_FROM', default: 'Haven <haven@localhost>', meaning: 'Sender address of notification e-mails.' },
  { name: 'HAVEN_PUBLIC_URL', default: '(unset)', meaning: 'Base URL of the web app, used for record links in e-mails. Unset: e-mails carry the record\'s display id only.' },
  { name: 'HAVEN_MAIL_POLL_MS', default: '10000', meaning: 'How often each instance looks for due e-mails (new ones also wake it at once).' },
  { name: 'HAVEN_MAIL_RETRY_BASE_MS', default: '60000', meaning: 'First retry delay of a failed e-mail; doubled on each attempt (at most 6 hours).' },
  { name: 'HAVEN_MAIL_MAX_ATTEMPTS', default: '8', meaning: 'Attempts before an e-mail is given up (`failed`).' },
  { name: 'HAVEN_CHROMIUM_PATH', default: '/usr/bin/chromium (when present)', meaning: 'Chromium executable that renders printouts as PDF (Debian package `chromium`). `off`: no PDF (HTML printouts only). Unset and no `/usr/bin/chromium`: no PDF.' },
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
  const smtpUrl = text(src, 'SMTP_URL');
  if (smtpUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')) {
      throw new EnvError('SMTP_URL', 'expected smtp://user:password@host:port or smtps://user:password@host:port');
    }
  }
  const publicUrl = text(src, 'HAVEN_PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(publicUrl)) throw new EnvError('HAVEN_PUBLIC_URL', 'expected an http:// or https:// URL');
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
    workers: integer(src, 'HAVEN_WORKERS', 1, 1, 64),
    smtpUrl,
    smtpFrom: text(src, 'SMTP_FROM', 'Haven <haven@localhost>') as string,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    mailPollMs: integer(src, 'HAVEN_MAIL_POLL_MS', 10_000, 50, 3_600_000),
    mailRetryBaseMs: integer(src, 'HAVEN_MAIL_RETRY_BASE_MS', 60_000, 10, 21_600_000),
    mailMaxAttempts: integer(src, 'HAVEN_MAIL_MAX_ATTEMPTS', 8, 1, 100),
    chromiumPath: chromiumPath(src, cwd),
  };
}
