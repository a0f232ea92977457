import { localizeLookup, translationKeys, type CompiledConfig } from '../../../engine/index.js';
import type { TemplateHelpers } from './handlebars-env.js';

/** Handlebars passes an options hash as the last argument of every helper call. */
const argsOf = (args: unknown[]): unknown[] => args.slice(0, -1);

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A date (`YYYY-MM-DD`) or date-time in the reader's locale; anything else as it is. Date-times are shown in UTC (and say so). */
export function formatDate(value: unknown, locale: string): string {
  if (typeof value !== 'string' && !(value instanceof Date)) return value === undefined || value === null ? '' : String(value);
  const text = value instanceof Date ? value.toISOString() : value;
  const dateOnly = DATE_ONLY.test(text);
  const date = new Date(dateOnly ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(date.getTime())) return text;
  try {
    return new Intl.DateTimeFormat(locale, dateOnly ? { dateStyle: 'long', timeZone: 'UTC' } : { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' }).format(date);
  } catch {
    return text;
  }
}

/** A lookup value's label in `locale` (the value itself when the lookup or value is unknown). */
export function lookupLabel(config: CompiledConfig, lookup: string, value: unknown, locale: string): string {
  if (typeof value !== 'string') return value === undefined || value === null ? '' : String(value);
  return localizeLookup(config, lookup, locale)?.options.find((o) => o.value === value)?.label ?? value;
}

/** A field's label (`<field>` or `<subform>.<field>`) of one record type in `locale`. */
export function fieldLabel(config: CompiledConfig, module: string, recordType: string, path: string, locale: string): string {
  const info = config.findRecordType(module, recordType)?.field(path);
  if (info === undefined) return path;
  return config.texts.text(translationKeys.fieldText(module, recordType, path.split('.'), 'label'), locale) ?? info.label;
}

/** The fixed helper set, bound to the reader's locale and (when there is one) the record type rendered. */
export function templateHelpers(config: CompiledConfig, locale: string, recordType?: { module: string; recordType: string }): TemplateHelpers {
  return {
    eq: (...args) => {
      const [a, b] = argsOf(args);
      return a === b;
    },
    formatDate: (...args) => formatDate(argsOf(args)[0], locale),
    lookupLabel: (...args) => {
      const [lookup, value] = argsOf(args);
      return typeof lookup === 'string' ? lookupLabel(config, lookup, value, locale) : '';
    },
    fieldLabel: (...args) => {
      const [path] = argsOf(args);
      if (typeof path !== 'string' || recordType === undefined) return typeof path === 'string' ? path : '';
      return fieldLabel(config, recordType.module, recordType.recordType, path, locale);
    },
  };
}
