/**
 * Compiles loaded bundles into a CompiledConfig: once per set of bundle hashes. Compiling (AJV code
 * generation above all) costs milliseconds; requests must never pay it, so results are memoised.
 */
import type { LookupDefinition, RecordTypeDefinition, RulesFile } from '../bundle/schema/definitions.js';
import type { FormDefinition } from '../bundle/schema/form.js';
import { sha256Hex } from '../bundle/hash.js';
import type { LoadedBundle } from '../bundle/types.js';
import type { FieldCompileEnv } from '../fields/field-type.js';
import { fieldType } from '../fields/index.js';
import { buildTextIndex } from '../i18n/text-index.js';
import { prepareRule } from '../rules/prepare.js';
import { createAjv } from '../util/ajv.js';
import { compileWorkflow, type CompiledWorkflow } from '../workflow/compile-workflow.js';
import { compileRecordType } from './compile-record-type.js';
import { EngineError } from './engine-error.js';
import { buildLocationIndex } from './location-index.js';
import type { CompiledConfig, CompiledRecordType, LocaleInfo } from './types.js';

/**
 * A small memo rather than a global registry: compiled configs are pure functions of the bundle
 * hashes, so sharing them is safe, and a bound keeps memory flat while versions come and go.
 */
const CACHE_SIZE = 8;
const cache = new Map<string, CompiledConfig>();

/** Drops memoised configs (tests; or a server that knows a version is gone for good). */
export function clearCompileCache(): void {
  cache.clear();
}

export interface CompileOptions {
  /**
   * Tells apart definitions that differ without their bundle hashes differing: overlaid bundles
   * (`applyOverlays`) compile under `overlay:<digest of the overlays>` (content, not a version number: the memo
   * is per process and may serve several databases). Part of the memo key only; the compiled config's
   * `hash` stays the one of the bundle hashes (what records remember).
   */
  readonly variant?: string;
}

export function compileBundles(bundles: readonly LoadedBundle[], options: CompileOptions = {}): CompiledConfig {
  const hashKey = bundles.map((bundle) => `${bundle.key}:${bundle.hash}`).sort().join('\n');
  const cacheKey = options.variant === undefined ? hashKey : `${hashKey}\n#${options.variant}`;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) {
    // Refresh its place in the LRU order.
    cache.delete(cacheKey);
    cache.set(cacheKey, cached);
    return cached;
  }
  const compiled = build(bundles, sha256Hex(hashKey));
  cache.set(cacheKey, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return compiled;
}

function localesOf(bundles: readonly LoadedBundle[]): LocaleInfo[] {
  const catalogue = new Map<string, { name: string; direction: 'ltr' | 'rtl' }>();
  for (const bundle of bundles) for (const locale of bundle.locales?.def.locales ?? []) catalogue.set(locale.code, locale);
  const codes = new Set(bundles.flatMap((bundle) => bundle.manifest.locales));
  return [...codes].map((code) => {
    const known = catalogue.get(code) ?? catalogue.get(code.split('-')[0] as string);
    return { code, direction: known?.direction ?? 'ltr', ...(known === undefined ? {} : { name: known.name }) };
  });
}

function build(bundles: readonly LoadedBundle[], hash: string): CompiledConfig {
  const ajv = createAjv();
  const texts = buildTextIndex(bundles);
  const locations = buildLocationIndex(bundles);
  const lookups = new Map<string, LookupDefinition>();
  for (const bundle of bundles) for (const { def } of bundle.lookups) lookups.set(def.key, def);

  const prepareEnv = {
    lookupValues: (key: string) => lookups.get(key)?.values.filter((option) => option.disabled !== true).map((option) => option.value),
  };
  const env: FieldCompileEnv = {
    lookup: (key) => lookups.get(key),
    locations,
    prepare: (logic) => prepareRule(logic, prepareEnv),
    compileChild: (def) => {
      const type = fieldType(def.type);
      if (type === undefined) throw new Error(`Field type "${def.type}" is not registered.`);
      return type.compile(def as never, env);
    },
  };

  const definitions = new Map<string, RecordTypeDefinition>();
  const forms = new Map<string, FormDefinition[]>();
  const rules = new Map<string, RulesFile[]>();
  for (const bundle of bundles) {
    for (const { def } of bundle.recordTypes) definitions.set(`${def.module}\u0000${def.key}`, def);
    for (const { def } of bundle.forms) push(forms, `${def.module}\u0000${def.recordType}`, def);
    for (const { def } of bundle.rules) push(rules, `${def.module}\u0000${def.recordType}`, def);
  }
  const workflows = new Map<string, CompiledWorkflow>();
  for (const bundle of bundles) {
    for (const { def } of bundle.workflows) workflows.set(`${def.module}\u0000${def.recordType}`, compileWorkflow(def, { prepare: env.prepare, texts }));
  }
  const recordTypes = new Map<string, CompiledRecordType>();
  for (const [id, definition] of definitions) {
    const compiledType = compileRecordType(ajv, { definition, forms: forms.get(id) ?? [], rules: rules.get(id) ?? [] }, env, texts);
    const workflow = workflows.get(id);
    recordTypes.set(id, workflow === undefined ? compiledType : { ...compiledType, workflow });
  }

  const find = (module: string, recordType: string): CompiledRecordType | undefined => recordTypes.get(`${module}\u0000${recordType}`);
  return {
    hash,
    bundles: bundles.map((bundle) => ({
      key: bundle.key,
      version: bundle.manifest.version,
      hash: bundle.hash,
      title: bundle.manifest.title,
      baseLanguage: bundle.manifest.baseLanguage,
      locales: bundle.manifest.locales,
    })),
    source: bundles,
    locales: localesOf(bundles),
    recordTypes: [...recordTypes.values()],
    findRecordType: find,
    workflow: (module, recordType) => workflows.get(`${module}\u0000${recordType}`),
    recordType(module, recordType) {
      const found = find(module, recordType);
      if (found === undefined) throw new EngineError('unknown_record_type', `The configuration has no record type ${module}/${recordType}.`);
      return found;
    },
    lookups,
    locations,
    texts,
  };
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
