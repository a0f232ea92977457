/** Bundles loaded together: unique keys, dependencies present, no cycles; each bundle's visible set. */
import type { ParsedBundle } from '../types.js';
import type { CheckContext } from './context.js';

export function checkGraph(ctx: CheckContext): void {
  for (const bundle of ctx.bundles) {
    const previous = ctx.byKey.get(bundle.key);
    if (previous !== undefined) {
      ctx.report(bundle, 'bundle.json', '/key', 'duplicate_bundle', `Bundle "${bundle.key}" is loaded twice.`);
      continue;
    }
    ctx.byKey.set(bundle.key, bundle);
  }

  for (const bundle of ctx.bundles) {
    (bundle.manifest.dependsOn ?? []).forEach((dep, i) => {
      if (!ctx.byKey.has(dep)) {
        ctx.report(bundle, 'bundle.json', `/dependsOn/${i}`, 'missing_dependency', `Bundle "${dep}" is not loaded.`);
      }
    });
  }

  // Cycle detection on the dependency graph; each cycle is reported once, on its first member.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (key: string): void => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') {
      const cycle = stack.slice(stack.indexOf(key));
      if (cycle.some((member) => reported.has(member))) return;
      cycle.forEach((member) => reported.add(member));
      const first = ctx.byKey.get(cycle[0] as string) as ParsedBundle;
      const index = (first.manifest.dependsOn ?? []).indexOf(cycle[1] ?? (cycle[0] as string));
      ctx.report(first, 'bundle.json', `/dependsOn/${Math.max(index, 0)}`, 'dependency_cycle', `Bundles depend on each other: ${[...cycle, key].join(' -> ')}.`);
      return;
    }
    state.set(key, 'visiting');
    stack.push(key);
    for (const dep of ctx.byKey.get(key)?.manifest.dependsOn ?? []) if (ctx.byKey.has(dep)) visit(dep);
    stack.pop();
    state.set(key, 'done');
  };
  for (const key of ctx.byKey.keys()) visit(key);

  for (const bundle of ctx.bundles) {
    const seen = new Set<string>([bundle.key]);
    const queue = [...(bundle.manifest.dependsOn ?? [])];
    while (queue.length > 0) {
      const key = queue.shift() as string;
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push(...(ctx.byKey.get(key)?.manifest.dependsOn ?? []));
    }
    ctx.visible.set(bundle, seen);
  }
}

/** The bundles in dependency order (dependencies first); cycles broken arbitrarily (they are reported). */
export function dependencyOrder(bundles: readonly ParsedBundle[]): ParsedBundle[] {
  const byKey = new Map(bundles.map((b) => [b.key, b] as const));
  const done = new Set<string>();
  const out: ParsedBundle[] = [];
  const visit = (bundle: ParsedBundle, path: Set<string>): void => {
    if (done.has(bundle.key) || path.has(bundle.key)) return;
    path.add(bundle.key);
    for (const dep of bundle.manifest.dependsOn ?? []) {
      const found = byKey.get(dep);
      if (found) visit(found, path);
    }
    path.delete(bundle.key);
    done.add(bundle.key);
    out.push(bundle);
  };
  for (const bundle of bundles) visit(bundle, new Set());
  return out;
}
