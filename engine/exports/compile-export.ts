/**
 * Export mappings compiled against a configuration. Column logic is compiled once per locale into
 * closures (the record rules' compiler, rules/compile-logic.ts), with lookup labels and place names of
 * that locale resolved up front, so writing a row is a few dozen closure calls and map reads: in plain
 * Node the Incident Recorder writes 30,000-45,000 rows/s of the complete benchmark incident (README.md).
 */
import type { LookupDefinition } from '../bundle/schema/definitions.js';
import type { ExportColumn, ExportMapping, ExportSheet } from '../bundle/schema/export.js';
import type { LoadedBundle } from '../bundle/types.js';
import { fieldShortcut } from '../bundle/check/check-exports.js';
import { EngineError } from '../compile/engine-error.js';
import type { CompiledConfig } from '../compile/types.js';
import { translationKeys as k } from '../i18n/translation-keys.js';
import type { RuleData } from '../rules/context.js';
import type { PrepareEnv } from '../rules/prepare-env.js';
import type { LocatedPlace } from '../rules/prepared-args.js';
import { prepareRule, RULE_ERROR, type PreparedRule } from '../rules/prepare.js';
import { ownValue } from '../util/objects.js';
import { spreadsheetSafe, toCell } from './cells.js';
import { buildImporter } from './import-row.js';
import type { Cell, CompiledExport, ExportColumnInfo, ExportMeta, MenuCollector, MenuColumn } from './types.js';

type ColumnEvaluator = (data: ExportData) => unknown;

/** What column logic sees. */
interface ExportData {
  readonly record: Readonly<Record<string, unknown>>;
  readonly meta: ExportMeta;
}

const NO_META: ExportMeta = Object.freeze({});

/** Compiled mappings, per compiled config (held weakly: a config that goes takes its exports along). */
const memo = new WeakMap<CompiledConfig, Map<string, CompiledExport>>();

/**
 * Compiles the export mapping `key` of the configuration. Memoised per config. Throws
 * `EngineError('unknown_export')` when no loaded bundle has it (a caller bug: list them from
 * `compiled.source`).
 */
export function compileExportMapping(compiled: CompiledConfig, key: string): CompiledExport {
  let byKey = memo.get(compiled);
  if (byKey === undefined) {
    byKey = new Map();
    memo.set(compiled, byKey);
  }
  let found = byKey.get(key);
  if (found === undefined) {
    found = build(compiled, findMapping(compiled, key));
    byKey.set(key, found);
  }
  return found;
}

/** Keys of the export mappings of the configuration, with their module and record type. */
export function listExportMappings(compiled: CompiledConfig): { key: string; label: string; module: string; recordType: string; format: string }[] {
  return compiled.source.flatMap((bundle) =>
    bundle.exports.map(({ def }) => ({ key: def.key, label: def.label, module: def.module, recordType: def.recordType, format: def.format })),
  );
}

function findMapping(compiled: CompiledConfig, key: string): { bundle: LoadedBundle; def: ExportMapping } {
  for (const bundle of compiled.source) {
    for (const { def } of bundle.exports) if (def.key === key) return { bundle, def };
  }
  throw new EngineError('unknown_export', `The configuration has no export mapping "${key}".`);
}

function build(compiled: CompiledConfig, { bundle, def }: { bundle: LoadedBundle; def: ExportMapping }): CompiledExport {
  // Loaded bundles passed the checks: exactly one data sheet, at most one menu sheet, menus name columns.
  const dataSheet = def.sheets.find((sheet) => sheet.columns !== undefined) as ExportSheet & { columns: readonly ExportColumn[] };
  const menuSheet = def.sheets.find((sheet) => sheet.menus !== undefined && sheet.columns === undefined);
  compiled.recordType(def.module, def.recordType);
  const columns = dataSheet.columns;
  const types = columns.map((column) => column.type ?? 'text');
  const locales = bundle.manifest.locales;
  const base = bundle.manifest.baseLanguage;

  /** A requested locale -> one of the mapping's locales (exact, then its language, then the base language). */
  const resolveLocale = (locale: string | undefined): string => {
    if (locale === undefined) return base;
    if (locales.includes(locale)) return locale;
    const language = locale.split('-')[0] as string;
    return locales.includes(language) ? language : base;
  };
  const text = (key: string, fallback: string, locale: string | undefined): string =>
    compiled.texts.text(key, resolveLocale(locale)) ?? fallback;

  const perLocale = new Map<string, readonly ColumnEvaluator[]>();
  const evaluators = (locale: string | undefined): readonly ColumnEvaluator[] => {
    const resolved = resolveLocale(locale);
    let list = perLocale.get(resolved);
    if (list === undefined) {
      const env = prepareEnv(compiled, resolved);
      list = columns.map((column) => compileColumn(column, env));
      perLocale.set(resolved, list);
    }
    return list;
  };
  const include: PreparedRule | undefined = def.include === undefined ? undefined : prepareRule(def.include, prepareEnv(compiled, base));

  const menuIndexes = (menuSheet?.menus ?? []).map((menu) => ({ from: menu.from, index: columns.findIndex((column) => column.key === menu.from) }));
  const menuCollector = (): MenuCollector => collector(menuIndexes, menuSheet?.maxValues);

  const info: readonly ExportColumnInfo[] = columns.map((column, i) => ({
    key: column.key,
    type: types[i] ?? 'text',
    header: column.header,
    reversible: column.import !== undefined,
  }));

  return {
    key: def.key,
    module: def.module,
    recordType: def.recordType,
    format: def.format,
    definition: def,
    locales,
    dataSheet: { key: dataSheet.key },
    ...(menuSheet === undefined ? {} : { menuSheet: { key: menuSheet.key, ...(menuSheet.maxValues === undefined ? {} : { maxValues: menuSheet.maxValues }) } }),
    columns: info,
    label: (locale) => text(k.exportLabel(def.key), def.label, locale),
    sheetLabel(sheet, locale) {
      const found = def.sheets.find((candidate) => candidate.key === sheet);
      if (found === undefined) throw new EngineError('unknown_export', `Export mapping "${def.key}" has no sheet "${sheet}".`);
      return text(k.exportSheetLabel(def.key, found.key), found.label, locale);
    },
    headers: (locale) => columns.map((column) => spreadsheetSafe(text(k.exportHeader(def.key, dataSheet.key, column.key), column.header, locale))),
    menuHeaders: (locale) =>
      (menuSheet?.menus ?? []).map((menu) => spreadsheetSafe(text(k.exportHeader(def.key, menuSheet?.key ?? '', menu.from), menu.header, locale))),
    includes(record, meta = NO_META) {
      return include === undefined || include.test({ record, meta } as unknown as RuleData);
    },
    row(record, meta = NO_META, locale) {
      const data: ExportData = { record, meta };
      const list = evaluators(locale);
      const cells: Cell[] = new Array<Cell>(list.length);
      for (let i = 0; i < list.length; i += 1) cells[i] = toCell((list[i] as ColumnEvaluator)(data), types[i] ?? 'text');
      return cells;
    },
    menuValues(rows) {
      const collect = menuCollector();
      for (const row of rows) collect.add(row);
      return collect.values();
    },
    menuCollector,
    importRow: buildImporter(compiled, def, columns, [base, ...locales.filter((locale) => locale !== base)]),
  };
}

function compileColumn(column: ExportColumn, env: PrepareEnv): ColumnEvaluator {
  const field = fieldShortcut(column.value);
  if (field !== undefined) return (data) => (typeof data.record === 'object' && data.record !== null ? ownValue(data.record, field) : null);
  const rule = prepareRule(column.value, env);
  return (data) => {
    const value = rule.evaluate(data as unknown as RuleData);
    return value === RULE_ERROR ? null : value;
  };
}

/** Lookups, labels and places of one locale, as the export-only operations need them. */
function prepareEnv(compiled: CompiledConfig, locale: string): PrepareEnv {
  const labels = new Map<string, ReadonlyMap<string, string>>();
  const levels = new Map<number | string, (code: string) => LocatedPlace | undefined>();
  return {
    lookupValues: (key) => compiled.lookups.get(key)?.values.filter((option) => option.disabled !== true).map((option) => option.value),
    lookupLabels(key) {
      let map = labels.get(key);
      if (map === undefined) {
        const lookup: LookupDefinition | undefined = compiled.lookups.get(key);
        // Disabled options keep their labels: records still hold them.
        map = new Map((lookup?.values ?? []).map((option) => [option.value, compiled.texts.text(k.lookupValue(key, option.value), locale) ?? option.label]));
        labels.set(key, map);
      }
      return map;
    },
    locationAncestor(level) {
      let ancestor = levels.get(level);
      if (ancestor === undefined) {
        ancestor = ancestorAt(compiled, compiled.locations.levelNumber(level), locale);
        levels.set(level, ancestor);
      }
      return ancestor;
    },
  };
}

function ancestorAt(compiled: CompiledConfig, level: number | undefined, locale: string): (code: string) => LocatedPlace | undefined {
  const { nodes } = compiled.locations;
  const cache = new Map<string, LocatedPlace | null>();
  return (code) => {
    if (level === undefined) return undefined;
    let place = cache.get(code);
    if (place === undefined) {
      let node = nodes.get(code);
      // Bounded by the depth of the hierarchy (checked acyclic when the bundle loaded).
      while (node !== undefined && node.level > level && node.parent !== undefined) node = nodes.get(node.parent);
      place = node !== undefined && node.level === level ? { code: node.code, name: compiled.texts.text(k.location(node.code), locale) ?? node.name } : null;
      // Location codes come from records; the bound only guards against misuse.
      if (cache.size < 100_000) cache.set(code, place);
    }
    return place ?? undefined;
  };
}

function collector(menus: readonly { from: string; index: number }[], maxValues: number | undefined): MenuCollector {
  const seen = menus.map(() => new Set<Cell>());
  const values = menus.map((): Cell[] => []);
  const truncated = menus.map(() => false);
  return {
    add(row) {
      menus.forEach(({ index }, i) => {
        const cell = row[index];
        if (cell === null || cell === undefined || cell === '') return;
        const set = seen[i] as Set<Cell>;
        if (set.has(cell)) return;
        if (maxValues !== undefined && set.size >= maxValues) {
          truncated[i] = true;
          return;
        }
        set.add(cell);
        (values[i] as Cell[]).push(cell);
      });
    },
    values: (): MenuColumn[] => menus.map(({ from }, i) => ({ from, values: [...(values[i] as Cell[])], truncated: truncated[i] === true })),
  };
}
