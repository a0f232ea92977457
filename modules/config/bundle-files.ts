import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Reads bundle folders from disk into the `{ "<relative path>": "<text>" }` maps the engine takes (the same
 * shape the HTTP import takes). Hidden files (editor and OS leftovers) are not part of a bundle.
 */
export type BundleFiles = Record<string, string>;

const IGNORED = [/(^|\/)\./];

export async function readBundleDir(dir: string): Promise<BundleFiles> {
  const files: BundleFiles = {};
  async function walk(rel: string): Promise<void> {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (IGNORED.some((r) => r.test(relPath))) continue;
      if (entry.isDirectory()) await walk(relPath);
      else if (entry.isFile()) files[relPath] = await fs.readFile(path.join(dir, relPath), 'utf8');
    }
  }
  await walk('');
  return files;
}

export async function isBundleDir(dir: string): Promise<boolean> {
  return fs.stat(path.join(dir, 'bundle.json')).then((s) => s.isFile(), () => false);
}

/** Every bundle folder directly under `configDir` (a folder with a bundle.json), by folder name. */
export async function readConfigDir(configDir: string): Promise<Array<{ dir: string; files: BundleFiles }>> {
  const entries = await fs.readdir(configDir, { withFileTypes: true });
  const result: Array<{ dir: string; files: BundleFiles }> = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = path.join(configDir, entry.name);
    if (await isBundleDir(dir)) result.push({ dir, files: await readBundleDir(dir) });
  }
  return result;
}
