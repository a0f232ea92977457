import Handlebars from 'handlebars';
import type { BundleIssue, LoadedBundle } from '../../../engine/index.js';

/**
 * The one Handlebars environment templates run in: an isolated instance (nothing registered globally), a fixed
 * set of helpers (`fieldLabel`, `lookupLabel`, `formatDate`, `eq`, plus the built-in block helpers except `log`), no
 * partials, no unescaped output (`{{{ }}}` / `{{& }}`), no prototype access. Helpers are bound per render (they
 * need the reader's locale and the document's record type), so compiling only declares their names.
 *
 * Two output modes: `html` escapes every value (documents); `text` does not (e-mail subjects and plain-text
 * bodies, whose context never holds record data — only ids, keys and labels of the configuration).
 */
const hb = Handlebars.create();
// `log` would write what a template sees into the server's logs, which never hold record data.
hb.unregisterHelper('log');

export const TEMPLATE_HELPERS = ['fieldLabel', 'lookupLabel', 'formatDate', 'eq'] as const;
export type TemplateHelperName = (typeof TEMPLATE_HELPERS)[number];
export type TemplateHelpers = Record<TemplateHelperName, (...args: unknown[]) => unknown>;
export type OutputMode = 'html' | 'text';

const KNOWN_HELPERS = Object.fromEntries(TEMPLATE_HELPERS.map((name) => [name, true])) as Record<string, boolean>;
const compileOptions = (mode: OutputMode) => ({ knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, noEscape: mode === 'text', strict: false });

/** Node types that would reach outside the template's own context or print unescaped. */
function forbiddenNodes(node: unknown, found: string[]): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) forbiddenNodes(child, found);
    return;
  }
  const n = node as { type?: unknown; escaped?: unknown; loc?: { start?: { line?: number } } };
  const line = n.loc?.start?.line;
  const at = line === undefined ? '' : ` (line ${line})`;
  if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') found.push(`partials are not available${at}`);
  if (n.type === 'Decorator' || n.type === 'DecoratorBlock') found.push(`decorators are not available${at}`);
  if (n.type === 'MustacheStatement' && n.escaped === false) found.push(`unescaped output ({{{ }}} or {{& }}) is not allowed${at}`);
  const callee = (n as { path?: { original?: unknown } }).path?.original;
  const call = n.type === 'MustacheStatement' || n.type === 'BlockStatement' || n.type === 'SubExpression';
  if (call && callee === 'log') found.push(`the log helper is not available${at}`);
  for (const [key, value] of Object.entries(n)) if (key !== 'loc') forbiddenNodes(value, found);
}

/** Why a source cannot be used, or undefined when it compiles under the rules above. */
export function sourceProblem(source: string, mode: OutputMode): string | undefined {
  try {
    const found: string[] = [];
    forbiddenNodes(hb.parse(source), found);
    if (found.length > 0) return found.join('; ');
    hb.precompile(source, compileOptions(mode));
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n').filter((line) => line.trim() !== '').slice(0, 3).join(' ');
  }
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Compiled once per content and mode (sources of a bundle never change: a bundle is immutable). */
export function compiled(source: string, mode: OutputMode): Handlebars.TemplateDelegate {
  const key = `${mode}\u0000${source}`;
  let template = cache.get(key);
  if (template === undefined) {
    if (cache.size > 1000) cache.clear();
    const problem = sourceProblem(source, mode);
    if (problem !== undefined) throw new Error(`template does not compile: ${problem}`);
    template = hb.compile(source, compileOptions(mode));
    cache.set(key, template);
  }
  return template;
}

export function render(source: string, mode: OutputMode, context: object, helpers: TemplateHelpers): string {
  return compiled(source, mode)(context, {
    helpers,
    partials: {},
    allowProtoPropertiesByDefault: false,
    allowProtoMethodsByDefault: false,
  });
}

/**
 * The compile check of the bundle checker's template step (engine/bundle/check/check-templates.ts checks
 * everything else): every source a template names, in the mode its kind renders, reported like any bundle issue.
 */
export function templateSourceIssues(bundles: readonly LoadedBundle[]): BundleIssue[] {
  const issues: BundleIssue[] = [];
  const checked = new Set<string>();
  for (const bundle of bundles) {
    for (const { file, def } of bundle.templates) {
      const t = def as unknown as { kind?: string; locales?: Record<string, { subject?: string; body?: string }> };
      const mode: OutputMode = t.kind === 'document' ? 'html' : 'text';
      for (const [locale, source] of Object.entries(t.locales ?? {})) {
        if (source.subject !== undefined) {
          const problem = sourceProblem(source.subject, mode);
          if (problem) issues.push({ bundle: bundle.key, file, pointer: `/locales/${locale}/subject`, code: 'template_syntax', message: problem });
        }
        const path = `templates/${source.body ?? ''}`;
        const text = bundle.templateSources[path];
        if (text === undefined || checked.has(`${bundle.key}/${path}/${mode}`)) continue;
        checked.add(`${bundle.key}/${path}/${mode}`);
        const problem = sourceProblem(text, mode);
        if (problem) issues.push({ bundle: bundle.key, file: path, pointer: '', code: 'template_syntax', message: problem });
      }
    }
  }
  return issues;
}
