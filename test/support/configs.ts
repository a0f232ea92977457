import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A file of the copy: its JSON, or a change of the shipped file's JSON. */
export type ConfigFile = Record<string, unknown> | ((shipped: Record<string, unknown>) => Record<string, unknown>);

/**
 * The shipped bundles (`configs/`) copied to a temporary folder, with some files added or changed (paths relative to
 * `configs/`, e.g. `gbv/roles/gbv_test_role.json`): for `startTestApp({ HAVEN_CONFIG_DIR: copy.dir })`.
 */
export async function configsWith(files: Record<string, ConfigFile>): Promise<{ readonly dir: string; remove(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-test-configs-'));
  await fs.cp(path.resolve('configs'), dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(dir, file);
    const json = typeof content === 'function' ? content(JSON.parse(await fs.readFile(target, 'utf8')) as Record<string, unknown>) : content;
    await fs.writeFile(target, JSON.stringify(json, null, 2));
  }
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
