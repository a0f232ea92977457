/** Shapes of parsed and loaded bundles. */
import type { BundleIssueCode } from './issue-codes.js';
import type {
  KeyedDefinition,
  LocalesFile,
  LocationsFile,
  LookupDefinition,
  Manifest,
  ModuleDefinition,
  RecordTypeDefinition,
  RulesFile,
  Settings,
  Translations,
} from './schema/definitions.js';
import type { ExportMapping } from './schema/export.js';
import type { FormDefinition } from './schema/form.js';
import type { RoleDefinition } from './schema/role.js';
import type { WorkflowDefinition } from './schema/workflow.js';

/** A problem in a bundle: which file, where in it (JSON pointer), what (stable code), in words. */
export interface BundleIssue {
  readonly bundle?: string;
  readonly file: string;
  readonly pointer: string;
  readonly code: BundleIssueCode;
  readonly message: string;
}

export type FileKind =
  | 'manifest'
  | 'settings'
  | 'locales'
  | 'module'
  | 'recordType'
  | 'form'
  | 'lookup'
  | 'locations'
  | 'rules'
  | 'role'
  | 'workflow'
  | 'export'
  | 'report'
  | 'template'
  | 'templateSource'
  | 'translations'
  | 'readme';

/** A definition with the file it came from (issues name the file). */
export interface Sourced<T> {
  readonly file: string;
  readonly def: T;
}

/** A file that failed to parse or to match its schema (its issues are already reported). */
export interface BrokenFile {
  readonly file: string;
  readonly kind: FileKind;
  /** The `key` it declares, when readable: references to it are not reported a second time. */
  readonly key?: string;
  /** For forms: the namespace and field keys it declares, when readable (same reason). */
  readonly module?: string;
  readonly recordType?: string;
  readonly fields?: readonly { readonly key: string; readonly children: readonly string[] }[];
}

export interface ParsedBundle {
  readonly key: string;
  /** SHA-256 of the bundle's canonical JSON (see bundleHash). */
  readonly hash: string;
  readonly manifest: Manifest;
  readonly settings?: Sourced<Settings>;
  readonly locales?: Sourced<LocalesFile>;
  readonly modules: readonly Sourced<ModuleDefinition>[];
  readonly recordTypes: readonly Sourced<RecordTypeDefinition>[];
  readonly forms: readonly Sourced<FormDefinition>[];
  readonly lookups: readonly Sourced<LookupDefinition>[];
  readonly locations: readonly Sourced<LocationsFile>[];
  readonly rules: readonly Sourced<RulesFile>[];
  readonly roles: readonly Sourced<RoleDefinition>[];
  readonly workflows: readonly Sourced<WorkflowDefinition>[];
  readonly exports: readonly Sourced<ExportMapping>[];
  readonly reports: readonly Sourced<KeyedDefinition>[];
  readonly templates: readonly Sourced<KeyedDefinition>[];
  /** Handlebars sources by path (`templates/*.hbs`). */
  readonly templateSources: Readonly<Record<string, string>>;
  readonly translations: readonly (Sourced<Translations> & { readonly locale: string })[];
  readonly broken: readonly BrokenFile[];
}

declare const LOADED: unique symbol;

/** A bundle that passed validation together with the bundles it was loaded with. Only these compile. */
export type LoadedBundle = ParsedBundle & { readonly [LOADED]: true };
