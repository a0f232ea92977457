/** Manifests, file names, and the keyed definitions other files refer to (modules, record types, lookups…). */
import { expectedFileName } from '../schema/file-kinds.js';
import type { FileKind, ParsedBundle, Sourced } from '../types.js';
import { indexUnique, type CheckContext, type Owned } from './context.js';

function baseName(file: string): string {
  const slash = file.lastIndexOf('/');
  const dot = file.lastIndexOf('.');
  return file.slice(slash + 1, dot);
}

function checkFileName(ctx: CheckContext, bundle: ParsedBundle, kind: FileKind, entry: Sourced<object>): void {
  const expected = expectedFileName(kind, entry.def as Readonly<Record<string, unknown>>);
  if (expected !== undefined && baseName(entry.file) !== expected) {
    ctx.report(bundle, entry.file, '', 'file_name_mismatch', `This file must be named "${expected}.json" after the keys it holds.`);
  }
}

/** Indexes what other files reference; must run before forms, rules and translations are checked. */
export function indexDefinitions(ctx: CheckContext): void {
  for (const bundle of ctx.bundles) {
    for (const broken of bundle.broken) {
      if (broken.key === undefined) continue;
      const byKey = ctx.brokenKeys.get(broken.kind) ?? new Map<string, ParsedBundle>();
      byKey.set(broken.key, bundle);
      ctx.brokenKeys.set(broken.kind, byKey);
    }
    for (const entry of bundle.modules) indexUnique(ctx, ctx.modules, entry.def.key, { ...entry, bundle }, 'Module');
    for (const entry of bundle.lookups) indexUnique(ctx, ctx.lookups, entry.def.key, { ...entry, bundle }, 'Lookup');
    for (const entry of bundle.recordTypes) {
      indexUnique(ctx, ctx.recordTypes, `${entry.def.module}.${entry.def.key}`, { ...entry, bundle }, 'Record type');
    }
  }
}

export function checkDefinitions(ctx: CheckContext): void {
  const keyed = new Map<FileKind, Map<string, Owned<{ readonly key: string }>>>();
  for (const bundle of ctx.bundles) {
    const { manifest } = bundle;
    if (!manifest.locales.includes(manifest.baseLanguage)) {
      ctx.report(bundle, 'bundle.json', '/baseLanguage', 'base_language_not_in_locales', `"${manifest.baseLanguage}" must be one of the bundle's locales.`);
    }

    for (const entry of bundle.modules) {
      checkFileName(ctx, bundle, 'module', entry);
      entry.def.recordTypes.forEach((recordType, i) => {
        const key = `${entry.def.key}.${recordType}`;
        if (!ctx.recordTypes.has(key) && !ctx.isBroken('recordType', recordType)) {
          ctx.report(bundle, entry.file, `/recordTypes/${i}`, 'unknown_record_type', `No record-types/${key}.json defines record type "${recordType}".`);
        }
      });
    }

    for (const entry of bundle.recordTypes) {
      const { def, file } = entry;
      checkFileName(ctx, bundle, 'recordType', entry);
      const module = ctx.modules.get(def.module);
      if (module === undefined || !ctx.sees(bundle, module.bundle)) {
        if (!ctx.isBroken('module', def.module)) ctx.report(bundle, file, '/module', 'unknown_module', `There is no module "${def.module}" in this bundle or its dependencies.`);
      } else if (!module.def.recordTypes.includes(def.key)) {
        ctx.report(bundle, file, '/key', 'unknown_record_type', `Module "${def.module}" does not list record type "${def.key}".`);
      }
      const groups = new Set<string>();
      def.formGroups.forEach((group, i) => {
        if (groups.has(group.key)) ctx.report(bundle, file, `/formGroups/${i}/key`, 'duplicate_key', `Form group "${group.key}" appears twice.`);
        groups.add(group.key);
      });
    }

    for (const entry of bundle.lookups) {
      checkFileName(ctx, bundle, 'lookup', entry);
      const values = new Set<string>();
      entry.def.values.forEach((option, i) => {
        if (values.has(option.value)) ctx.report(bundle, entry.file, `/values/${i}/value`, 'duplicate_option', `Value "${option.value}" appears twice.`);
        values.add(option.value);
      });
    }

    const kinds: readonly [FileKind, readonly Sourced<{ readonly key: string }>[]][] = [
      ['role', bundle.roles],
      ['export', bundle.exports],
      ['report', bundle.reports],
      ['template', bundle.templates],
    ];
    for (const [kind, entries] of kinds) {
      const index = keyed.get(kind) ?? new Map<string, Owned<{ readonly key: string }>>();
      keyed.set(kind, index);
      for (const entry of entries) {
        checkFileName(ctx, bundle, kind, entry);
        indexUnique(ctx, index, entry.def.key, { ...entry, bundle }, kind[0]?.toUpperCase() + kind.slice(1));
      }
    }
  }
}

/** listFields, indexes and fieldMap name fields: checked once every form is indexed. */
export function checkRecordTypeFields(ctx: CheckContext): void {
  for (const bundle of ctx.bundles) {
    for (const { def, file } of bundle.recordTypes) {
      const ns = ctx.namespace(def.module, def.key);
      const known = (key: string): boolean => ns?.fields.has(key) === true || ns?.brokenFields.has(key) === true;
      def.listFields?.forEach((key, i) => {
        if (!known(key)) ctx.report(bundle, file, `/listFields/${i}`, 'unknown_field', `"${key}" is not a field of ${def.module}/${def.key}.`);
      });
      def.indexes?.forEach((index, i) => {
        if ('field' in index) {
          if (!known(index.field)) ctx.report(bundle, file, `/indexes/${i}/field`, 'unknown_field', `"${index.field}" is not a field of ${def.module}/${def.key}.`);
          return;
        }
        index.fields.forEach((key, j) => {
          if (!known(key)) ctx.report(bundle, file, `/indexes/${i}/fields/${j}`, 'unknown_field', `"${key}" is not a field of ${def.module}/${def.key}.`);
        });
      });
    }
    for (const { def, file } of bundle.modules) {
      for (const [name, pairs] of Object.entries(def.fieldMap ?? {})) {
        const match = /^([a-z][a-z0-9_]*?)_to_([a-z][a-z0-9_]*)$/.exec(name);
        const from = match && def.recordTypes.includes(match[1] as string) ? ctx.namespace(def.key, match[1] as string) : undefined;
        const to = match && def.recordTypes.includes(match[2] as string) ? ctx.namespace(def.key, match[2] as string) : undefined;
        pairs.forEach((pair, i) => {
          if (from && !from.fields.has(pair.source) && !from.brokenFields.has(pair.source)) {
            ctx.report(bundle, file, `/fieldMap/${name}/${i}/source`, 'unknown_field', `"${pair.source}" is not a field of ${def.key}/${from.recordType}.`);
          }
          if (to && !to.fields.has(pair.target) && !to.brokenFields.has(pair.target)) {
            ctx.report(bundle, file, `/fieldMap/${name}/${i}/target`, 'unknown_field', `"${pair.target}" is not a field of ${def.key}/${to.recordType}.`);
          }
        });
      }
    }
  }
}
