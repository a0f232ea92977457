/**
 * The single walker over a bundle's translatable texts. Everything that deals with translations uses
 * it: the checker (unknown_translation_key), the missing-translation listing, the spreadsheet
 * export/import and the text index that localizes forms, lookups and locations.
 */
import type { ParsedBundle } from '../bundle/types.js';
import { childFields, fieldType, type FieldDefinition, type LeafFieldDefinition } from '../fields/index.js';
import { reportDefinitions, reportTexts } from '../reports/report-texts.js';
import { translationKeys as k } from './translation-keys.js';

export interface TranslationEntry {
  readonly key: string;
  /** The text in the bundle's base language. */
  readonly base: string;
  /** Where the base text stands. */
  readonly file: string;
  readonly pointer: string;
  /** The text in each locale of the manifest (undefined when not translated). */
  readonly texts: Readonly<Record<string, string | undefined>>;
}

interface RawEntry {
  readonly key: string;
  readonly base: string;
  readonly file: string;
  readonly pointer: string;
}

function fieldEntries(
  out: RawEntry[],
  file: string,
  module: string,
  recordType: string,
  def: FieldDefinition | LeafFieldDefinition,
  at: string,
  parent: readonly string[],
): void {
  const path = [...parent, def.key];
  out.push({ key: k.fieldText(module, recordType, path, 'label'), base: def.label, file, pointer: `${at}/label` });
  if (def.help !== undefined) out.push({ key: k.fieldText(module, recordType, path, 'help'), base: def.help, file, pointer: `${at}/help` });
  for (const text of fieldType(def.type)?.texts?.(def as never) ?? []) {
    out.push({ key: k.fieldText(module, recordType, path, text.suffix), base: text.text, file, pointer: `${at}${text.pointer}` });
  }
  childFields(def as FieldDefinition).forEach((child, j) => fieldEntries(out, file, module, recordType, child, `${at}/fields/${j}`, path));
}

/** Every translatable text of the bundle, with its key and base text, in file order. */
function rawEntries(bundle: ParsedBundle): RawEntry[] {
  const out: RawEntry[] = [{ key: k.bundleTitle(), base: bundle.manifest.title, file: 'bundle.json', pointer: '/title' }];
  for (const { def, file } of bundle.modules) out.push({ key: k.moduleLabel(def.key), base: def.label, file, pointer: '/label' });
  for (const { def, file } of bundle.recordTypes) {
    out.push({ key: k.recordTypeLabel(def.module, def.key), base: def.label, file, pointer: '/label' });
    def.formGroups.forEach((group, i) =>
      out.push({ key: k.formGroupLabel(def.module, def.key, group.key), base: group.label, file, pointer: `/formGroups/${i}/label` }),
    );
  }
  for (const { def: form, file } of bundle.forms) {
    out.push({ key: k.formText(form.module, form.recordType, form.key, 'label'), base: form.label, file, pointer: '/label' });
    if (form.help !== undefined) out.push({ key: k.formText(form.module, form.recordType, form.key, 'help'), base: form.help, file, pointer: '/help' });
    form.fields.forEach((def, i) => fieldEntries(out, file, form.module, form.recordType, def, `/fields/${i}`, []));
  }
  for (const { def, file } of bundle.lookups) {
    out.push({ key: k.lookupLabel(def.key), base: def.label, file, pointer: '/label' });
    def.values.forEach((option, i) => out.push({ key: k.lookupValue(def.key, option.value), base: option.label, file, pointer: `/values/${i}/label` }));
  }
  for (const { def, file } of bundle.locations) {
    def.adminLevels.forEach((level, i) => out.push({ key: k.locationLevel(level.key), base: level.label, file, pointer: `/adminLevels/${i}/label` }));
    def.locations.forEach((place, i) => out.push({ key: k.location(place.code), base: place.name, file, pointer: `/locations/${i}/name` }));
  }
  for (const { def, file } of bundle.rules) {
    def.rules.forEach((rule, i) =>
      out.push({ key: k.ruleMessage(def.module, def.recordType, rule.key), base: rule.message, file, pointer: `/rules/${i}/message` }),
    );
  }
  for (const { def, file } of bundle.roles) out.push({ key: k.roleLabel(def.key), base: def.label, file, pointer: '/label' });
  for (const { def, file } of bundle.exports) {
    out.push({ key: k.exportLabel(def.key), base: def.label, file, pointer: '/label' });
    def.sheets.forEach((sheet, i) => {
      out.push({ key: k.exportSheetLabel(def.key, sheet.key), base: sheet.label, file, pointer: `/sheets/${i}/label` });
      sheet.columns?.forEach((column, j) =>
        out.push({ key: k.exportHeader(def.key, sheet.key, column.key), base: column.header, file, pointer: `/sheets/${i}/columns/${j}/header` }),
      );
      sheet.menus?.forEach((menu, j) =>
        out.push({ key: k.exportHeader(def.key, sheet.key, menu.from), base: menu.header, file, pointer: `/sheets/${i}/menus/${j}/header` }),
      );
    });
  }
  for (const { def, file } of bundle.workflows) {
    const w = (part: 'state' | 'transition' | 'approval', key: string, text: 'label' | 'guard') => k.workflowText(def.module, def.recordType, part, key, text);
    def.states.forEach((s, i) => out.push({ key: w('state', s.key, 'label'), base: s.label, file, pointer: `/states/${i}/label` }));
    def.transitions.forEach((t, i) => {
      out.push({ key: w('transition', t.key, 'label'), base: t.label, file, pointer: `/transitions/${i}/label` });
      if (t.guard !== undefined) out.push({ key: w('transition', t.key, 'guard'), base: t.guard.message, file, pointer: `/transitions/${i}/guard/message` });
    });
    def.approvals?.forEach((a, i) => out.push({ key: w('approval', a.key, 'label'), base: a.label, file, pointer: `/approvals/${i}/label` }));
  }
  for (const { def, file } of reportDefinitions(bundle)) for (const text of reportTexts(def)) out.push({ ...text, file });
  return out;
}

/** Translations of the bundle as locale -> key -> text. */
export function translationsByLocale(bundle: ParsedBundle): ReadonlyMap<string, ReadonlyMap<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const { locale, def } of bundle.translations) {
    const texts = out.get(locale) ?? new Map<string, string>();
    for (const [key, text] of Object.entries(def)) texts.set(key, text);
    out.set(locale, texts);
  }
  return out;
}

export function translationEntries(bundle: ParsedBundle): TranslationEntry[] {
  const byLocale = translationsByLocale(bundle);
  const locales = bundle.manifest.locales;
  const seen = new Set<string>();
  const entries: TranslationEntry[] = [];
  for (const raw of rawEntries(bundle)) {
    // Keys are unique by construction once the bundle passes its checks; keep the first otherwise.
    if (seen.has(raw.key)) continue;
    seen.add(raw.key);
    const texts: Record<string, string | undefined> = {};
    for (const locale of locales) texts[locale] = byLocale.get(locale)?.get(raw.key);
    entries.push({ ...raw, texts });
  }
  return entries;
}

/** Entries with no text in `locale` (the `--missing fr` listing). */
export function missingTranslations(bundle: ParsedBundle, locale: string): TranslationEntry[] {
  return translationEntries(bundle).filter((entry) => entry.texts[locale] === undefined);
}
