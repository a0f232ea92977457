import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Finding and running PostgreSQL's client tools (pg_dump, pg_restore). They are optional: Haven looks in PATH
 * and in the usual per-version folders of Debian/Ubuntu, RHEL, Homebrew, Postgres.app and Windows, and uses a
 * tool only when its major version fits.
 */
const execFileAsync = promisify(execFile);

export interface PgTool {
  path: string;
  major: number;
  version: string;
}

const EXE = process.platform === 'win32' ? '.exe' : '';

async function listVersionDirs(base: string, toBin: (entry: string) => string): Promise<string[]> {
  try {
    return (await fs.readdir(base)).filter((e) => /^\d+(\.\d+)?$/.test(e) || /^postgresql@\d+$/.test(e)).map(toBin);
  } catch {
    return [];
  }
}

async function candidateDirs(): Promise<string[]> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  dirs.push(
    ...(await listVersionDirs('/usr/lib/postgresql', (v) => `/usr/lib/postgresql/${v}/bin`)),
    ...(await listVersionDirs('/opt/homebrew/opt', (v) => `/opt/homebrew/opt/${v}/bin`)),
    ...(await listVersionDirs('/usr/local/opt', (v) => `/usr/local/opt/${v}/bin`)),
    ...(await listVersionDirs('/Applications/Postgres.app/Contents/Versions', (v) => `/Applications/Postgres.app/Contents/Versions/${v}/bin`)),
    ...(await listVersionDirs('C:\\Program Files\\PostgreSQL', (v) => `C:\\Program Files\\PostgreSQL\\${v}\\bin`)),
  );
  try {
    for (const e of await fs.readdir('/usr')) if (/^pgsql-\d+$/.test(e)) dirs.push(`/usr/${e}/bin`);
  } catch {
    // not RHEL
  }
  return dirs;
}

async function probe(file: string): Promise<PgTool | undefined> {
  try {
    await fs.access(file, fs.constants.X_OK);
    const { stdout } = await execFileAsync(file, ['--version'], { timeout: 10_000 });
    const m = /\(PostgreSQL\)\s+((\d+)(?:\.\d+)*)/.exec(stdout);
    return m ? { path: file, major: Number(m[2]), version: m[1] } : undefined;
  } catch {
    return undefined;
  }
}

/** Every installed copy of the tool, one per real path, in search order. */
export async function findPgTools(name: 'pg_dump' | 'pg_restore'): Promise<PgTool[]> {
  const seen = new Set<string>();
  const found: PgTool[] = [];
  for (const dir of await candidateDirs()) {
    const file = path.join(dir, name + EXE);
    const real = await fs.realpath(file).catch(() => undefined);
    if (!real || seen.has(real)) continue;
    seen.add(real);
    const tool = await probe(file);
    if (tool) found.push(tool);
  }
  return found;
}

/** A pg_dump of exactly this major version (a newer one would write archives an older pg_restore cannot read). */
export async function findPgDump(major: number): Promise<PgTool | undefined> {
  return (await findPgTools('pg_dump')).find((t) => t.major === major);
}

/** A pg_restore that reads archives of `archiveMajor`: that major or newer, the closest first. */
export async function findPgRestore(archiveMajor: number): Promise<PgTool | undefined> {
  return (await findPgTools('pg_restore')).filter((t) => t.major >= archiveMajor).sort((a, b) => a.major - b.major)[0];
}

/**
 * libpq connection arguments for a postgres:// URL. The password travels in PGPASSWORD, never on the command
 * line where other users of the machine could read it.
 */
export function libpqConnection(url: string): { dbnameArg: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  // node-pg's `ssl=true` is not a libpq parameter; libpq spells it sslmode.
  const ssl = u.searchParams.get('ssl');
  if (ssl !== null) {
    u.searchParams.delete('ssl');
    if (!u.searchParams.has('sslmode') && ssl !== 'false' && ssl !== '0') u.searchParams.set('sslmode', 'require');
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PGCONNECT_TIMEOUT: process.env.PGCONNECT_TIMEOUT ?? '15' };
  if (password) env.PGPASSWORD = password;
  return { dbnameArg: `--dbname=${u.toString()}`, env };
}

/** The last lines of a tool's error output, as one line. */
export function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).join(' | ');
}

export interface RunningTool {
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream & AsyncIterable<Buffer>;
  /** Resolves with the exit code and the collected stderr once the process has exited. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
}

export function runTool(tool: PgTool, args: string[], env: NodeJS.ProcessEnv, stdout: 'pipe' | 'ignore' = 'pipe'): RunningTool {
  const child = spawn(tool.path, args, { env, stdio: ['pipe', stdout, 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  // A tool that exits early (an error, or `--list` done reading the table of contents) closes its stdin.
  child.stdin!.on('error', () => undefined);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return {
    stdin: child.stdin!,
    stdout: child.stdout as NodeJS.ReadableStream & AsyncIterable<Buffer>,
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
