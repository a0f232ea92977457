/**
 * The bundles shipped in `configs/`, read from disk for engine specs. Files are read with node:fs through a computed
 * specifier, so that the engine's tsconfig keeps Node's types out (the engine itself never reads files).
 */

interface DirEntry {
  readonly name: string;
  isDirectory(): boolean;
}
interface NodeFs {
  readdirSync(path: string, options: { withFileTypes: true }): DirEntry[];
  readFileSync(path: string, encoding: 'utf8'): string;
}
const FS_MODULE = ['node', 'fs'].join(':');
const { readdirSync, readFileSync } = (await import(FS_MODULE)) as NodeFs;

/** The repository root. */
export const ROOT = decodeURIComponent(new URL('../..', import.meta.url).pathname).replace(/\/$/, '');

/** A bundle folder as the file map the engine takes (relative path -> text). */
export function readBundle(dir: string, prefix = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(`${dir}/${prefix}`, { withFileTypes: true })) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory()) Object.assign(files, readBundle(dir, `${path}/`));
    else files[path] = readFileSync(`${dir}/${path}`, 'utf8');
  }
  return files;
}

/** A shipped bundle (`core`, `gbv`, `cp`) as a file map. */
export function readShippedBundle(key: string): Record<string, string> {
  return readBundle(`${ROOT}/configs/${key}`);
}

/** Reads a file of the repository (docs, configs) as text. */
export function readRepoFile(path: string): string {
  return readFileSync(`${ROOT}/${path}`, 'utf8');
}
