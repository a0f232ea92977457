import type { BundleIssue } from '../../engine/index.js';

/** One line per problem: `bundle/file#/pointer  code  message`, sorted by file then pointer. */
export function formatBundleIssues(issues: readonly BundleIssue[]): string {
  return [...issues]
    .sort((a, b) => `${a.bundle ?? ''}/${a.file}`.localeCompare(`${b.bundle ?? ''}/${b.file}`) || a.pointer.localeCompare(b.pointer))
    .map((i) => `${i.bundle ? `${i.bundle}/` : ''}${i.file}#${i.pointer || '/'}  ${i.code}  ${i.message}`)
    .join('\n');
}

export class InvalidBundlesError extends Error {
  constructor(readonly issues: readonly BundleIssue[], context: string) {
    super(`${context}: ${issues.length} problem(s)\n${formatBundleIssues(issues)}`);
    this.name = 'InvalidBundlesError';
  }
}
