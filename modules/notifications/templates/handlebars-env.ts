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

/** Helpers a template may call: ours and Handlebars' block helpers (`log`, `helperMissing`… are not). */
const CALLABLE = new Set<string>([...TEMPLATE_HELPERS, 'if', 'unless', 'each', 'with', 'lookup']);
/** Handlebars' own hooks, which throw when called directly. */
const INTERNAL = new Set(['helperMissing', 'blockHelperMissing', 'log']);
/** Loops (`each`) nest at most this deep: nested loops multiply (six `each` over the forms ran 262,144 times). */
export const MAX_LOOP_DEPTH = 4;
/** Iterations of `each` one render may take in all (a case summary of a large case takes a few thousand). */
export const MAX_ITERATIONS = 500_000;
/** Largest template source (characters). */
export const MAX_SOURCE_LENGTH = 200_000;

/** Node types that would reach outside the template's own context or print unescaped, and blocks nested too deep. */
function forbiddenNodes(node: unknown, found: string[], depth = 0): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) forbiddenNodes(child, found, depth);
    return;
  }
  const n = node as { type?: unknown; escaped?: unknown; loc?: { start?: { line?: number } } };
  const line = n.loc?.start?.line;
  const at = line === undefined ? '' : ` (line ${line})`;
  if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') found.push(`partials are not available${at}`);
  if (n.type === 'Decorator' || n.type === 'DecoratorBlock') found.push(`decorators are not available${at}`);
  if (n.type === 'MustacheStatement' && n.escaped === false) found.push(`unescaped output ({{{ }}} or {{& }}) is not allowed${at}`);
  const callee = (n as { path?: { original?: unknown } }).path?.original;
  const params = (n as { params?: unknown[] }).params;
  const call = n.type === 'BlockStatement' || n.type === 'SubExpression' || (n.type === 'MustacheStatement' && (params?.length ?? 0) > 0);
  if (n.type === 'PathExpression' && typeof (n as { original?: unknown }).original === 'string' && INTERNAL.has((n as { original: string }).original)) {
    found.push(`the ${(n as { original: string }).original} helper is not available${at}`);
  } else if (call && typeof callee === 'string' && !CALLABLE.has(callee) && !INTERNAL.has(callee)) {
    found.push(`unknown helper ${callee}${at}`);
  }
  const loop = n.type === 'BlockStatement' && callee === 'each';
  const inner = loop ? depth + 1 : depth;
  if (loop && inner === MAX_LOOP_DEPTH + 1) found.push(`loops (each) nest at most ${MAX_LOOP_DEPTH} deep${at}`);
  for (const [key, value] of Object.entries(n)) if (key !== 'loc') forbiddenNodes(value, found, inner);
}

/** Why a source cannot be used, or undefined when it compiles under the rules above. */
export function sourceProblem(source: string, mode: OutputMode): string | undefined {
  if (source.length > MAX_SOURCE_LENGTH) return `a template holds at most ${MAX_SOURCE_LENGTH} characters`;
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

/** A render that stopped: too many iterations, or a helper that failed on the data. */
export class TemplateRenderError extends Error {}

const builtinEach = hb.helpers['each'] as Handlebars.HelperDelegate;

export function render(source: string, mode: OutputMode, context: object, helpers: TemplateHelpers): string {
  let template: Handlebars.TemplateDelegate;
  try {
    template = compiled(source, mode);
  } catch (err) {
    // A source stored before a rule was added (bundles are checked at import) fails like any render.
    throw new TemplateRenderError((err as Error).message);
  }
  let iterations = 0;
  // Handlebars' `each`, counting: a render never loops more than MAX_ITERATIONS times in all.
  const each = function (this: unknown, items: unknown, options: Handlebars.HelperOptions): unknown {
    const fn = options.fn;
    const counted = Object.assign((item: unknown, data?: Handlebars.RuntimeOptions) => {
      if (++iterations > MAX_ITERATIONS) throw new TemplateRenderError(`the template loops more than ${MAX_ITERATIONS} times`);
      return fn(item, data);
    }, fn);
    return builtinEach.call(this, items, { ...options, fn: counted });
  };
  try {
    return template(context, {
      helpers: { ...helpers, each },
      partials: {},
      allowProtoPropertiesByDefault: false,
      allowProtoMethodsByDefault: false,
    });
  } catch (err) {
    if (err instanceof TemplateRenderError) throw err;
    throw new TemplateRenderError(`the template could not be rendered: ${(err as Error).message.split('\n')[0]}`);
  }
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
