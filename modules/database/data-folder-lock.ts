import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * One Haven process per data folder. The lock file holds the owner's PID; a second process finds the owner
 * alive and refuses (or, for a CLI, connects through the runtime file), while a lock left by a killed owner is
 * taken over. Creating the file with `wx` makes acquisition atomic.
 */
export interface LockOwner {
  pid: number;
  purpose: string;
  startedAt: string;
}

export class LockHeldError extends Error {
  constructor(readonly owner: LockOwner, dataDir: string) {
    super(`Haven is already running on the data folder ${dataDir} (process ${owner.pid}, ${owner.purpose}, since ${owner.startedAt}).`);
    this.name = 'LockHeldError';
  }
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A process that exited but was not reaped yet (its parent died, and a container's init may never reap it)
 * still answers signal 0. On Linux, /proc says so: state `Z`.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export async function readLockOwner(lockFile: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(lockFile, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, purpose: String(parsed.purpose ?? 'unknown'), startedAt: String(parsed.startedAt ?? '') };
  } catch {
    return undefined;
  }
}

export class DataFolderLock {
  private released = false;

  private constructor(readonly file: string) {}

  static lockFile(dataDir: string): string {
    return path.join(dataDir, 'haven.lock');
  }

  /** Takes the lock or throws `LockHeldError` naming the living owner. */
  static async acquire(dataDir: string, purpose: string): Promise<{ lock: DataFolderLock; staleOwner?: LockOwner }> {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const file = DataFolderLock.lockFile(dataDir);
    const me: LockOwner = { pid: process.pid, purpose, startedAt: new Date().toISOString() };
    let staleOwner: LockOwner | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.writeFile(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
        return { lock: new DataFolderLock(file), staleOwner };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = await readLockOwner(file);
      if (owner && owner.pid !== process.pid && isProcessAlive(owner.pid)) throw new LockHeldError(owner, dataDir);
      // The owner died (or the file is unreadable): take over. Renaming first keeps two late-comers from
      // both deleting a lock that one of them has just written.
      staleOwner = owner;
      const aside = `${file}.stale-${process.pid}`;
      await fs.rename(file, aside).then(() => fs.rm(aside, { force: true })).catch(() => undefined);
    }
    throw new Error(`Could not take the lock ${file}.`);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const owner = await readLockOwner(this.file);
    if (owner?.pid === process.pid) await fs.rm(this.file, { force: true });
  }
}
