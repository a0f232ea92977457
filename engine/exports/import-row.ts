/**
 * The reverse direction of an export mapping: one row of a legacy spreadsheet (e.g. an Incident Recorder
 * kept in Excel) back into record data. Columns with an `import` write their field; their cells are read
 * the way the export writes them (option labels in any locale of the mapping, the text before a
 * parenthesis, place names at an admin level, dates). Every other cell of a known column is kept: in
 * `unmapped`, and as `HEADER: value` lines in the mapping's `import.unmappedField`. Cells under headers
 * no column has are reported and kept in `unmapped` only (they may hold anything, so they are never
 * written into the record). The data is not validated here: the caller runs it through `process()`.
 */
import type { ExportColumn, ExportColumnImport, ExportMapping } from '../bundle/schema/export.js';
import type { CompiledConfig, FieldInfo } from '../compile/types.js';
import { translationKeys as k } from '../i18n/translation-keys.js';
import { hasUnstorableCharacter } from '../fields/support/normalise.js';
import { isIsoDate } from '../util/dates.js';
import { unneutralise } from './cells.js';
import type { ImportIssue, ImportOptions, ImportResult } from './types.js';

type Convert = (cell: unknown) => { ok: true; value: unknown } | { ok: false };

interface ColumnImporter {
  readonly column: ExportColumn;
  readonly spec: ExportColumnImport;
  readonly convert: Convert;
  /** Location columns: the admin level of the names, and the places by normalised name. */
  readonly location?: { readonly level: number; readonly places: ReadonlyMap<string, readonly string[]> };
}

/** Header and option text as compared: quote dropped, spaces collapsed, case and accents form folded. */
export function normaliseText(text: string): string {
  return unneutralise(text.trim()).normalize('NFC').replace(/\s+/g, ' ').replace(/\s*\/\s*/g, ' / ').toLocaleUpperCase('en');
}

/** The text of a cell; undefined when empty. Dates become `YYYY-MM-DD`. */
function cellText(cell: unknown): string | undefined {
  if (cell === null || cell === undefined) return undefined;
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? undefined : cell.toISOString().slice(0, 10);
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : undefined;
  if (typeof cell === 'boolean') return String(cell);
  if (typeof cell !== 'string') return undefined;
  const text = unneutralise(cell.trim());
  return text === '' ? undefined : text;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** Excel's day 1 is 1900-01-01, with 1900 wrongly a leap year: serial 25569 is 1970-01-01. */
const EXCEL_EPOCH_OFFSET = 25569;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Dates as Incident Recorders hold them: date cells, Excel serial numbers, ISO text or Primero's `02-Mar-2026`. */
function toDate(cell: unknown): string | undefined {
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? undefined : cell.toISOString().slice(0, 10);
  if (typeof cell === 'number') {
    if (!Number.isInteger(cell) || cell < 1 || cell > 2958465) return undefined;
    return new Date((cell - EXCEL_EPOCH_OFFSET) * 86_400_000).toISOString().slice(0, 10);
  }
  const text = cellText(cell);
  if (text === undefined) return undefined;
  const iso = text.slice(0, 10);
  if (isIsoDate(iso) && (text.length === 10 || /^[Tt ]/.test(text.slice(10)))) return iso;
  const match = /^(\d{1,2})[- ]([A-Za-z]{3})[- ](\d{4})$/.exec(text);
  if (match) {
    const month = MONTHS.indexOf((match[2] as string).toUpperCase()) + 1;
    const date = `${match[3]}-${pad(month)}-${pad(Number(match[1]))}`;
    if (month > 0 && isIsoDate(date)) return date;
  }
  return undefined;
}

function toNumber(cell: unknown): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  const text = cellText(cell);
  return text !== undefined && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
}

/** Builds `importRow` for a compiled mapping. `locales`: the mapping's locales, base language first. */
export function buildImporter(
  compiled: CompiledConfig,
  def: ExportMapping,
  columns: readonly ExportColumn[],
  locales: readonly string[],
): (headers: readonly unknown[], cells: readonly unknown[], options?: ImportOptions) => ImportResult {
  const recordType = compiled.recordType(def.module, def.recordType);
  const dataSheet = def.sheets.find((sheet) => sheet.columns !== undefined)?.key ?? '';
  const textsOf = (key: string, base: string): string[] => [base, ...locales.map((locale) => compiled.texts.text(key, locale) ?? base)];

  // Headers in every locale of the mapping, and the column keys themselves.
  const byHeader = new Map<string, number>();
  columns.forEach((column, i) => {
    for (const text of [...textsOf(k.exportHeader(def.key, dataSheet, column.key), column.header), column.key]) {
      const key = normaliseText(text);
      if (!byHeader.has(key)) byHeader.set(key, i);
    }
  });

  /** Normalised option text (value, labels in every locale, label before a parenthesis) -> option value. */
  const optionIndex = (field: FieldInfo): Map<string, string> => {
    const index = new Map<string, string>();
    const add = (text: string, value: string): void => {
      const key = normaliseText(text);
      if (key !== '' && !index.has(key)) index.set(key, value);
    };
    const values = field.options ?? [];
    const inline = (field.definition as { readonly options?: readonly { readonly value: string; readonly label: string }[] }).options;
    const path = field.subform === undefined ? [field.key] : [field.subform, field.key];
    for (const value of values) {
      const base = field.lookup !== undefined
        ? (compiled.lookups.get(field.lookup)?.values.find((option) => option.value === value)?.label ?? value)
        : (inline?.find((option) => option.value === value)?.label ?? value);
      const key = field.lookup !== undefined ? k.lookupValue(field.lookup, value) : k.fieldText(def.module, def.recordType, path, `option.${value}`);
      const labels = textsOf(key, base);
      for (const label of labels) add(label, value);
      for (const label of labels) add(label.split('(')[0] as string, value);
    }
    for (const value of values) add(value, value);
    return index;
  };

  const yesNo = (): Map<string, boolean> => {
    const index = new Map<string, boolean>();
    const lookup = compiled.lookups.get('yes_no');
    for (const [option, flag] of [['yes', true], ['no', false]] as const) {
      const base = lookup?.values.find((candidate) => candidate.value === option)?.label ?? option;
      for (const text of [...textsOf(k.lookupValue('yes_no', option), base), option, String(flag)]) {
        const key = normaliseText(text);
        if (!index.has(key)) index.set(key, flag);
      }
    }
    return index;
  };

  /** The column's own `map` (normalised cell text -> value). */
  const mapOf = (spec: ExportColumnImport): ReadonlyMap<string, unknown> =>
    new Map(Object.entries(spec.map ?? {}).map(([text, value]) => [normaliseText(text), value] as const));
  const lookUp = (mapped: ReadonlyMap<string, unknown>, cell: unknown): { ok: true; value: unknown } | undefined => {
    const text = cellText(cell);
    const key = text === undefined ? undefined : normaliseText(text);
    return key !== undefined && mapped.has(key) ? { ok: true, value: mapped.get(key) } : undefined;
  };

  const converter = (field: FieldInfo, spec: ExportColumnImport): Convert => {
    const mapped = mapOf(spec);
    const viaMap = (cell: unknown): { ok: true; value: unknown } | undefined => lookUp(mapped, cell);
    const own = ((): Convert => {
      switch (field.type) {
        case 'number':
          return (cell) => {
            const n = toNumber(cell);
            return n === undefined ? { ok: false } : { ok: true, value: n };
          };
        case 'date':
          return (cell) => {
            const date = toDate(cell);
            return date === undefined ? { ok: false } : { ok: true, value: date };
          };
        case 'yes_no':
        case 'tick_box': {
          const index = yesNo();
          return (cell) => {
            if (typeof cell === 'boolean') return { ok: true, value: cell };
            const text = cellText(cell);
            const flag = text === undefined ? undefined : index.get(normaliseText(text));
            return flag === undefined ? { ok: false } : { ok: true, value: flag };
          };
        }
        case 'radio':
        case 'select': {
          const index = optionIndex(field);
          return (cell) => {
            const text = cellText(cell);
            const value = text === undefined ? undefined : index.get(normaliseText(text));
            return value === undefined ? { ok: false } : { ok: true, value };
          };
        }
        case 'multi_select': {
          const index = optionIndex(field);
          const separator = spec.separator ?? ', ';
          return (cell) => {
            const text = cellText(cell);
            if (text === undefined) return { ok: false };
            const values: string[] = [];
            for (const part of text.split(separator)) {
              const value = index.get(normaliseText(part)) ?? (mapped.get(normaliseText(part)) as string | undefined);
              if (value === undefined) return { ok: false };
              if (!values.includes(value)) values.push(value);
            }
            return { ok: true, value: values };
          };
        }
        default:
          return (cell) => {
            const text = cellText(cell);
            return text === undefined ? { ok: false } : { ok: true, value: text };
          };
      }
    })();
    return (cell) => viaMap(cell) ?? own(cell);
  };

  const importers = columns.map((column): ColumnImporter | undefined => {
    const spec = column.import;
    if (spec === undefined) return undefined;
    const field = recordType.field(spec.field);
    if (field === undefined) return undefined;
    if (field.type === 'location') {
      const level = compiled.locations.levelNumber(spec.level ?? 0) ?? 0;
      const places = new Map<string, string[]>();
      for (const node of compiled.locations.nodes.values()) {
        if (node.level !== level) continue;
        for (const name of textsOf(k.location(node.code), node.name)) {
          const key = normaliseText(name);
          const list = places.get(key) ?? [];
          if (!list.includes(node.code)) list.push(node.code);
          places.set(key, list);
        }
      }
      const mapped = mapOf(spec);
      return { column, spec, convert: (cell) => lookUp(mapped, cell) ?? { ok: false }, location: { level, places } };
    }
    return { column, spec, convert: converter(field, spec) };
  });

  const isAncestor = (ancestor: string, code: string): boolean => {
    for (let node = compiled.locations.nodes.get(code); node !== undefined; node = node.parent === undefined ? undefined : compiled.locations.nodes.get(node.parent)) {
      if (node.code === ancestor) return true;
    }
    return false;
  };

  return (headers, cells, options = {}) => {
    const data: Record<string, unknown> = {};
    const unmapped: Record<string, unknown> = {};
    const issues: ImportIssue[] = [];
    const rowId = options.rowId ?? (() => 'ir_import');
    const seen = new Set<number>();
    const kept: { index: number; text: string }[] = [];
    const locations = new Map<string, { importer: ColumnImporter; codes: readonly string[]; text: string }[]>();

    const keep = (index: number, key: string, cell: unknown): void => {
      const text = cellText(cell) ?? '';
      if (hasUnstorableCharacter(text)) {
        issues.push({ code: 'invalid_character', column: key, message: 'The cell contains a character that cannot be stored (NUL or an unpaired surrogate).', value: cell });
        return;
      }
      unmapped[key] = cell instanceof Date ? cellText(cell) : typeof cell === 'string' ? unneutralise(cell.trim()) : cell;
      kept.push({ index, text });
    };
    const write = (path: string, value: unknown): void => {
      const [first, second] = path.split('.') as [string, string | undefined];
      if (second === undefined) {
        data[first] = value;
        return;
      }
      let rows = data[first] as Record<string, unknown>[] | undefined;
      if (rows === undefined) {
        rows = [{ _id: rowId(first) }];
        data[first] = rows;
      }
      (rows[0] as Record<string, unknown>)[second] = value;
    };

    // Every cell, also those right of the last header (a column without one is an unknown header too).
    Array.from({ length: Math.max(headers.length, cells.length) }, (_, position) => headers[position]).forEach((header, position) => {
      const cell = cells[position];
      if (cellText(cell) === undefined) return;
      const headerText = typeof header === 'string' ? header.trim() : header === null || header === undefined ? '' : String(header);
      const index = byHeader.get(normaliseText(headerText));
      if (index === undefined) {
        const name = headerText === '' ? `column ${position + 1}` : headerText;
        unmapped[name] = cell;
        issues.push({ code: 'unknown_header', column: name, message: `No column of "${def.key}" has the header "${name}"; its cell is not imported.`, value: cell });
        return;
      }
      const column = columns[index] as ExportColumn;
      if (seen.has(index)) {
        issues.push({ code: 'duplicate_header', column: column.key, message: `Column "${column.key}" appears twice; the second cell is not imported.`, value: cell });
        return;
      }
      seen.add(index);
      const importer = importers[index];
      if (importer === undefined) {
        keep(index, column.key, cell);
        return;
      }
      const converted = importer.convert(cell);
      if (importer.location !== undefined) {
        if (converted.ok) {
          // An explicit `map` names a code (or null: nothing to import).
          if (converted.value !== null && converted.value !== undefined) write(importer.spec.field, converted.value);
          return;
        }
        const text = cellText(cell) as string;
        const codes = importer.location.places.get(normaliseText(text)) ?? [];
        if (codes.length === 0) {
          issues.push({ code: 'unmapped_value', column: column.key, message: `"${text}" is not a place at this column's admin level.`, value: cell });
          keep(index, column.key, cell);
          return;
        }
        const list = locations.get(importer.spec.field) ?? [];
        list.push({ importer, codes, text });
        locations.set(importer.spec.field, list);
        return;
      }
      if (!converted.ok) {
        issues.push({ code: 'unmapped_value', column: column.key, message: `"${cellText(cell) ?? ''}" cannot be imported into "${importer.spec.field}".`, value: cell });
        keep(index, column.key, cell);
        return;
      }
      if (converted.value !== null && converted.value !== undefined) write(importer.spec.field, converted.value);
    });

    // Place names of several columns (county, district): the deepest place on one branch wins.
    for (const [field, entries] of locations) {
      entries.sort((a, b) => (a.importer.location?.level ?? 0) - (b.importer.location?.level ?? 0));
      let chosen: string | undefined;
      for (const entry of entries) {
        const candidates = entry.codes.filter((code) => chosen === undefined || isAncestor(chosen, code));
        const index = columns.indexOf(entry.importer.column);
        if (candidates.length === 1) {
          chosen = candidates[0];
        } else if (candidates.length === 0) {
          issues.push({ code: 'location_mismatch', column: entry.importer.column.key, message: `"${entry.text}" is not inside the place named by the other location columns.`, value: entry.text });
          keep(index, entry.importer.column.key, entry.text);
        } else {
          issues.push({ code: 'unmapped_value', column: entry.importer.column.key, message: `"${entry.text}" names several places; the other location columns do not tell which.`, value: entry.text });
          keep(index, entry.importer.column.key, entry.text);
        }
      }
      if (chosen !== undefined) write(field, chosen);
    }

    const target = def.import?.unmappedField;
    if (target !== undefined && kept.length > 0) {
      kept.sort((a, b) => a.index - b.index);
      data[target] = kept.map(({ index, text }) => `${(columns[index] as ExportColumn).header}: ${text}`).join('\n');
    }
    return { data, unmapped, issues };
  };
}
