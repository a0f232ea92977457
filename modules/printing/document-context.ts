import {
  localeDirection,
  localizeForms,
  translationKeys,
  type CompiledConfig,
  type LocalizedField,
  type LocalizedForm,
} from '../../engine/index.js';
import { formatDate } from '../notifications/templates/helpers.js';

/** One printed answer: text, or a yes/no the template words in its own language. */
export type PrintedValue = { kind: 'text'; text: string } | { kind: 'bool'; bool: boolean };

export interface PrintedField {
  readonly key: string;
  readonly label: string;
  readonly kind: 'text' | 'bool';
  readonly text?: string;
  readonly bool?: boolean;
}

export interface PrintedTable {
  readonly key: string;
  readonly label: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly PrintedValue[])[];
}

export interface PrintedForm {
  readonly key: string;
  readonly label: string;
  readonly values: readonly PrintedField[];
  readonly tables: readonly PrintedTable[];
  readonly empty: boolean;
}

export interface DocumentInput {
  readonly config: CompiledConfig;
  readonly module: string;
  readonly recordType: string;
  readonly locale: string;
  /** The record's data already cut down to what the reader may read (`recordView`). */
  readonly data: Readonly<Record<string, unknown>>;
  /** Paths the reader may read on this record (`<field>`, `<subform>.<field>`). */
  readonly readable: ReadonlySet<string>;
  /** Form keys to print (already narrowed by the template and, for referral letters, the referral). */
  readonly forms: (form: LocalizedForm) => boolean;
}

const isBlank = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** How one stored value reads, by the field's type; undefined when the value has no printable form (files, signatures). */
export function printedValue(config: CompiledConfig, field: LocalizedField, value: unknown, locale: string): PrintedValue | undefined {
  if (isBlank(value)) return undefined;
  if (typeof value === 'boolean') return { kind: 'bool', bool: value };
  const optionLabel = (v: unknown) => field.options?.find((o) => o.value === v)?.label ?? String(v);
  if (field.options !== undefined) {
    const values = Array.isArray(value) ? value : [value];
    return { kind: 'text', text: values.map(optionLabel).join(', ') };
  }
  switch (field.type) {
    case 'date':
      return { kind: 'text', text: formatDate(value, locale) };
    case 'location': {
      if (typeof value !== 'string') return undefined;
      const node = config.locations.nodes.get(value);
      return { kind: 'text', text: config.texts.text(translationKeys.location(value), locale) ?? node?.name ?? value };
    }
    case 'date_range': {
      const range = value as { from?: unknown; to?: unknown };
      const from = isBlank(range.from) ? '' : formatDate(range.from, locale);
      const to = isBlank(range.to) ? '' : formatDate(range.to, locale);
      return from === '' && to === '' ? undefined : { kind: 'text', text: `${from} – ${to}` };
    }
    case 'tally': {
      if (typeof value !== 'object' || value === null) return undefined;
      const parts = Object.entries(value as Record<string, unknown>)
        .filter(([, count]) => typeof count === 'number')
        .map(([item, count]) => `${field.texts[`item.${item}`] ?? item}: ${String(count)}`);
      return parts.length === 0 ? undefined : { kind: 'text', text: parts.join(', ') };
    }
    default:
      if (typeof value === 'string') return { kind: 'text', text: value };
      if (typeof value === 'number') return { kind: 'text', text: new Intl.NumberFormat(locale).format(value) };
      return undefined;
  }
}

function printedTable(config: CompiledConfig, field: LocalizedField, value: unknown, readable: ReadonlySet<string>, locale: string): PrintedTable | undefined {
  if (!Array.isArray(value)) return undefined;
  const objects = value.filter((row): row is Record<string, unknown> => typeof row === 'object' && row !== null);
  // Readable columns that some row answers (a table of mostly empty columns prints badly).
  const columns = (field.fields ?? []).filter(
    (c) => c.type !== 'separator' && readable.has(`${field.key}.${c.key}`) && objects.some((row) => printedValue(config, c, row[c.key], locale) !== undefined),
  );
  if (objects.length === 0 || columns.length === 0) return undefined;
  const rows = objects.map((row) => columns.map((c): PrintedValue => printedValue(config, c, row[c.key], locale) ?? { kind: 'text', text: '' }));
  return { key: field.key, label: field.label, columns: columns.map((c) => c.label), rows };
}

/**
 * The forms of a printed document: in form order, labels in the reader's locale, only forms the reader may read
 * (at least one readable field) and that the template prints; answered fields only, subforms as tables.
 */
export function printedForms(input: DocumentInput): PrintedForm[] {
  const { config, module, recordType, locale, data, readable } = input;
  const localized = localizeForms(config, { module, recordType, locale });
  return localized.forms.flatMap((form) => {
    if (!input.forms(form)) return [];
    const fields = form.fields.filter((f) => f.type !== 'separator' && readable.has(f.key));
    if (fields.length === 0) return [];
    const values: PrintedField[] = [];
    const tables: PrintedTable[] = [];
    for (const field of fields) {
      if (field.type === 'subform' || field.fields !== undefined) {
        const table = printedTable(config, field, data[field.key], readable, locale);
        if (table) tables.push(table);
        continue;
      }
      const value = printedValue(config, field, data[field.key], locale);
      if (value) values.push({ key: field.key, label: field.label, ...value });
    }
    return [{ key: form.key, label: form.label, values, tables, empty: values.length === 0 && tables.length === 0 }];
  });
}

export function documentDirection(config: CompiledConfig, locale: string): 'ltr' | 'rtl' {
  return localeDirection(config, locale);
}
