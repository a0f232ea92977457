/** Shapes of a readable bundle diff (what a steering committee reviews before approving). */
import type { ParsedBundle } from '../bundle/types.js';

/** What a change is about. Fields, options, rules, roles and templates are the ones reviewers read most. */
export type ChangeKind =
  | 'bundle'
  | 'settings'
  | 'locales'
  | 'module'
  | 'record_type'
  | 'form'
  | 'field'
  | 'lookup'
  | 'option'
  | 'location'
  | 'rule'
  | 'role'
  | 'workflow'
  | 'export'
  | 'report'
  | 'template'
  | 'translation';

export type ChangeType = 'added' | 'removed' | 'changed';

/** Changes that can lose data, expose data or weaken protection: a submission with any needs a migration note. */
export type BreakingCode =
  /** A field removed while records hold values for it. */
  | 'field_removed_with_data'
  /** A field's type changed while records hold values for it. */
  | 'field_type_changed_with_data'
  /** An option (inline or of a lookup) removed while records hold it. */
  | 'option_removed_in_use'
  /** A role gains actions, a wider scope, more forms, fewer excluded fields, admin actions, or loses its second factor. */
  | 'permission_widened'
  /** A field is no longer marked `identifying`: `@identifying` exclusions stop hiding it. */
  | 'identifying_unmarked';

export interface DiffChange {
  readonly kind: ChangeKind;
  readonly change: ChangeType;
  /** Stable, readable id: `gbv/incident/incident_date`, `lookup/gender/option/other`, `role/gbv_supervisor`. */
  readonly id: string;
  /** The file of the definition (after the change; before it for removals). */
  readonly file?: string;
  /** For `changed`: the top-level properties that differ. */
  readonly properties?: readonly string[];
  readonly before?: unknown;
  readonly after?: unknown;
  /** Codes of the breaking flags raised on this change. */
  readonly breaking?: readonly BreakingCode[];
}

export interface BreakingChange {
  readonly code: BreakingCode;
  /** The change it belongs to (`DiffChange.id`). */
  readonly id: string;
  readonly message: string;
  /** True when identifying fields are concerned (widened access to them is highlighted for approvers). */
  readonly identifying?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Something approvers must look at: so far, wider access to identifying fields. */
export interface DiffHighlight {
  readonly code: 'identifying_access_widened';
  readonly id: string;
  readonly message: string;
  readonly role?: string;
  readonly module: string;
  readonly recordType: string;
  readonly fields: readonly string[];
}

export interface BundleDiff {
  readonly bundle: string;
  readonly from?: { readonly hash: string; readonly version: string };
  readonly to?: { readonly hash: string; readonly version: string };
  readonly changes: readonly DiffChange[];
  readonly breaking: readonly BreakingChange[];
  readonly highlights: readonly DiffHighlight[];
  readonly summary: {
    readonly added: number;
    readonly removed: number;
    readonly changed: number;
    readonly breaking: number;
    readonly highlights: number;
  };
  /** Whether data-dependent flags were decided on real record usage (false: assumed in use). */
  readonly usageKnown: boolean;
}

/**
 * Which stored data the records hold, supplied by the server (SQL over `record.data`). Keys:
 * `<module>/<recordType>` for fields (paths `key` or `<subform>.<key>` holding a non-empty value in at
 * least one record), `<module>/<recordType>/<path>` for option values held.
 */
export interface DataUsage {
  readonly fields: Readonly<Record<string, readonly string[]>>;
  readonly options: Readonly<Record<string, readonly string[]>>;
}

/** What the server must look up in the records to decide the data-dependent flags (see `diffUsageQuestions`). */
export interface UsageQuestions {
  readonly fields: readonly { readonly module: string; readonly recordType: string; readonly path: string }[];
  readonly options: readonly {
    readonly module: string;
    readonly recordType: string;
    readonly path: string;
    /** True for multi_select (an array of values), false for radio/select (one value). */
    readonly multiple: boolean;
    readonly values: readonly string[];
  }[];
}

export interface DiffInput {
  /** The bundles loaded together before the change (usually the active set). May lack `bundle` (a new key). */
  readonly before: readonly ParsedBundle[];
  /** The same set with the changed bundle in place. May lack `bundle` (a removal). */
  readonly after: readonly ParsedBundle[];
  /** Key of the bundle compared. */
  readonly bundle: string;
  /**
   * Record usage. Without it every data-dependent flag is raised (a removal is assumed to touch data):
   * safe for review, never silently permissive.
   */
  readonly usage?: DataUsage;
}
