/**
 * Intent-named factories for engine specs: small bundles as file maps, exactly what the HTTP import
 * and the disk loader hand to the engine. Every default can be overridden; `files` adds or replaces
 * raw files (a string is used verbatim, anything else is JSON-serialised).
 */
import { loadBundles } from '../bundle/load.js';
import type { BundleIssue, LoadedBundle } from '../bundle/types.js';
import { compileBundles } from '../compile/compile-bundles.js';
import type { CompiledConfig, ProcessContext } from '../compile/types.js';

type Json = Record<string, unknown>;

export interface BundleSpec {
  readonly manifest?: Json;
  /** Default: module `m` with record type `case`. */
  readonly modules?: readonly Json[];
  /** Default: `m.case` with form group `main`. */
  readonly recordTypes?: readonly Json[];
  /** Shortcut: one form `main_form` of `m`/`case` holding these fields. */
  readonly fields?: readonly Json[];
  readonly forms?: readonly Json[];
  readonly lookups?: readonly Json[];
  /** `locations/<name>.json` contents by name. */
  readonly locations?: Readonly<Record<string, Json>>;
  /** Shortcut: `rules/m.case.json` with these rules. */
  readonly rules?: readonly Json[];
  readonly translations?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly files?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_MODULE = { key: 'm', label: 'Module', recordTypes: ['case'] };
export const DEFAULT_RECORD_TYPE = { key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }] };

export function makeForm(fields: readonly Json[], overrides: Json = {}): Json {
  return { key: 'main_form', module: 'm', recordType: 'case', label: 'Main form', group: 'main', order: 1, fields, ...overrides };
}

export function makeBundle(spec: BundleSpec = {}): Record<string, string> {
  const files: Record<string, string> = {};
  const put = (path: string, value: unknown): void => {
    files[path] = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  };
  put('bundle.json', { key: 'test', version: '1.0.0', title: 'Test bundle', baseLanguage: 'en', locales: ['en', 'fr', 'ar'], dependsOn: [], ...spec.manifest });
  for (const module of spec.modules ?? [DEFAULT_MODULE]) put(`modules/${String(module['key'])}.json`, module);
  for (const rt of spec.recordTypes ?? [DEFAULT_RECORD_TYPE]) put(`record-types/${String(rt['module'])}.${String(rt['key'])}.json`, rt);
  const forms = [...(spec.fields === undefined ? [] : [makeForm(spec.fields)]), ...(spec.forms ?? [])];
  for (const form of forms) put(`forms/${String(form['module'])}.${String(form['recordType'])}.${String(form['key'])}.json`, form);
  for (const lookup of spec.lookups ?? []) put(`lookups/${String(lookup['key'])}.json`, lookup);
  for (const [name, content] of Object.entries(spec.locations ?? {})) put(`locations/${name}.json`, content);
  if (spec.rules !== undefined) put('rules/m.case.json', { module: 'm', recordType: 'case', rules: spec.rules });
  for (const [locale, texts] of Object.entries(spec.translations ?? {})) put(`translations/${locale}.json`, texts);
  for (const [path, value] of Object.entries(spec.files ?? {})) put(path, value);
  return files;
}

/** A core bundle like configs/core: locale catalogue and the shared yes/no lookup. */
export function makeCoreBundle(): Record<string, string> {
  return makeBundle({
    manifest: { key: 'core', title: 'Core', locales: ['en', 'fr', 'ar'] },
    modules: [],
    recordTypes: [],
    lookups: [{ key: 'yes_no_unknown', label: 'Yes/No/Unknown', values: [{ value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }, { value: 'unknown', label: 'Unknown' }] }],
    files: {
      'locales.json': { locales: [{ code: 'en', name: 'English', direction: 'ltr' }, { code: 'fr', name: 'Français', direction: 'ltr' }, { code: 'ar', name: 'العربية', direction: 'rtl' }] },
    },
  });
}

export class BundleLoadError extends Error {
  constructor(readonly issues: readonly BundleIssue[]) {
    super(`Bundles did not load:\n${issues.map((i) => `  ${i.bundle ?? '?'}/${i.file}#${i.pointer} ${i.code}: ${i.message}`).join('\n')}`);
  }
}

/** Loads file maps, failing the test with every issue listed when they do not load. */
export function loadOrThrow(...fileMaps: Record<string, string>[]): readonly LoadedBundle[] {
  const result = loadBundles(fileMaps);
  if (result.bundles === undefined) throw new BundleLoadError(result.issues);
  return result.bundles;
}

export function compileOrThrow(...fileMaps: Record<string, string>[]): CompiledConfig {
  return compileBundles(loadOrThrow(...fileMaps));
}

/** Issues of loading, for specs that expect some. */
export function loadIssues(...fileMaps: Record<string, string>[]): readonly BundleIssue[] {
  return loadBundles(fileMaps).issues;
}

export function testContext(overrides: Partial<ProcessContext> = {}): ProcessContext {
  return {
    user: { id: 'u1', agency: 'agency_a', roles: ['caseworker'], groups: ['g1'] },
    today: '2026-06-15',
    now: '2026-06-15T12:00:00.000Z',
    ...overrides,
  };
}
