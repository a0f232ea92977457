import path from 'node:path';
import { parseBundle } from '../../engine/index.js';
import { type BundleFiles, isBundleDir, readBundleDir, readConfigDir } from './bundle-files.js';

/**
 * The bundle in `dir` together with the bundles it depends on (found beside it, by key, transitively), as the
 * engine needs them to check cross-references. The named bundle comes first.
 */
export async function bundleWithDependencies(dir: string): Promise<{ main: BundleFiles; all: BundleFiles[]; missing: string[] }> {
  const resolved = path.resolve(dir);
  if (!(await isBundleDir(resolved))) throw new Error(`${dir} is not a bundle folder (it has no bundle.json).`);
  const main = await readBundleDir(resolved);
  const siblings = await readConfigDir(path.dirname(resolved));
  const byKey = new Map<string, BundleFiles>();
  for (const sibling of siblings) {
    if (path.resolve(sibling.dir) === resolved) continue;
    const key = manifestOf(sibling.files).key;
    if (key) byKey.set(key, sibling.files);
  }
  const all = [main];
  const missing: string[] = [];
  const seen = new Set<string>([manifestOf(main).key ?? '']);
  const queue = [...(manifestOf(main).dependsOn ?? [])];
  while (queue.length) {
    const key = queue.shift()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const files = byKey.get(key);
    if (!files) {
      missing.push(key);
      continue;
    }
    all.push(files);
    queue.push(...(manifestOf(files).dependsOn ?? []));
  }
  return { main, all, missing };
}

function manifestOf(files: BundleFiles): { key?: string; dependsOn?: string[] } {
  try {
    const parsed = JSON.parse(files['bundle.json'] ?? '{}') as { key?: unknown; dependsOn?: unknown };
    return {
      key: typeof parsed.key === 'string' ? parsed.key : undefined,
      dependsOn: Array.isArray(parsed.dependsOn) ? parsed.dependsOn.filter((d): d is string => typeof d === 'string') : [],
    };
  } catch {
    return {};
  }
}

/** Parses one bundle alone (for translation work, which needs no cross-bundle checks). */
export function parseOne(files: BundleFiles) {
  return parseBundle(files);
}
