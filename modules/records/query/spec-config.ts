import path from 'node:path';
import { buildAbility, compileBundles, loadBundles, type CompiledConfig, type HavenAbility } from '../../../engine/index.js';
import { readConfigDir } from '../../config/bundle-files.js';

/** The shipped bundles (./configs), compiled once per spec file: the query specs run against real record types. */
let compiled: Promise<CompiledConfig> | undefined;

export function shippedConfig(): Promise<CompiledConfig> {
  compiled ??= readConfigDir(path.resolve('configs')).then((sources) => {
    const result = loadBundles(sources.map((s) => s.files));
    if (!result.bundles) throw new Error('The shipped bundles do not load.');
    return compileBundles(result.bundles);
  });
  return compiled;
}

export function abilityFor(config: CompiledConfig, roles: string[], groups: string[] = ['g1']): HavenAbility {
  return buildAbility(config, { id: '00000000-0000-4000-8000-000000000001', username: 'someone', agency: 'AG1', groups, roles });
}
