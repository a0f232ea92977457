/**
 * Render-ready, localized definitions: forms with their fields, lookups and locations, texts resolved
 * in the requested locale with fallback to the base language. The admin UI and printouts use these;
 * the same engine code runs in the browser.
 */
import type { LoadedBundle } from '../bundle/types.js';
import { compileBundles } from '../compile/compile-bundles.js';
import type { CompiledConfig, CompiledRecordType } from '../compile/types.js';
import { childFields, fieldType, type FieldDefinition, type LeafFieldDefinition } from '../fields/index.js';
import { translationKeys as k } from './translation-keys.js';

/** Anything localizable: a compiled config, or loaded bundles (compiled on the way, memoised). */
export type LocalizationSource = CompiledConfig | readonly LoadedBundle[];

function compiledOf(source: LocalizationSource): CompiledConfig {
  return 'recordType' in source ? source : compileBundles(source);
}

export interface LocalizedOption {
  readonly value: string;
  readonly label: string;
  readonly tags?: readonly string[];
  /** Kept so that stored values still display; UIs do not offer them for new choices. */
  readonly disabled?: boolean;
}

export interface LocalizedField {
  readonly key: string;
  readonly type: string;
  readonly widget: string;
  readonly label: string;
  readonly help?: string;
  readonly required: boolean;
  readonly readOnly: boolean;
  readonly identifying: boolean;
  readonly computed: boolean;
  readonly visibleIf?: unknown;
  readonly optionsIf?: Readonly<Record<string, unknown>>;
  readonly rowVisibleIf?: unknown;
  readonly options?: readonly LocalizedOption[];
  /** Every type-specific text by suffix: `tickLabel`, `providedByLabel`, `item.<key>`, `option.<value>`. */
  readonly texts: Readonly<Record<string, string>>;
  /** Type-specific, non-text settings as defined (`maxLength`, `min`, `includeTime`, `minRows`, …). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Subform row fields. */
  readonly fields?: readonly LocalizedField[];
}

export interface LocalizedForm {
  readonly key: string;
  readonly label: string;
  readonly help?: string;
  readonly group?: string;
  readonly groupLabel?: string;
  readonly order: number;
  readonly visibleIf?: unknown;
  readonly fields: readonly LocalizedField[];
}

export interface LocalizedForms {
  readonly module: string;
  readonly recordType: string;
  readonly label: string;
  readonly locale: string;
  readonly direction: 'ltr' | 'rtl';
  readonly forms: readonly LocalizedForm[];
}

/** Properties rendered elsewhere in LocalizedField (never repeated under `settings`). */
const COMMON = new Set(['key', 'type', 'label', 'help', 'required', 'readOnly', 'identifying', 'searchable', 'visibleIf', 'compute', 'aliases', 'tags', 'fields', 'options', 'lookup', 'optionsIf', 'rowVisibleIf']);

export function localeDirection(source: LocalizationSource, locale: string): 'ltr' | 'rtl' {
  const { locales } = compiledOf(source);
  const found = locales.find((l) => l.code === locale) ?? locales.find((l) => l.code === locale.split('-')[0]);
  return found?.direction ?? 'ltr';
}

export function localizeLookup(
  source: LocalizationSource,
  key: string,
  locale: string,
): { readonly key: string; readonly label: string; readonly localizable: boolean; readonly options: readonly LocalizedOption[] } | undefined {
  const compiled = compiledOf(source);
  const lookup = compiled.lookups.get(key);
  if (lookup === undefined) return undefined;
  const t = (textKey: string, base: string): string => compiled.texts.text(textKey, locale) ?? base;
  return {
    key,
    label: t(k.lookupLabel(key), lookup.label),
    localizable: lookup.localizable === true,
    options: lookup.values.map((option) => ({
      value: option.value,
      label: t(k.lookupValue(key, option.value), option.label),
      ...(option.tags === undefined ? {} : { tags: option.tags }),
      ...(option.disabled === true ? { disabled: true } : {}),
    })),
  };
}

function localizeField(
  compiled: CompiledConfig,
  rt: CompiledRecordType,
  def: FieldDefinition | LeafFieldDefinition,
  parent: readonly string[],
  locale: string,
): LocalizedField {
  const { module, key: recordType } = rt;
  const path = [...parent, def.key];
  const info = rt.field(path.join('.'));
  const t = (suffix: string, base: string): string => compiled.texts.text(k.fieldText(module, recordType, path, suffix), locale) ?? base;
  const type = fieldType(def.type);
  const ownTexts = type?.texts?.(def as never) ?? [];
  const texts: Record<string, string> = {};
  const textProperties = new Set<string>();
  for (const text of ownTexts) {
    texts[text.suffix] = t(text.suffix, text.text);
    textProperties.add(text.pointer.split('/')[1] ?? '');
  }
  let options: LocalizedOption[] | undefined;
  if ('options' in def && def.options !== undefined) {
    options = def.options.map((option) => ({
      value: option.value,
      label: texts[`option.${option.value}`] ?? option.label,
      ...(option.tags === undefined ? {} : { tags: option.tags }),
      ...(option.disabled === true ? { disabled: true } : {}),
    }));
  } else if ('lookup' in def && def.lookup !== undefined) {
    options = localizeLookup(compiled, def.lookup, locale)?.options.slice();
  }
  const settings = Object.fromEntries(Object.entries(def).filter(([name]) => !COMMON.has(name) && !textProperties.has(name)));
  const children = childFields(def as FieldDefinition);
  return {
    key: def.key,
    type: def.type,
    widget: type?.widget ?? def.type,
    label: t('label', def.label),
    ...(def.help === undefined ? {} : { help: t('help', def.help) }),
    required: def.required === true,
    readOnly: info?.readOnly ?? def.readOnly === true,
    identifying: def.identifying === true,
    computed: def.compute !== undefined,
    ...(def.visibleIf === undefined ? {} : { visibleIf: def.visibleIf }),
    ...('optionsIf' in def && def.optionsIf !== undefined ? { optionsIf: def.optionsIf } : {}),
    ...('rowVisibleIf' in def && def.rowVisibleIf !== undefined ? { rowVisibleIf: def.rowVisibleIf } : {}),
    ...(options === undefined ? {} : { options }),
    texts,
    settings,
    ...(children.length === 0
      ? {}
      : { fields: children.map((child) => localizeField(compiled, rt, child, path, locale)) }),
  };
}

export function localizeForms(
  source: LocalizationSource,
  options: { readonly module: string; readonly recordType: string; readonly locale: string },
): LocalizedForms {
  const compiled = compiledOf(source);
  const { module, recordType, locale } = options;
  const rt = compiled.recordType(module, recordType);
  const text = (key: string, base: string): string => compiled.texts.text(key, locale) ?? base;
  const groups = new Map(rt.definition.formGroups.map((group) => [group.key, group.label] as const));
  return {
    module,
    recordType,
    label: text(k.recordTypeLabel(module, recordType), rt.label),
    locale,
    direction: localeDirection(compiled, locale),
    forms: rt.forms.map((form) => {
      const groupLabel = form.group === undefined ? undefined : groups.get(form.group);
      return {
        key: form.key,
        label: text(k.formText(module, recordType, form.key, 'label'), form.label),
        ...(form.help === undefined ? {} : { help: text(k.formText(module, recordType, form.key, 'help'), form.help) }),
        ...(form.group === undefined ? {} : { group: form.group }),
        ...(form.group === undefined || groupLabel === undefined
          ? {}
          : { groupLabel: text(k.formGroupLabel(module, recordType, form.group), groupLabel) }),
        order: form.order ?? 0,
        ...(form.visibleIf === undefined ? {} : { visibleIf: form.visibleIf }),
        fields: form.fields.map((def) => localizeField(compiled, rt, def, [], locale)),
      };
    }),
  };
}

export interface LocalizedLocation {
  readonly code: string;
  readonly name: string;
  readonly level: number;
  readonly levelKey: string;
  readonly levelLabel: string;
  readonly parent?: string;
}

/**
 * Locations, localized. `parent`: children of that code (`null`: the roots); `level`: only that admin
 * level (number or key). Without either: every location.
 */
export function listLocations(
  source: LocalizationSource,
  options: { readonly parent?: string | null; readonly level?: number | string; readonly locale?: string } = {},
): LocalizedLocation[] {
  const compiled = compiledOf(source);
  const { locations, texts } = compiled;
  const codes = options.parent === undefined ? [...locations.nodes.keys()] : locations.children(options.parent ?? undefined);
  const level = options.level === undefined ? undefined : locations.levelNumber(options.level);
  if (options.level !== undefined && level === undefined) return [];
  const levelLabels = new Map(locations.levels.map((l) => [l.level, texts.text(k.locationLevel(l.key), options.locale) ?? l.label] as const));
  return codes.flatMap((code) => {
    const node = locations.nodes.get(code);
    if (node === undefined || (level !== undefined && node.level !== level)) return [];
    return [{
      code,
      name: texts.text(k.location(code), options.locale) ?? node.name,
      level: node.level,
      levelKey: node.levelKey,
      levelLabel: levelLabels.get(node.level) ?? node.levelKey,
      ...(node.parent === undefined ? {} : { parent: node.parent }),
    }];
  });
}
