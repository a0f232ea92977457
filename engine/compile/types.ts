/** Public shapes of compiled configuration and record processing. */
import type { RecordIssueCode } from '../bundle/issue-codes.js';
import type { LookupDefinition, RecordTypeDefinition } from '../bundle/schema/definitions.js';
import type { FormDefinition } from '../bundle/schema/form.js';
import type { LoadedBundle } from '../bundle/types.js';
import type { JsonSchema } from '../fields/field-type.js';
import type { FieldDefinition, LeafFieldDefinition } from '../fields/index.js';
import type { TextIndex } from '../i18n/text-index.js';
import type { RuleUser } from '../rules/context.js';
import type { CompiledWorkflow } from '../workflow/compile-workflow.js';
import type { CompiledLocations } from './location-index.js';

/** A problem in record data. `path` is a JSON pointer from the record data root (`/age`, `/perpetrators/2/sex`). */
export interface RecordIssue {
  readonly code: RecordIssueCode;
  readonly path: string;
  readonly message: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface ProcessContext {
  readonly user: RuleUser;
  /** `YYYY-MM-DD` in the deployment's calendar. */
  readonly today: string;
  /** ISO timestamp. */
  readonly now: string;
  /** Locale for messages (rule messages are translated; built-in ones are English). */
  readonly locale?: string;
}

export interface ProcessOptions {
  /**
   * Top-level keys the client actually sent (a PATCH merged onto stored data sends few). Computed fields
   * are compared with client values only for these; default: every key present in the input.
   */
  readonly supplied?: readonly string[];
  /** Accept the fields' `aliases` as keys (imports from older systems). Default false. */
  readonly acceptAliases?: boolean;
}

export interface ProcessResult {
  /** Normalised data with computed values filled in; unknown keys dropped. */
  readonly data: Record<string, unknown>;
  readonly issues: readonly RecordIssue[];
}

/** One field, flattened (subform children have `subform` set and `path` `<subform>.<field>`). */
export interface FieldInfo {
  readonly key: string;
  readonly path: string;
  readonly form: string;
  readonly subform?: string;
  readonly type: string;
  readonly widget: string;
  /** Base-language label. */
  readonly label: string;
  readonly identifying: boolean;
  readonly searchable: boolean;
  readonly required: boolean;
  readonly readOnly: boolean;
  readonly computed: boolean;
  /** False for layout-only types (separator). */
  readonly stored: boolean;
  readonly lookup?: string;
  /** Valid option values of choice fields. */
  readonly options?: readonly string[];
  readonly definition: FieldDefinition | LeafFieldDefinition;
}

export interface SubformInfo {
  readonly key: string;
  readonly form: string;
  readonly fields: readonly FieldInfo[];
  readonly rowLabelFields: readonly string[];
  readonly minRows?: number;
  readonly maxRows?: number;
}

export interface CompiledRecordType {
  readonly module: string;
  readonly key: string;
  readonly label: string;
  readonly definition: RecordTypeDefinition;
  /** Forms in display order (`order`, then key). */
  readonly forms: readonly FormDefinition[];
  /** Every field, subform children included. */
  readonly fields: readonly FieldInfo[];
  /** Field by top-level key or `<subform>.<field>` path. */
  field(path: string): FieldInfo | undefined;
  /** Paths of identifying fields (redaction). */
  readonly identifyingFields: readonly string[];
  /** Paths of searchable fields (text search `q`). */
  readonly searchableFields: readonly string[];
  readonly subforms: readonly SubformInfo[];
  /** The JSON Schema the record data is validated against. */
  readonly jsonSchema: JsonSchema;
  /** Schema validation alone (no normalisation, rules or computed values). */
  validateSchema(data: unknown): readonly RecordIssue[];
  /** Normalise, validate, compute and check a record's data; returns every issue, never throws. */
  process(data: unknown, ctx: ProcessContext, options?: ProcessOptions): ProcessResult;
  /** The record type's workflow (`workflows/<module>.<recordType>.json`), when the bundles define one. */
  readonly workflow?: CompiledWorkflow;
}

export interface CompiledBundleInfo {
  readonly key: string;
  readonly version: string;
  readonly hash: string;
  readonly title: string;
  readonly baseLanguage: string;
  readonly locales: readonly string[];
}

export interface LocaleInfo {
  readonly code: string;
  readonly name?: string;
  readonly direction: 'ltr' | 'rtl';
}

export interface CompiledConfig {
  /** SHA-256 over the bundles' hashes: the identity records remember. */
  readonly hash: string;
  readonly bundles: readonly CompiledBundleInfo[];
  /** The loaded bundles themselves (dependencies first). */
  readonly source: readonly LoadedBundle[];
  /** Every locale of any bundle, with direction from the core locale catalogue when present. */
  readonly locales: readonly LocaleInfo[];
  readonly recordTypes: readonly CompiledRecordType[];
  /** Throws EngineError(`unknown_record_type`) for a pair the config does not define. */
  recordType(module: string, recordType: string): CompiledRecordType;
  findRecordType(module: string, recordType: string): CompiledRecordType | undefined;
  /** The workflow of a record type, or undefined when it has none. */
  workflow(module: string, recordType: string): CompiledWorkflow | undefined;
  readonly lookups: ReadonlyMap<string, LookupDefinition>;
  readonly locations: CompiledLocations;
  readonly texts: TextIndex;
}
