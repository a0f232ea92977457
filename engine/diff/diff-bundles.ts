/**
 * A readable diff between two versions of one bundle: every definition added, removed or changed, with its
 * before and after values, and the BREAKING flags a steering committee must see (docs/governance.md).
 *
 *   diffUsageQuestions(input)   which fields and option values to look up in the records (server: SQL)
 *   diffBundles({ ...input, usage })
 *
 * Pure: works on parsed bundles (no compilation, so versions that would not load together still diff).
 */
import type { InlineOption } from '../bundle/schema/common.js';
import type { LookupDefinition } from '../bundle/schema/definitions.js';
import type { RoleDefinition } from '../bundle/schema/role.js';
import type { ParsedBundle, Sourced } from '../bundle/types.js';
import { childFields, type FieldDefinition, type LeafFieldDefinition } from '../fields/index.js';
import { canonicalJson } from '../util/canonical-json.js';
import { recordTypeFields, roleWidening } from './role-access.js';
import type { BreakingChange, BreakingCode, BundleDiff, ChangeKind, DataUsage, DiffChange, DiffHighlight, DiffInput, UsageQuestions } from './types.js';

const CHOICE_TYPES = new Set(['radio', 'select', 'multi_select']);
const KIND_ORDER: readonly ChangeKind[] = [
  'bundle', 'settings', 'locales', 'module', 'record_type', 'form', 'field', 'option', 'lookup', 'rule', 'role',
  'workflow', 'export', 'report', 'template', 'location', 'translation',
];

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

function omit(value: object, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));
}

/** Top-level properties whose values differ. */
function changedProperties(before: object, after: object): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => !same((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k])).sort();
}

interface Entry {
  readonly file?: string;
  readonly value: object;
}

class Changes {
  readonly list: DiffChange[] = [];
  private readonly flags = new Map<string, Set<BreakingCode>>();

  compare(kind: ChangeKind, before: ReadonlyMap<string, Entry>, after: ReadonlyMap<string, Entry>, strip: readonly string[] = []): void {
    for (const [id, b] of before) {
      const a = after.get(id);
      if (a === undefined) this.list.push({ kind, change: 'removed', id, ...(b.file ? { file: b.file } : {}), before: omit(b.value, ...strip) });
      else {
        const bv = omit(b.value, ...strip);
        const av = omit(a.value, ...strip);
        const properties = changedProperties(bv, av);
        if (properties.length > 0) this.list.push({ kind, change: 'changed', id, ...(a.file ? { file: a.file } : {}), properties, before: bv, after: av });
      }
    }
    for (const [id, a] of after) {
      if (!before.has(id)) this.list.push({ kind, change: 'added', id, ...(a.file ? { file: a.file } : {}), after: omit(a.value, ...strip) });
    }
  }

  find(id: string): DiffChange | undefined {
    return this.list.find((c) => c.id === id);
  }

  flag(id: string, code: BreakingCode): void {
    const set = this.flags.get(id) ?? new Set<BreakingCode>();
    set.add(code);
    this.flags.set(id, set);
  }

  result(): DiffChange[] {
    return this.list
      .map((c) => (this.flags.has(c.id) ? { ...c, breaking: [...(this.flags.get(c.id) as Set<BreakingCode>)].sort() } : c))
      .sort((x, y) => KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind) || x.id.localeCompare(y.id));
  }
}

function byKey<T extends object>(items: readonly Sourced<T>[], id: (def: T) => string): Map<string, Entry> {
  return new Map(items.map(({ def, file }) => [id(def), { file, value: def }] as const));
}

interface FieldEntry {
  readonly module: string;
  readonly recordType: string;
  readonly path: string;
  readonly file: string;
  readonly form: string;
  readonly def: FieldDefinition | LeafFieldDefinition;
}

/** Fields of a bundle's forms, by `<module>/<recordType>/<path>`. */
function fieldsOf(bundle: ParsedBundle | undefined): Map<string, FieldEntry> {
  const out = new Map<string, FieldEntry>();
  for (const { def: form, file } of bundle?.forms ?? []) {
    for (const field of form.fields as readonly FieldDefinition[]) {
      const base = { module: form.module, recordType: form.recordType, file, form: form.key };
      out.set(`${form.module}/${form.recordType}/${field.key}`, { ...base, path: field.key, def: field });
      for (const child of childFields(field)) out.set(`${form.module}/${form.recordType}/${field.key}.${child.key}`, { ...base, path: `${field.key}.${child.key}`, def: child });
    }
  }
  return out;
}

/** Every choice field of a whole bundle set with the option values it accepts (inline, or its lookup's). */
function choiceFields(set: readonly ParsedBundle[]): Map<string, FieldEntry & { readonly values: ReadonlySet<string>; readonly multiple: boolean; readonly lookup?: string }> {
  const lookups = new Map<string, LookupDefinition>();
  for (const bundle of set) for (const { def } of bundle.lookups) if (!lookups.has(def.key)) lookups.set(def.key, def);
  const out = new Map<string, FieldEntry & { values: ReadonlySet<string>; multiple: boolean; lookup?: string }>();
  for (const bundle of set) {
    for (const [id, entry] of fieldsOf(bundle)) {
      if (!CHOICE_TYPES.has(entry.def.type)) continue;
      const def = entry.def as { options?: readonly InlineOption[]; lookup?: string };
      const values = def.options !== undefined ? def.options.map((o) => o.value) : (lookups.get(def.lookup ?? '')?.values.map((o) => o.value) ?? []);
      out.set(id, { ...entry, values: new Set(values), multiple: entry.def.type === 'multi_select', ...(def.lookup === undefined ? {} : { lookup: def.lookup }) });
    }
  }
  return out;
}

interface Candidates {
  readonly fields: Array<{ id: string; module: string; recordType: string; path: string; code: 'field_removed_with_data' | 'field_type_changed_with_data'; message: string }>;
  readonly options: Array<{ id: string; field: string; module: string; recordType: string; path: string; multiple: boolean; values: string[]; lookup?: string }>;
}

interface Analysis {
  readonly changes: Changes;
  readonly candidates: Candidates;
  readonly breaking: BreakingChange[];
  readonly highlights: DiffHighlight[];
  readonly from?: ParsedBundle;
  readonly to?: ParsedBundle;
}

function analyse(input: DiffInput): Analysis {
  const from = input.before.find((b) => b.key === input.bundle);
  const to = input.after.find((b) => b.key === input.bundle);
  const changes = new Changes();
  const breaking: BreakingChange[] = [];
  const highlights: DiffHighlight[] = [];
  const candidates: Candidates = { fields: [], options: [] };
  const one = (b: ParsedBundle | undefined, value: object | undefined, file: string, id: string) =>
    new Map<string, Entry>(b !== undefined && value !== undefined ? [[id, { file, value }]] : []);

  changes.compare('bundle', one(from, from?.manifest, 'bundle.json', 'bundle'), one(to, to?.manifest, 'bundle.json', 'bundle'));
  changes.compare('settings', one(from, from?.settings?.def, 'settings.json', 'settings'), one(to, to?.settings?.def, 'settings.json', 'settings'));
  changes.compare('locales', one(from, from?.locales?.def, 'locales.json', 'locales'), one(to, to?.locales?.def, 'locales.json', 'locales'));
  changes.compare('module', byKey(from?.modules ?? [], (d) => `module/${d.key}`), byKey(to?.modules ?? [], (d) => `module/${d.key}`));
  changes.compare('record_type', byKey(from?.recordTypes ?? [], (d) => `${d.module}/${d.key}`), byKey(to?.recordTypes ?? [], (d) => `${d.module}/${d.key}`));
  const formId = (d: { module: string; recordType: string; key: string }) => `form/${d.module}/${d.recordType}/${d.key}`;
  changes.compare('form', byKey(from?.forms ?? [], formId), byKey(to?.forms ?? [], formId), ['fields']);

  // Fields: keyed by record type and path, wherever their form is (a field moving between forms is a change).
  const toEntries = (fields: Map<string, FieldEntry>) =>
    new Map([...fields].map(([id, f]) => [id, { file: f.file, value: { ...omit(f.def, 'fields', 'options'), form: f.form } }] as const));
  const fieldsBefore = fieldsOf(from);
  const fieldsAfter = fieldsOf(to);
  changes.compare('field', toEntries(fieldsBefore), toEntries(fieldsAfter));
  for (const [id, before] of fieldsBefore) {
    const after = fieldsAfter.get(id);
    const at = { id, module: before.module, recordType: before.recordType, path: before.path };
    if (after === undefined) {
      if (before.def.type !== 'separator') candidates.fields.push({ ...at, code: 'field_removed_with_data', message: `Field ${before.path} of ${before.module}/${before.recordType} is removed while records hold values for it.` });
      continue;
    }
    if (after.def.type !== before.def.type && before.def.type !== 'separator') {
      candidates.fields.push({ ...at, code: 'field_type_changed_with_data', message: `Field ${before.path} of ${before.module}/${before.recordType} changes type (${before.def.type} -> ${after.def.type}) while records hold values for it.` });
    }
    if (before.def.identifying === true && after.def.identifying !== true) {
      changes.flag(id, 'identifying_unmarked');
      const roles = rolesHidingIdentifying(input.after, before.module, before.recordType);
      breaking.push({
        code: 'identifying_unmarked',
        id,
        identifying: true,
        message: `Field ${before.path} of ${before.module}/${before.recordType} is no longer marked identifying: roles that exclude @identifying will see it.`,
        details: { roles },
      });
      if (roles.length > 0) {
        highlights.push({
          code: 'identifying_access_widened',
          id,
          module: before.module,
          recordType: before.recordType,
          fields: [before.path],
          message: `Roles ${roles.join(', ')} will read ${before.path} (it was hidden from them as identifying).`,
        });
      }
    }
  }

  // Options: inline options of this bundle's fields, and the values of its lookups.
  const optionEntries = (fields: Map<string, FieldEntry>, lookups: readonly Sourced<LookupDefinition>[]) => {
    const out = new Map<string, Entry>();
    for (const [id, f] of fields) {
      const options = (f.def as { options?: readonly InlineOption[] }).options;
      options?.forEach((o, index) => out.set(`${id}/option/${o.value}`, { file: f.file, value: { ...o, position: index } }));
    }
    for (const { def, file } of lookups) def.values.forEach((o, index) => out.set(`lookup/${def.key}/option/${o.value}`, { file, value: { ...o, position: index } }));
    return out;
  };
  changes.compare('option', optionEntries(fieldsBefore, from?.lookups ?? []), optionEntries(fieldsAfter, to?.lookups ?? []));
  changes.compare('lookup', byKey(from?.lookups ?? [], (d) => `lookup/${d.key}`), byKey(to?.lookups ?? [], (d) => `lookup/${d.key}`), ['values']);

  // Option values a field accepted before and no longer accepts (inline options removed, lookup values removed,
  // or the field switched to another lookup). Only fields that still exist: removed ones are flagged above.
  const choicesBefore = choiceFields(input.before);
  const choicesAfter = choiceFields(input.after);
  for (const [id, before] of choicesBefore) {
    const after = choicesAfter.get(id);
    if (after === undefined) continue;
    const gone = [...before.values].filter((v) => !after.values.has(v));
    if (gone.length === 0) continue;
    candidates.options.push({ id, field: id, module: before.module, recordType: before.recordType, path: before.path, multiple: before.multiple, values: gone, ...(before.lookup === undefined ? {} : { lookup: before.lookup }) });
  }

  const rulesOf = (b: ParsedBundle | undefined) =>
    new Map(
      (b?.rules ?? []).flatMap(({ def, file }) => def.rules.map((rule) => [`rule/${def.module}/${def.recordType}/${rule.key}`, { file, value: rule }] as const)),
    );
  changes.compare('rule', rulesOf(from), rulesOf(to));

  changes.compare('role', byKey(from?.roles ?? [], (d) => `role/${d.key}`), byKey(to?.roles ?? [], (d) => `role/${d.key}`));
  for (const { def: after } of to?.roles ?? []) {
    const before = from?.roles.find((r) => r.def.key === after.key)?.def;
    if (before === undefined || same(before, after)) continue;
    const widening = roleWidening(before as RoleDefinition, after as RoleDefinition, input.after);
    if (widening.reasons.length === 0) continue;
    const id = `role/${after.key}`;
    changes.flag(id, 'permission_widened');
    const exposed = [...widening.identifying];
    breaking.push({
      code: 'permission_widened',
      id,
      identifying: exposed.length > 0,
      message: `Role ${after.key} opens more than before: ${widening.reasons.join('; ')}.`,
      details: { reasons: widening.reasons, ...(exposed.length > 0 ? { identifyingFields: Object.fromEntries(exposed) } : {}) },
    });
    for (const [where, fields] of exposed) {
      const [module, recordType] = where.split('/') as [string, string];
      highlights.push({
        code: 'identifying_access_widened',
        id,
        role: after.key,
        module,
        recordType,
        fields,
        message: `Role ${after.key} will read identifying fields of ${where}: ${fields.join(', ')}.`,
      });
    }
  }

  changes.compare('workflow', byKey(from?.workflows ?? [], (d) => `workflow/${d.module}.${d.recordType}`), byKey(to?.workflows ?? [], (d) => `workflow/${d.module}.${d.recordType}`));
  changes.compare('export', byKey(from?.exports ?? [], (d) => `export/${d.key}`), byKey(to?.exports ?? [], (d) => `export/${d.key}`));
  changes.compare('report', byKey(from?.reports ?? [], (d) => `report/${d.key}`), byKey(to?.reports ?? [], (d) => `report/${d.key}`));
  const templatesOf = (b: ParsedBundle | undefined) => {
    const out = byKey(b?.templates ?? [], (d) => `template/${d.key}`);
    for (const [path, text] of Object.entries(b?.templateSources ?? {})) out.set(`template/${path}`, { file: path, value: { source: text } });
    return out;
  };
  changes.compare('template', templatesOf(from), templatesOf(to));

  const locationsOf = (b: ParsedBundle | undefined) =>
    new Map<string, Entry>((b?.locations ?? []).flatMap(({ def, file }): Array<[string, Entry]> => [
      ...def.adminLevels.map((level): [string, Entry] => [`location/level/${level.level}`, { file, value: level }]),
      ...def.locations.map((place): [string, Entry] => [`location/${place.code}`, { file, value: place }]),
    ]));
  changes.compare('location', locationsOf(from), locationsOf(to));

  // Translations: one change per locale, listing the keys whose text changed.
  const translationsOf = (b: ParsedBundle | undefined) => new Map((b?.translations ?? []).map((t) => [`translation/${t.locale}`, { file: t.file, value: t.def }] as const));
  const tBefore = translationsOf(from);
  const tAfter = translationsOf(to);
  for (const id of new Set([...tBefore.keys(), ...tAfter.keys()])) {
    const b = (tBefore.get(id)?.value ?? {}) as Record<string, string>;
    const a = (tAfter.get(id)?.value ?? {}) as Record<string, string>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => b[k] !== a[k]).sort();
    if (keys.length === 0) continue;
    const file = tAfter.get(id)?.file ?? tBefore.get(id)?.file;
    const change = !tBefore.has(id) ? 'added' : !tAfter.has(id) ? 'removed' : 'changed';
    changes.list.push({
      kind: 'translation',
      change,
      id,
      ...(file ? { file } : {}),
      properties: keys,
      ...(change === 'added' ? {} : { before: Object.fromEntries(keys.filter((k) => k in b).map((k) => [k, b[k]])) }),
      ...(change === 'removed' ? {} : { after: Object.fromEntries(keys.filter((k) => k in a).map((k) => [k, a[k]])) }),
    });
  }

  return { changes, candidates, breaking, highlights, ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** Roles of the set that hide identifying fields of the record type (`@identifying` in a grant reaching it). */
function rolesHidingIdentifying(set: readonly ParsedBundle[], module: string, recordType: string): string[] {
  const out = new Set<string>();
  for (const bundle of set) {
    for (const { def } of bundle.roles) {
      if ((def.records ?? []).some((g) => g.module === module && g.recordTypes.includes(recordType) && (g.excludeFields ?? []).includes('@identifying'))) out.add(def.key);
    }
  }
  return [...out].sort();
}

/** What the server has to look up in the records before `diffBundles` can decide the data-dependent flags. */
export function diffUsageQuestions(input: DiffInput): UsageQuestions {
  const { candidates } = analyse(input);
  const fields = new Map<string, { module: string; recordType: string; path: string }>();
  for (const c of candidates.fields) fields.set(`${c.module}/${c.recordType}/${c.path}`, { module: c.module, recordType: c.recordType, path: c.path });
  return {
    fields: [...fields.values()],
    options: candidates.options.map(({ module, recordType, path, multiple, values }) => ({ module, recordType, path, multiple, values })),
  };
}

export function diffBundles(input: DiffInput): BundleDiff {
  const { changes, candidates, breaking, highlights, from, to } = analyse(input);
  const usage: DataUsage | undefined = input.usage;
  const inUse = (module: string, recordType: string, path: string): boolean => usage === undefined || (usage.fields[`${module}/${recordType}`] ?? []).includes(path);
  const valuesInUse = (module: string, recordType: string, path: string, values: readonly string[]): string[] =>
    usage === undefined ? [...values] : values.filter((v) => (usage.options[`${module}/${recordType}/${path}`] ?? []).includes(v));

  const identifyingPaths = (set: readonly ParsedBundle[], module: string, recordType: string) =>
    new Set(recordTypeFields(set, module, recordType).filter((f) => f.identifying).map((f) => f.path));
  for (const c of candidates.fields) {
    if (!inUse(c.module, c.recordType, c.path)) continue;
    changes.flag(c.id, c.code);
    const identifying = identifyingPaths(input.before, c.module, c.recordType).has(c.path);
    breaking.push({ code: c.code, id: c.id, message: c.message, ...(identifying ? { identifying } : {}), details: { module: c.module, recordType: c.recordType, path: c.path } });
  }
  for (const c of candidates.options) {
    const held = valuesInUse(c.module, c.recordType, c.path, c.values);
    if (held.length === 0) continue;
    // Flag the option changes that caused it when they are part of this diff, else the field.
    const ids = held.map((v) => (c.lookup !== undefined ? `lookup/${c.lookup}/option/${v}` : `${c.field}/option/${v}`)).filter((id) => changes.find(id) !== undefined);
    const targets = ids.length > 0 ? ids : [c.field];
    for (const id of targets) changes.flag(id, 'option_removed_in_use');
    breaking.push({
      code: 'option_removed_in_use',
      id: targets[0] as string,
      message: `Option value(s) ${held.map((v) => `"${v}"`).join(', ')} of ${c.path} (${c.module}/${c.recordType}) are removed while records hold them.`,
      details: { module: c.module, recordType: c.recordType, path: c.path, values: held, ...(c.lookup === undefined ? {} : { lookup: c.lookup }) },
    });
  }

  const list = changes.result();
  const count = (kind: 'added' | 'removed' | 'changed') => list.filter((c) => c.change === kind).length;
  return {
    bundle: input.bundle,
    ...(from ? { from: { hash: from.hash, version: from.manifest.version } } : {}),
    ...(to ? { to: { hash: to.hash, version: to.manifest.version } } : {}),
    changes: list,
    breaking: breaking.sort((a, b) => a.code.localeCompare(b.code) || a.id.localeCompare(b.id)),
    highlights,
    summary: { added: count('added'), removed: count('removed'), changed: count('changed'), breaking: breaking.length, highlights: highlights.length },
    usageKnown: usage !== undefined,
  };
}
