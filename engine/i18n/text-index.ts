/** Every translatable text of a set of bundles, by translation key, with locale fallback. */
import type { ParsedBundle } from '../bundle/types.js';
import { translationEntries } from './translation-entries.js';

export interface TextIndex {
  /** The text for `key` in `locale`: exact locale, then its language (`fr-CA` -> `fr`), then the base text. */
  text(key: string, locale?: string): string | undefined;
  /** Whether the key has a text in exactly that locale. */
  has(key: string, locale: string): boolean;
}

interface Texts {
  readonly base: string;
  readonly byLocale: ReadonlyMap<string, string>;
}

export function buildTextIndex(bundles: readonly ParsedBundle[]): TextIndex {
  const texts = new Map<string, Texts>();
  for (const bundle of bundles) {
    for (const entry of translationEntries(bundle)) {
      if (texts.has(entry.key)) continue;
      const byLocale = new Map<string, string>();
      for (const [locale, text] of Object.entries(entry.texts)) if (text !== undefined) byLocale.set(locale, text);
      texts.set(entry.key, { base: entry.base, byLocale });
    }
  }
  return {
    text(key, locale) {
      const found = texts.get(key);
      if (found === undefined) return undefined;
      if (locale === undefined) return found.base;
      const exact = found.byLocale.get(locale);
      if (exact !== undefined) return exact;
      const dash = locale.indexOf('-');
      const language = dash > 0 ? found.byLocale.get(locale.slice(0, dash)) : undefined;
      return language ?? found.base;
    },
    has(key, locale) {
      return texts.get(key)?.byLocale.has(locale) ?? false;
    },
  };
}
