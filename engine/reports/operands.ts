/**
 * What a report condition or disaggregation may read: a record field (`age`), a field of the counted
 * subform row (`row.perpetrator_sex`) or a pseudo-variable over record columns and workflow tables
 * (`$status`, `$approved.action_plan`, `$referrals`, …). Each operand knows its SQL (over alias `r` for the
 * record and `x.row` for the subform row) and how to read the same value in JS, so both agree.
 *
 * Field keys are inlined into SQL as quoted literals only after they matched the key pattern and were found
 * in the record type (they are identifiers, never values); every value is a parameter.
 */
import { APPROVAL_TYPES } from '../bundle/schema/role-catalogue.js';

/** How a value is compared. `multi` is a multi-select (an array of strings); `any` a calculated field. */
export type ValueKind = 'string' | 'number' | 'boolean' | 'date' | 'multi' | 'any';
/** The scalar kinds a comparison is made in. */
export type ScalarKind = 'string' | 'number' | 'boolean' | 'date';

/** A field as reports see it. */
export interface ReportField {
  readonly type: string;
  readonly identifying: boolean;
  /** Valid values of choice fields (options or lookup values, disabled ones included). */
  readonly options?: readonly string[];
  /** The lookup of a choice field (labels). */
  readonly lookup?: string;
  /** Inline options with their labels (choice fields without a lookup). */
  readonly optionLabels?: ReadonlyMap<string, string>;
}

/** Facts of one record besides its data, for the JS evaluator (the SQL reads the same from columns). */
export interface RecordReportFacts {
  readonly status: string;
  readonly agency: string | null;
  readonly disabled: boolean;
  readonly flagged: boolean;
  /** ISO timestamp (UTC). */
  readonly createdAt: string;
  /** ISO timestamp of the latest closing (null unless the record is closed). */
  readonly closedAt: string | null;
  /** Approval types with an approved request. */
  readonly approved: readonly string[];
  /** Referrals made (not revoked). */
  readonly referrals: number;
}

export interface ConditionSubject {
  readonly data: Readonly<Record<string, unknown>>;
  readonly row?: Readonly<Record<string, unknown>>;
  readonly facts: RecordReportFacts;
}

export interface Operand {
  readonly name: string;
  readonly kind: ValueKind;
  readonly field?: ReportField;
  /** True for `row.` operands. */
  readonly row: boolean;
  /** SQL of the value as a PostgreSQL scalar of `as` (text, numeric, boolean, text date), NULL when it is not one. */
  sql(as: ScalarKind): string;
  /** jsonb SQL of the raw value (fields only; multi-selects use it). */
  readonly jsonSql?: string;
  /** SQL that is true when the value is absent, null, "" or an empty list. */
  readonly missingSql: string;
  /** The raw value in JS. */
  read(subject: ConditionSubject): unknown;
}

const FIELD_KIND: Readonly<Record<string, ValueKind>> = {
  text: 'string',
  textarea: 'string',
  select: 'string',
  radio: 'string',
  location: 'string',
  agency: 'string',
  user: 'string',
  number: 'number',
  date: 'date',
  yes_no: 'boolean',
  tick_box: 'boolean',
  multi_select: 'multi',
  calculated: 'any',
};

/** The comparison kind of a field type; undefined for types a report cannot read (subforms, attachments…). */
export function fieldKind(type: string): ValueKind | undefined {
  return Object.prototype.hasOwnProperty.call(FIELD_KIND, type) ? FIELD_KIND[type] : undefined;
}

const DATE_PREFIX = /^\d{4}-\d{2}-\d{2}/;

/** A raw JSON value as `kind`, or null: the JS twin of `Operand.sql`. */
export function valueAs(kind: ScalarKind, raw: unknown): string | number | boolean | null {
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? raw : null;
    case 'number':
      return typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
    case 'boolean':
      return typeof raw === 'boolean' ? raw : null;
    case 'date':
      return typeof raw === 'string' && DATE_PREFIX.test(raw) ? raw.slice(0, 10) : null;
  }
}

export function isMissing(raw: unknown): boolean {
  return raw === undefined || raw === null || raw === '' || (Array.isArray(raw) && raw.length === 0);
}

const KEY = /^[a-z][a-z0-9_]*$/;

function jsonOperand(name: string, container: string, key: string, field: ReportField, row: boolean, get: (s: ConditionSubject) => unknown): Operand {
  if (!KEY.test(key)) throw new Error(`Not a field key: ${key}`);
  const j = `${container}->'${key}'`;
  const t = `${container}->>'${key}'`;
  return {
    name,
    kind: fieldKind(field.type) ?? 'any',
    field,
    row,
    jsonSql: j,
    missingSql: `(${j} IS NULL OR ${j} IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb))`,
    sql(as) {
      switch (as) {
        case 'string':
          return `(CASE WHEN jsonb_typeof(${j}) = 'string' THEN ${t} END)`;
        case 'number':
          return `(CASE WHEN jsonb_typeof(${j}) = 'number' THEN (${t})::numeric END)`;
        case 'boolean':
          return `(CASE WHEN jsonb_typeof(${j}) = 'boolean' THEN (${t})::boolean END)`;
        case 'date':
          return `(CASE WHEN jsonb_typeof(${j}) = 'string' AND ${t} ~ '^\\d{4}-\\d{2}-\\d{2}' THEN left(${t}, 10) END)`;
      }
    },
    read: get,
  };
}

function columnOperand(name: string, kind: ScalarKind, expr: string, nullable: boolean, get: (s: ConditionSubject) => unknown): Operand {
  return {
    name,
    kind,
    row: false,
    missingSql: nullable ? `(${expr} IS NULL${kind === 'string' ? ` OR ${expr} = ''` : ''})` : 'false',
    sql: (as) => (as === kind ? expr : 'NULL'),
    read: get,
  };
}

const UTC_DATE = (ts: string): string => `to_char(${ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
const isoDate = (iso: string | null): string | null => (iso === null ? null : new Date(iso).toISOString().slice(0, 10));

/**
 * Pseudo-variables (docs/reports.md): record columns and workflow facts, never arbitrary SQL. Approval types
 * come from the role catalogue; the SQL of `$approved.<type>` binds the type as a parameter.
 */
const PSEUDO: Readonly<Record<string, (param: (value: unknown) => string) => Operand>> = {
  $status: () => columnOperand('$status', 'string', 'r.status', false, (s) => s.facts.status),
  $agency: () => columnOperand('$agency', 'string', 'r.owner_agency', true, (s) => s.facts.agency),
  $disabled: () => columnOperand('$disabled', 'boolean', 'r.disabled', false, (s) => s.facts.disabled),
  $flagged: () => columnOperand('$flagged', 'boolean', 'r.flagged', false, (s) => s.facts.flagged),
  $created_at: () => columnOperand('$created_at', 'date', UTC_DATE('r.created_at'), false, (s) => isoDate(s.facts.createdAt)),
  $closed_at: () =>
    columnOperand(
      '$closed_at',
      'date',
      `(CASE WHEN r.status = 'closed' THEN (SELECT ${UTC_DATE('max(h.at)')} FROM record_history h
          WHERE h.record_id = r.id AND h.changes @> '[{"path": "$status", "to": "closed"}]'::jsonb) END)`,
      true,
      (s) => (s.facts.status === 'closed' ? isoDate(s.facts.closedAt) : null),
    ),
  $referrals: () =>
    columnOperand(
      '$referrals',
      'number',
      `(SELECT count(*)::numeric FROM record_transition t WHERE t.record_id = r.id AND t.kind = 'referral' AND t.status <> 'revoked')`,
      false,
      (s) => s.facts.referrals,
    ),
};

/** Names of the pseudo-variables, for messages and docs (`$approved.<type>` besides). */
export const PSEUDO_VARIABLES: readonly string[] = [...Object.keys(PSEUDO), ...APPROVAL_TYPES.map((type) => `$approved.${type}`)];

export interface OperandScope {
  field(key: string): ReportField | undefined;
  /** Fields of the counted subform's rows, when the indicator counts rows. */
  rowField?(key: string): ReportField | undefined;
}

export type ResolveResult =
  | { readonly ok: true; readonly operand: Operand }
  | { readonly ok: false; readonly code: 'unknown_field' | 'identifying_in_report' | 'report_type_mismatch' | 'row_outside_subform'; readonly message: string };

/**
 * Resolves a name to an operand. `param` binds a value as a query parameter (for `$approved.<type>`); the
 * JS side never needs it. Identifying fields are refused: a count of "survivors named X" singles someone out.
 */
export function resolveOperand(name: string, scope: OperandScope, param: (value: unknown) => string): ResolveResult {
  if (name.startsWith('$')) {
    const make = PSEUDO[name];
    if (make !== undefined) return { ok: true, operand: make(param) };
    const approved = /^\$approved\.([a-z][a-z0-9_]*)$/.exec(name);
    if (approved !== null && (APPROVAL_TYPES as readonly string[]).includes(approved[1] as string)) {
      const type = approved[1] as string;
      return {
        ok: true,
        operand: columnOperand(
          name,
          'boolean',
          `EXISTS (SELECT 1 FROM record_approval a WHERE a.record_id = r.id AND a.approval_type = ${param(type)}::text AND a.status = 'approved')`,
          false,
          (s) => s.facts.approved.includes(type),
        ),
      };
    }
    return { ok: false, code: 'unknown_field', message: `"${name}" is not a pseudo-variable (${PSEUDO_VARIABLES.join(', ')}).` };
  }
  const isRow = name.startsWith('row.');
  const key = isRow ? name.slice(4) : name;
  if (isRow && scope.rowField === undefined) {
    return { ok: false, code: 'row_outside_subform', message: `"${name}" reads a subform row, but this condition does not count rows.` };
  }
  const field = isRow ? scope.rowField?.(key) : scope.field(key);
  if (field === undefined || !KEY.test(key)) {
    return { ok: false, code: 'unknown_field', message: isRow ? `The counted rows have no field "${key}".` : `The record type has no field "${key}".` };
  }
  if (field.identifying) {
    return { ok: false, code: 'identifying_in_report', message: `"${name}" is an identifying field: reports may not read it.` };
  }
  if (fieldKind(field.type) === undefined) {
    return { ok: false, code: 'report_type_mismatch', message: `"${name}" is a ${field.type} field, which reports cannot read.` };
  }
  return {
    ok: true,
    operand: isRow
      ? jsonOperand(name, 'x.row', key, field, true, (s) => s.row?.[key])
      : jsonOperand(name, 'r.data', key, field, false, (s) => s.data[key]),
  };
}
