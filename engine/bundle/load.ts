/** validate -> build: parse every bundle, check them together, and hand out LoadedBundles only when clean. */
import { dependencyOrder } from './check/check-graph.js';
import { checkBundles } from './check/check-bundles.js';
import { parseBundle } from './parse-bundle.js';
import type { BundleIssue, LoadedBundle, ParsedBundle } from './types.js';

export interface LoadResult {
  /** Dependencies first. Present only when there is no issue at all. */
  readonly bundles?: readonly LoadedBundle[];
  readonly issues: readonly BundleIssue[];
}

/** Loads bundles given as file maps (`{ "<relative path>": "<text>" }`), reporting every issue at once. */
export function loadBundles(fileMaps: readonly Readonly<Record<string, string>>[]): LoadResult {
  const issues: BundleIssue[] = [];
  const parsed: ParsedBundle[] = [];
  for (const files of fileMaps) {
    const result = parseBundle(files);
    issues.push(...result.issues);
    if (result.bundle) parsed.push(result.bundle);
  }
  issues.push(...checkBundles(parsed));
  if (issues.length > 0) return { issues };
  // Sound: every bundle parsed and the set passed its cross-reference checks.
  return { bundles: dependencyOrder(parsed) as LoadedBundle[], issues };
}
