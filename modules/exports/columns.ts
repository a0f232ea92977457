import { isFormulaLike, localizeForms, spreadsheetSafe, type CompiledConfig, type CompiledRecordType, type LocalizedField } from '../../engine/index.js';

/**
 * The columns of the generic exports (CSV, XLSX, JSON): the record type's forms and their top-level fields,
 * cut down to the fields the requester may read (`readable`, from their ability as it is when the job runs) and,
 * with a template, to the template's forms and fields. A template narrows; it can never add a field the
 * requester may not read.
 */

export interface ExportColumn {
  readonly key: string;
  readonly type: string;
  /** Header: the field's label in the export's locale, or its key (`labels: false`). */
  readonly header: string;
  /** Option value → label (choice fields); location code → place name (location fields). */
  readonly optionLabel?: (value: string) => string | undefined;
  /** Child columns of a subform (rows become JSON in CSV, extra sheets in XLSX). */
  readonly children?: readonly ExportColumn[];
}

export interface ExportForm {
  readonly key: string;
  readonly label: string;
  readonly columns: readonly ExportColumn[];
}

export interface ColumnSelection {
  readonly forms: readonly string[];
  readonly fields: readonly string[];
}

/** Field types holding nothing to export (layout). */
const SKIPPED_TYPES = new Set(['separator']);

function optionLabels(field: LocalizedField, compiled: CompiledConfig, locale: string): ((value: string) => string | undefined) | undefined {
  if (field.options && field.options.length > 0) {
    const map = new Map(field.options.map((o) => [o.value, o.label] as const));
    return (value) => map.get(value);
  }
  if (field.type === 'location') {
    return (code) => compiled.texts.text(`location.${code}`, locale) ?? compiled.locations.nodes.get(code)?.name;
  }
  return undefined;
}

function column(field: LocalizedField, path: string, readable: ReadonlySet<string>, compiled: CompiledConfig, locale: string, labels: boolean): ExportColumn | undefined {
  if (SKIPPED_TYPES.has(field.type) || !readable.has(path)) return undefined;
  const optionLabel = labels ? optionLabels(field, compiled, locale) : undefined;
  const children = field.fields
    ?.map((child) => column(child, `${path}.${child.key}`, readable, compiled, locale, labels))
    .filter((c): c is ExportColumn => c !== undefined);
  return {
    key: field.key,
    type: field.type,
    header: labels ? field.label : field.key,
    ...(optionLabel ? { optionLabel } : {}),
    ...(children ? { children } : {}),
  };
}

/** The readable (and selected) forms of a record type with their columns, in form order; empty forms are left out. */
export function exportForms(
  compiled: CompiledConfig,
  type: CompiledRecordType,
  readable: ReadonlySet<string>,
  options: { readonly locale: string; readonly labels: boolean; readonly selection?: ColumnSelection },
): ExportForm[] {
  const localized = localizeForms(compiled, { module: type.module, recordType: type.key, locale: options.locale });
  const selection = options.selection;
  const chosenForms = new Set(selection?.forms ?? []);
  const chosenFields = new Set(selection?.fields ?? []);
  const selected = (form: string, field: string) =>
    selection === undefined || (chosenForms.size === 0 && chosenFields.size === 0) || chosenForms.has(form) || chosenFields.has(field);
  const seen = new Set<string>();
  const forms: ExportForm[] = [];
  for (const form of localized.forms) {
    const columns: ExportColumn[] = [];
    for (const field of form.fields) {
      if (seen.has(field.key) || !selected(form.key, field.key)) continue;
      const c = column(field, field.key, readable, compiled, options.locale, options.labels);
      if (c) {
        seen.add(field.key);
        columns.push(c);
      }
    }
    if (columns.length) forms.push({ key: form.key, label: options.labels ? form.label : form.key, columns });
  }
  return forms;
}

/** Every top-level field key of a record type with its form (what a template may name). */
export function templateVocabulary(type: CompiledRecordType): { forms: Set<string>; fields: Set<string> } {
  return {
    forms: new Set(type.forms.map((f) => f.key)),
    fields: new Set(type.fields.filter((f) => f.subform === undefined && f.stored).map((f) => f.key)),
  };
}

/** A value as text for a spreadsheet or CSV cell (labels for options and places when asked). */
export function displayValue(value: unknown, col: ExportColumn): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) {
    if (col.children) return JSON.stringify(value);
    return value.map((v) => (typeof v === 'string' && col.optionLabel ? col.optionLabel(v) ?? v : typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
  }
  if (typeof value === 'string') return col.optionLabel ? col.optionLabel(value) ?? value : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

const safeText = (text: string): string => (isFormulaLike(text) ? `'${text}` : text);

/**
 * `spreadsheetSafe(displayValue(value, col))`, specialised for one column once: the common values of its kind (text,
 * an option's value, a number or a yes/no) take a short path, anything else the general one. Exports call it for
 * every cell of every record (the specs hold both equal).
 */
export function cellOf(col: ExportColumn): (value: unknown) => string | number | boolean | null {
  const general = (value: unknown) => spreadsheetSafe(displayValue(value, col));
  if (col.children) return (value) => (value === undefined || value === null ? null : general(value));
  const label = col.optionLabel;
  if (label) {
    return (value) => {
      if (typeof value !== 'string') return value === undefined || value === null ? null : general(value);
      return safeText(label(value) ?? value);
    };
  }
  return (value) => {
    if (typeof value === 'string') return safeText(value);
    if (typeof value === 'number' || typeof value === 'boolean') return value;
    return value === undefined || value === null ? null : general(value);
  };
}
