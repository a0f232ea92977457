/**
 * Translation spreadsheets: one row per translatable text, one column per locale. Export and import
 * both go through translationEntries, so a sheet always lists exactly the keys the checker accepts.
 * The engine deals in rows of cells; the server turns them into CSV or XLSX.
 */
import type { BundleIssue, ParsedBundle } from '../bundle/types.js';
import { escapePointerToken } from '../util/json-pointer.js';
import { translationEntries } from './translation-entries.js';

export interface TranslationTable {
  /** `key`, `file`, `pointer`, the base language, then one column per other locale. */
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const FIXED = ['key', 'file', 'pointer'] as const;

export function exportTranslationTable(bundle: ParsedBundle, locales?: readonly string[]): TranslationTable {
  const base = bundle.manifest.baseLanguage;
  const columns = (locales ?? bundle.manifest.locales).filter((locale) => locale !== base);
  return {
    header: [...FIXED, base, ...columns],
    rows: translationEntries(bundle).map((entry) => [
      entry.key,
      entry.file,
      entry.pointer,
      entry.base,
      ...columns.map((locale) => entry.texts[locale] ?? ''),
    ]),
  };
}

/**
 * Turns a filled-in sheet into `translations/<locale>.json` files (the whole content of each locale
 * column: an empty cell means "not translated"). Unknown keys and locales are reported, not imported.
 */
export function importTranslationTable(
  bundle: ParsedBundle,
  table: TranslationTable,
): { readonly files: Readonly<Record<string, string>>; readonly issues: readonly BundleIssue[] } {
  const issues: BundleIssue[] = [];
  const keyColumn = table.header.indexOf('key');
  const base = bundle.manifest.baseLanguage;
  const known = new Set(translationEntries(bundle).map((entry) => entry.key));
  const files: Record<string, string> = {};
  if (keyColumn < 0) {
    issues.push({ bundle: bundle.key, file: 'translations', pointer: '', code: 'missing_property', message: 'The sheet has no "key" column.' });
    return { files, issues };
  }
  table.header.forEach((column, index) => {
    if ((FIXED as readonly string[]).includes(column) || column === base) return;
    const file = `translations/${column}.json`;
    if (!bundle.manifest.locales.includes(column)) {
      issues.push({ bundle: bundle.key, file, pointer: '', code: 'unknown_locale', message: `"${column}" is not one of the bundle's locales.` });
      return;
    }
    const texts: Record<string, string> = {};
    for (const row of table.rows) {
      const key = row[keyColumn] ?? '';
      const text = (row[index] ?? '').trim();
      if (text === '') continue;
      if (!known.has(key)) {
        issues.push({ bundle: bundle.key, file, pointer: `/${escapePointerToken(key)}`, code: 'unknown_translation_key', message: `No definition of this bundle has the translation key "${key}".` });
        continue;
      }
      Object.defineProperty(texts, key, { value: text, enumerable: true });
    }
    const sorted = Object.fromEntries(Object.entries(texts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    files[file] = `${JSON.stringify(sorted, null, 2)}\n`;
  });
  return { files, issues };
}
