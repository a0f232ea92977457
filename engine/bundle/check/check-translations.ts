/** Translation files: a locale of the manifest, and only keys that some definition of the bundle has. */
import { translationEntries } from '../../i18n/translation-entries.js';
import { escapePointerToken } from '../../util/json-pointer.js';
import type { BrokenFile, ParsedBundle } from '../types.js';
import type { CheckContext } from './context.js';

/**
 * Translation-key prefixes a schema-invalid file may own. Keys under them may be right: they are not
 * reported (the file's own issues are), everything else still is.
 */
function uncertainPrefixes(broken: BrokenFile): string[] {
  const name = broken.file.slice(broken.file.lastIndexOf('/') + 1).replace(/\.json$/, '');
  const key = broken.key ?? name.split('.').pop() ?? name;
  const [fileModule, fileRecordType] = name.split('.');
  const module = broken.module ?? fileModule;
  const recordType = broken.recordType ?? fileRecordType;
  switch (broken.kind) {
    case 'manifest':
      return ['bundle.'];
    case 'module':
      return [`module.${key}.`];
    case 'recordType':
      return [`recordType.${module}.${key}.`, `formGroup.${module}.${key}.`];
    case 'form':
      return broken.fields === undefined
        ? [`form.${module}.${recordType}.`, `field.${module}.${recordType}.`]
        : [`form.${module}.${recordType}.${key}.`, ...broken.fields.map((field) => `field.${module}.${recordType}.${field.key}.`)];
    case 'lookup':
      return [`lookup.${key}.`];
    case 'locations':
      return ['location.'];
    case 'rules':
      return [`rule.${module}.${recordType}.`];
    case 'role':
      return [`role.${key}.`];
    case 'export':
      return [`export.${key}.`];
    default:
      return [];
  }
}

function brokenPrefixes(bundle: ParsedBundle): string[] {
  return bundle.broken.flatMap(uncertainPrefixes);
}

export function checkTranslations(ctx: CheckContext): void {
  for (const bundle of ctx.bundles) {
    if (bundle.translations.length === 0) continue;
    const known = new Set(translationEntries(bundle).map((entry) => entry.key));
    const uncertain = brokenPrefixes(bundle);
    for (const { locale, def, file } of bundle.translations) {
      if (!bundle.manifest.locales.includes(locale)) {
        ctx.report(bundle, file, '', 'unknown_locale', `"${locale}" is not one of the bundle's locales (${bundle.manifest.locales.join(', ')}).`);
      }
      for (const key of Object.keys(def)) {
        if (known.has(key) || uncertain.some((prefix) => key.startsWith(prefix))) continue;
        ctx.report(bundle, file, `/${escapePointerToken(key)}`, 'unknown_translation_key', `No definition of this bundle has the translation key "${key}".`);
      }
    }
  }
}
