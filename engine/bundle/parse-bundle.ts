/**
 * Step 1 of loading: every file parses and matches its kind's schema. Reports every problem of every
 * file in one pass; never throws. Files that fail are left out of the bundle (and listed as `broken`
 * so the cross-reference checker does not report references to them a second time).
 */
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../util/ajv.js';
import { deepFreeze, exceedsDepth, isPlainObject, MAX_JSON_DEPTH } from '../util/objects.js';
import { bundleHash } from './hash.js';
import type { KeyedDefinition, LocalesFile, LocationsFile, LookupDefinition, Manifest, ModuleDefinition, RecordTypeDefinition, RulesFile, Settings, Translations } from './schema/definitions.js';
import { classifyPath, type FileKindSpec } from './schema/file-kinds.js';
import type { ExportMapping } from './schema/export.js';
import type { FormDefinition } from './schema/form.js';
import type { RoleDefinition } from './schema/role.js';
import type { WorkflowDefinition } from './schema/workflow.js';
import { schemaIssues } from './schema-issues.js';
import type { BrokenFile, BundleIssue, FileKind, ParsedBundle, Sourced } from './types.js';

export interface ParseResult {
  /** Present whenever the manifest is valid, even if other files have issues. */
  readonly bundle?: ParsedBundle;
  readonly issues: readonly BundleIssue[];
}

// Compiled once per process: the schemas are fixed by the engine version, not by bundles.
const ajv = createAjv({ discriminator: true });
const validators = new Map<FileKindSpec, ValidateFunction>();

function validatorFor(spec: FileKindSpec): ValidateFunction | undefined {
  if (spec.schema === undefined) return undefined;
  let validate = validators.get(spec);
  if (validate === undefined) {
    validate = ajv.compile(spec.schema);
    validators.set(spec, validate);
  }
  return validate;
}

interface Collected {
  manifest?: Manifest;
  settings?: Sourced<Settings>;
  locales?: Sourced<LocalesFile>;
  modules: Sourced<ModuleDefinition>[];
  recordTypes: Sourced<RecordTypeDefinition>[];
  forms: Sourced<FormDefinition>[];
  lookups: Sourced<LookupDefinition>[];
  locations: Sourced<LocationsFile>[];
  rules: Sourced<RulesFile>[];
  roles: Sourced<RoleDefinition>[];
  workflows: Sourced<WorkflowDefinition>[];
  exports: Sourced<ExportMapping>[];
  reports: Sourced<KeyedDefinition>[];
  templates: Sourced<KeyedDefinition>[];
  templateSources: Record<string, string>;
  translations: (Sourced<Translations> & { locale: string })[];
  broken: BrokenFile[];
}

/** Files the schema accepted, filed by kind. The casts are sound: `value` just matched `kind`'s schema. */
function file(collected: Collected, kind: FileKind, path: string, name: string, value: unknown): void {
  const sourced = { file: path, def: deepFreeze(value) };
  switch (kind) {
    case 'manifest': collected.manifest = value as Manifest; break;
    case 'settings': collected.settings = sourced as Sourced<Settings>; break;
    case 'locales': collected.locales = sourced as Sourced<LocalesFile>; break;
    case 'module': collected.modules.push(sourced as Sourced<ModuleDefinition>); break;
    case 'recordType': collected.recordTypes.push(sourced as Sourced<RecordTypeDefinition>); break;
    case 'form': collected.forms.push(sourced as Sourced<FormDefinition>); break;
    case 'lookup': collected.lookups.push(sourced as Sourced<LookupDefinition>); break;
    case 'locations': collected.locations.push(sourced as Sourced<LocationsFile>); break;
    case 'rules': collected.rules.push(sourced as Sourced<RulesFile>); break;
    case 'role': collected.roles.push(sourced as Sourced<RoleDefinition>); break;
    case 'workflow': collected.workflows.push(sourced as Sourced<WorkflowDefinition>); break;
    case 'export': collected.exports.push(sourced as Sourced<ExportMapping>); break;
    case 'report': collected.reports.push(sourced as Sourced<KeyedDefinition>); break;
    case 'template': collected.templates.push(sourced as Sourced<KeyedDefinition>); break;
    case 'translations': collected.translations.push({ ...(sourced as Sourced<Translations>), locale: name }); break;
    case 'templateSource':
    case 'readme':
      break;
  }
}

function stringProp(value: unknown, key: string): string | undefined {
  return isPlainObject(value) && typeof value[key] === 'string' ? value[key] : undefined;
}

/** What a schema-invalid file still declares, so that references to it are not reported twice. */
function declaredNames(value: unknown): Omit<BrokenFile, 'file' | 'kind'> {
  const key = stringProp(value, 'key');
  const module = stringProp(value, 'module');
  const recordType = stringProp(value, 'recordType');
  const rawFields = isPlainObject(value) ? value['fields'] : undefined;
  const fields = Array.isArray(rawFields)
    ? rawFields.flatMap((field: unknown) => {
        const fieldKey = stringProp(field, 'key');
        if (fieldKey === undefined) return [];
        const rawChildren = isPlainObject(field) ? field['fields'] : undefined;
        const children = Array.isArray(rawChildren)
          ? rawChildren.flatMap((child: unknown) => stringProp(child, 'key') ?? [])
          : [];
        return [{ key: fieldKey, children }];
      })
    : undefined;
  return {
    ...(key === undefined ? {} : { key }),
    ...(module === undefined ? {} : { module }),
    ...(recordType === undefined ? {} : { recordType }),
    ...(fields === undefined ? {} : { fields }),
  };
}

export function parseBundle(files: Readonly<Record<string, string>>): ParseResult {
  const issues: BundleIssue[] = [];
  const collected: Collected = {
    modules: [], recordTypes: [], forms: [], lookups: [], locations: [], rules: [], roles: [], workflows: [],
    exports: [], reports: [], templates: [], templateSources: {}, translations: [], broken: [],
  };

  for (const path of Object.keys(files).sort()) {
    const text = files[path];
    const classified = classifyPath(path);
    if (classified === undefined) {
      issues.push({ file: path, pointer: '', code: 'unknown_file', message: 'Not a file kind of the bundle format (see docs/config-format.md).' });
      continue;
    }
    const { spec, name } = classified;
    if (typeof text !== 'string') {
      issues.push({ file: path, pointer: '', code: 'invalid_type', message: 'File content must be text.' });
      collected.broken.push({ file: path, kind: spec.kind });
      continue;
    }
    const validate = validatorFor(spec);
    if (validate === undefined) {
      if (spec.kind === 'templateSource') Object.defineProperty(collected.templateSources, path, { value: text, enumerable: true });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (error) {
      issues.push({ file: path, pointer: '', code: 'invalid_json', message: `Not valid JSON: ${(error as Error).message}` });
      collected.broken.push({ file: path, kind: spec.kind });
      continue;
    }
    if (exceedsDepth(value)) {
      issues.push({ file: path, pointer: '', code: 'nesting_too_deep', message: `Nested more than ${MAX_JSON_DEPTH} levels deep.` });
      collected.broken.push({ file: path, kind: spec.kind });
      continue;
    }
    if (!validate(value)) {
      issues.push(...schemaIssues(path, validate.errors));
      collected.broken.push({ file: path, kind: spec.kind, ...declaredNames(value) });
      continue;
    }
    file(collected, spec.kind, path, name, value);
  }

  const manifest = collected.manifest;
  if (manifest === undefined) {
    const brokenManifest = collected.broken.find((broken) => broken.kind === 'manifest');
    if (brokenManifest === undefined) {
      issues.push({ file: 'bundle.json', pointer: '', code: 'missing_manifest', message: 'Every bundle needs a bundle.json.' });
    }
    const key = brokenManifest?.key;
    return { issues: key === undefined ? issues : issues.map((issue) => ({ bundle: key, ...issue })) };
  }
  const bundleKey = manifest.key;
  const bundle: ParsedBundle = {
    key: bundleKey,
    hash: bundleHash(files),
    manifest,
    ...(collected.settings === undefined ? {} : { settings: collected.settings }),
    ...(collected.locales === undefined ? {} : { locales: collected.locales }),
    modules: collected.modules,
    recordTypes: collected.recordTypes,
    forms: collected.forms,
    lookups: collected.lookups,
    locations: collected.locations,
    rules: collected.rules,
    roles: collected.roles,
    workflows: collected.workflows,
    exports: collected.exports,
    reports: collected.reports,
    templates: collected.templates,
    templateSources: collected.templateSources,
    translations: collected.translations,
    broken: collected.broken,
  };
  return { bundle: deepFreeze(bundle), issues: issues.map((issue) => ({ bundle: bundleKey, ...issue })) };
}
