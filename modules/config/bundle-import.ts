import type { DataSource } from 'typeorm';
import { bundleHash, loadBundles, parseBundle, type BundleIssue } from '../../engine/index.js';
import { HavenError, pointerSegment, type Issue } from '../common/errors.js';
import type { BundleFiles } from './bundle-files.js';
import { InvalidBundlesError } from './bundle-report.js';
import { templateSourceIssues } from '../notifications/templates/handlebars-env.js';
import { ConfigRepository, type BundleState, type StoredBundle } from './config.repository.js';

/** Who imports: a signed-in user (HTTP) or the command line. */
export interface ImportActor {
  readonly id: string | null;
  readonly name: string;
  readonly clientIp?: string | null;
  readonly requestId?: string | null;
}

export interface ImportResult {
  hash: string;
  key: string;
  version: string;
  state: BundleState;
  /** False when the same content was stored before (same hash): nothing changed. */
  created: boolean;
}

const MAX_FILES = 5000;
const PATH = /^[A-Za-z0-9_.+-]+(\/[A-Za-z0-9_.+-]+)*$/;

/** The shape of a file map from an untrusted source (HTTP body): every problem at once. */
export function fileMapIssues(files: unknown): Issue[] {
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    return [{ code: 'invalid_type', path: '/files', message: 'files must be an object from relative path to file text.' }];
  }
  const entries = Object.entries(files as Record<string, unknown>);
  const issues: Issue[] = [];
  if (entries.length === 0) issues.push({ code: 'required', path: '/files', message: 'A bundle has at least a bundle.json.' });
  if (entries.length > MAX_FILES) issues.push({ code: 'too_many', path: '/files', message: `A bundle has at most ${MAX_FILES} files.` });
  for (const [path, text] of entries) {
    const at = `/files/${pointerSegment(path)}`;
    if (!PATH.test(path) || path.split('/').some((s) => s === '.' || s === '..') || path.length > 300) {
      issues.push({ code: 'invalid_format', path: at, message: 'A file path is relative, with letters, digits, "_", "-", "+", "." and "/" only.' });
    }
    if (typeof text !== 'string') issues.push({ code: 'invalid_type', path: at, message: 'A file is given as its text.' });
    else if (text.includes('\u0000')) issues.push({ code: 'invalid_character', path: at, message: 'A file cannot contain NUL characters.' });
  }
  return issues;
}

/** Engine issues as API issues: the pointer leads into the file under `/files/<path>`. */
export function bundleIssuesToIssues(issues: readonly BundleIssue[]): Issue[] {
  return issues.map((i) => ({
    code: i.code,
    path: `/files/${pointerSegment(i.file)}${i.pointer}`,
    message: i.bundle ? `${i.bundle}/${i.file}: ${i.message}` : `${i.file}: ${i.message}`,
    params: { ...(i.bundle ? { bundle: i.bundle } : {}), file: i.file, pointer: i.pointer },
  }));
}

export function invalidBundle(issues: readonly BundleIssue[], message: string): HavenError {
  return new HavenError('invalid_bundle', `${message}: ${issues.length} problem(s).`, bundleIssuesToIssues(issues));
}

/** The active bundles `files` depends on (transitively), by key. */
function activeDependencies(files: BundleFiles, active: readonly StoredBundle[]): StoredBundle[] {
  const byKey = new Map(active.map((b) => [b.key, b]));
  const out: StoredBundle[] = [];
  const seen = new Set<string>();
  const queue = [...manifestOf(files).dependsOn];
  while (queue.length > 0) {
    const key = queue.shift() as string;
    if (seen.has(key)) continue;
    seen.add(key);
    const found = byKey.get(key);
    if (!found) continue; // reported by the engine as missing_dependency
    out.push(found);
    queue.push(...manifestOf(found.files).dependsOn);
  }
  return out;
}

export function manifestOf(files: BundleFiles): { key?: string; version?: string; dependsOn: string[] } {
  try {
    const parsed = JSON.parse(files['bundle.json'] ?? '{}') as { key?: unknown; version?: unknown; dependsOn?: unknown };
    return {
      ...(typeof parsed.key === 'string' ? { key: parsed.key } : {}),
      ...(typeof parsed.version === 'string' ? { version: parsed.version } : {}),
      dependsOn: Array.isArray(parsed.dependsOn) ? parsed.dependsOn.filter((d): d is string => typeof d === 'string') : [],
    };
  } catch {
    return { dependsOn: [] };
  }
}

/**
 * Stores a bundle as a DRAFT: validated together with the active bundles it depends on (every issue at once,
 * nothing stored on any), kept by its content hash, audited. Importing content that is already stored changes
 * nothing and answers its current state.
 */
export async function importBundleDraft(ds: DataSource, files: BundleFiles, actor: ImportActor): Promise<ImportResult> {
  const shape = fileMapIssues(files);
  if (shape.length > 0) throw HavenError.validation(shape, 'The bundle files are not a file map.');
  return ds.transaction(async (tx) => {
    const repo = new ConfigRepository(tx);
    const active = await repo.activeBundles();
    const manifest = manifestOf(files);
    const deps = activeDependencies(files, active).filter((d) => d.key !== manifest.key);
    const result = loadBundles([files, ...deps.map((d) => d.files)]);
    if (!result.bundles) throw new InvalidBundlesError(result.issues, 'The bundle is not valid');
    // Handlebars sources compile on the server (the engine stays free of the template runtime).
    const templateIssues = templateSourceIssues(result.bundles.filter((b) => b.hash === bundleHash(files)));
    if (templateIssues.length > 0) throw new InvalidBundlesError(templateIssues, 'The bundle is not valid');
    const hash = bundleHash(files);
    const bundle = result.bundles.find((b) => b.hash === hash) ?? parseBundle(files).bundle;
    if (!bundle) throw new InvalidBundlesError(result.issues, 'The bundle is not valid');
    const created = await repo.store({ hash, key: bundle.key, version: bundle.manifest.version, state: 'draft', files }, actor.name);
    const stored = await repo.get(hash);
    if (created) {
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor, action, object_type, object_id, client_ip, request_id, details)
         VALUES ($1, $2, 'config.bundle_imported', 'bundle', $3, $4, $5, $6)`,
        [actor.id, actor.name, bundle.key, actor.clientIp ?? null, actor.requestId ?? null, { hash, version: bundle.manifest.version, files: Object.keys(files).length, dependencies: deps.map((d) => `${d.key}@${d.hash.slice(0, 12)}`) }],
      );
    }
    return { hash, key: bundle.key, version: bundle.manifest.version, state: stored?.state ?? 'draft', created };
  });
}
