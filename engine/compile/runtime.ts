/** What compilation precomputes for record processing: everything per-record work needs, nothing else. */
import type { ValidateFunction } from 'ajv';
import type { FieldBehaviour } from '../fields/field-type.js';
import type { PreparedRule } from '../rules/prepare.js';
import type { FieldInfo } from './types.js';

export interface RuntimeField {
  readonly key: string;
  readonly info: FieldInfo;
  readonly normalise?: FieldBehaviour['normalise'];
  readonly check?: FieldBehaviour['check'];
  readonly visibleIf?: PreparedRule;
  /** Index of the field's form in RuntimeRecordType.forms (form-level visibility). */
  readonly form: number;
  readonly required: boolean;
  readonly compute?: { readonly value: PreparedRule; readonly when?: PreparedRule };
  readonly rows?: RuntimeRows;
}

export interface RuntimeRule {
  readonly key: string;
  readonly when?: PreparedRule;
  readonly assert: PreparedRule;
  /** JSON pointer inside the record (or inside the row for subform rules). */
  readonly path: string;
  message(locale: string | undefined): string;
}

export interface RuntimeRows {
  readonly byKey: ReadonlyMap<string, RuntimeField>;
  readonly aliases: ReadonlyMap<string, string>;
  readonly checks: readonly RuntimeField[];
  /** Children whose required-ness must be evaluated per visible row. */
  readonly required: readonly RuntimeField[];
  readonly rowVisibleIf?: PreparedRule;
  readonly minRows?: number;
  readonly rules: readonly RuntimeRule[];
}

/** One computed field: at record level, or in each row of `subform`. */
export interface ComputeStep {
  readonly field: RuntimeField;
  readonly subform?: RuntimeField;
}

export interface RuntimeRecordType {
  readonly byKey: ReadonlyMap<string, RuntimeField>;
  readonly aliases: ReadonlyMap<string, string>;
  readonly checks: readonly RuntimeField[];
  /** Top-level fields with something to enforce while visible (required, or rows with requirements). */
  readonly visibilityChecks: readonly RuntimeField[];
  /** Subforms whose rows have value checks. */
  readonly subformsWithChecks: readonly RuntimeField[];
  /** Subforms with per-row rules. */
  readonly subformsWithRules: readonly RuntimeField[];
  readonly forms: readonly { readonly visibleIf?: PreparedRule }[];
  readonly computes: readonly ComputeStep[];
  readonly rules: readonly RuntimeRule[];
  readonly validate: ValidateFunction;
}
