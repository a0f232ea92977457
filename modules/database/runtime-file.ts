import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * While Haven runs on the embedded database it writes how to reach that database to a file in the data folder,
 * readable by its own user only. The CLIs (migrate, config, backup, restore) connect through it instead of
 * starting a second server on the same folder.
 */
export interface RuntimeInfo {
  pid: number;
  url: string;
  port: number;
  database: string;
  postgresMajor: number;
}

export function runtimeFile(dataDir: string): string {
  return path.join(dataDir, 'haven.runtime.json');
}

export async function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): Promise<void> {
  const file = runtimeFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(info), { mode: 0o600 });
  await fs.rename(tmp, file);
}

export async function readRuntimeInfo(dataDir: string): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await fs.readFile(runtimeFile(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}

export async function removeRuntimeInfo(dataDir: string): Promise<void> {
  await fs.rm(runtimeFile(dataDir), { force: true });
}
