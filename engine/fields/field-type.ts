/**
 * The contract every field type fulfils. A type lives in one file of this folder and is listed once in
 * `leaf-types.ts`; nothing else in the engine names individual types, so adding one touches no switch.
 */
import { Type, type Static, type TObject, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type { BundleIssueCode, RecordIssueCode } from '../bundle/issue-codes.js';
import { FieldCommonProperties } from '../bundle/schema/common.js';
import type { LookupDefinition } from '../bundle/schema/definitions.js';
import type { RuleData } from '../rules/context.js';
import type { PreparedRule } from '../rules/prepare.js';

/** The static type of a field definition of type `N` with extra properties `P`. */
export type FieldDef<N extends string, P extends TProperties> = Static<TObject<FieldCommonProperties & P>> & {
  readonly type: N;
};

/** A JSON Schema fragment for record data (what AJV compiles). */
export type JsonSchema = { readonly [keyword: string]: unknown };

// ---- bundle validation ------------------------------------------------------------------------

export type LookupResolution =
  | { readonly status: 'found'; readonly lookup: LookupDefinition }
  | { readonly status: 'missing'; readonly message: string }
  /** The lookup's file exists but failed its schema: already reported, do not report again. */
  | { readonly status: 'broken' };

export interface DefinitionCheckEnv {
  /** Reports a problem at `pointer` relative to this field definition (e.g. `/options/2/value`). */
  report(pointer: string, code: BundleIssueCode, message: string): void;
  resolveLookup(key: string): LookupResolution;
  /** Whether an admin level (number or key) is declared by the visible location files; undefined when none are. */
  hasAdminLevel(level: number | string): boolean | undefined;
  /**
   * Checks JSON Logic of this field. `self` sees what the field's `visibleIf` sees (record, plus row
   * inside a subform); `rows` sees the rows of this (subform) field.
   */
  checkLogic(logic: unknown, pointer: string, scope: 'self' | 'rows'): void;
}

// ---- record processing ------------------------------------------------------------------------

/** An option as the engine validates it (labels live in i18n). */
export interface ResolvedOption {
  readonly value: string;
  readonly tags?: readonly string[];
  readonly disabled?: boolean;
}

export interface LocationNode {
  readonly code: string;
  readonly level: number;
  readonly levelKey: string;
  readonly parent?: string;
  readonly name: string;
}

export interface LocationIndex {
  readonly nodes: ReadonlyMap<string, LocationNode>;
  /** Level number by level key, and level number by itself (a field may name levels either way). */
  levelNumber(level: number | string): number | undefined;
}

export interface FieldCompileEnv {
  lookup(key: string): LookupDefinition | undefined;
  readonly locations: LocationIndex;
  prepare(logic: unknown): PreparedRule;
  /** Compiles a child field (container types). */
  compileChild(def: FieldDefinitionLike): FieldBehaviour;
}

/** Shared by all value checks of one `process()` call. */
export interface ValueCheckContext {
  /** Rule data of the scope the value stands in (with `row` inside a subform). */
  data: RuleData;
  readonly today: string;
  /** `now` in epoch milliseconds. */
  readonly nowMs: number;
  report(path: string, code: RecordIssueCode, message: string, params?: Readonly<Record<string, unknown>>): void;
}

/** Rows of a container field: its definition fields and the row-level settings the processor applies. */
export interface RowsSpec {
  readonly fields: readonly { readonly def: FieldDefinitionLike; readonly behaviour: FieldBehaviour }[];
  readonly rowVisibleIf?: unknown;
  readonly minRows?: number;
}

/** Structural view of any field definition (see `FieldDefinition` in index.ts for the precise union). */
export type FieldDefinitionLike = Static<TObject<FieldCommonProperties>> & { readonly type: string };

/** What a type compiles one field definition into. Everything per-record is precomputed here. */
export interface FieldBehaviour {
  /** JSON Schema of the stored value; absent for layout-only types, which store nothing. */
  readonly schema?: JsonSchema;
  /** Cleans a value before validation (trim, compute a total, UTC date-times). Must accept any input. */
  readonly normalise?: (value: unknown) => unknown;
  /** Checks AJV cannot do. Called only for values that are not null/undefined; must accept any input. */
  readonly check?: (value: unknown, path: string, ctx: ValueCheckContext) => void;
  /** Valid option values, in definition order (choice types). */
  readonly options?: readonly ResolvedOption[];
  /** Container types (subform): the rows' fields, processed by the record processor. */
  readonly rows?: RowsSpec;
}

/** A translatable text of a field beyond `label`/`help`: `tickLabel`, `option.<value>`, `item.<key>`… */
export interface FieldText {
  /** Appended to the field's translation key: `field.<module>.<recordType>.<field>.<suffix>`. */
  readonly suffix: string;
  /** Where the base text stands, relative to the field definition. */
  readonly pointer: string;
  readonly text: string;
}

export interface FieldType<N extends string = string, P extends TProperties = TProperties> {
  readonly name: N;
  /** Definition properties beyond the common ones (bundle schema). */
  readonly extras: P;
  /** Default UI widget. */
  readonly widget: string;
  /** Values are only ever written by the engine (`calculated`), whatever the definition says. */
  readonly alwaysReadOnly?: boolean;
  /** Checks beyond the schema, during bundle validation. */
  checkDefinition?(def: FieldDef<N, P>, env: DefinitionCheckEnv): void;
  compile(def: FieldDef<N, P>, env: FieldCompileEnv): FieldBehaviour;
  /** Its own translatable texts (label and help are common to all types and listed elsewhere). */
  texts?(def: FieldDef<N, P>): readonly FieldText[];
}

export function defineFieldType<const N extends string, P extends TProperties>(type: FieldType<N, P>): FieldType<N, P> {
  return type;
}

/** The bundle schema of one field type: common properties + `type` + extras, nothing else. */
export function fieldDefinitionSchema(type: FieldType<string, TProperties>, extras: TProperties = type.extras): TObject {
  return Type.Object(
    { ...FieldCommonProperties, type: Type.Literal(type.name), ...extras },
    { additionalProperties: false },
  );
}

/**
 * A discriminated union of field definition schemas. AJV's `discriminator` validates only the branch
 * named by `type`, so a bad field yields its own errors rather than one error per field type.
 */
export function fieldUnionSchema<T>(branches: readonly TSchema[]): TUnsafe<T> {
  return Type.Unsafe<T>({
    type: 'object',
    discriminator: { propertyName: 'type' },
    properties: { type: { type: 'string' } },
    required: ['type'],
    oneOf: branches,
  });
}

/** Nullable JSON types: every stored field may be null (cleared). */
export function nullable(type: string | readonly string[]): string[] {
  return [...(typeof type === 'string' ? [type] : type), 'null'];
}
