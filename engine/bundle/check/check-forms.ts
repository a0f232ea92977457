/** Forms and their fields: namespaces, references, logic, type-specific rules, compute cycles. */
import type { DefinitionCheckEnv } from '../../fields/field-type.js';
import { childFields, fieldType, isSubform, type FieldDefinition, type LeafFieldDefinition } from '../../fields/index.js';
import { computeNodeId, orderComputes, type ComputeNode } from '../../rules/compute-order.js';
import type { LogicEnv, RowScope } from '../../rules/logic-walk.js';
import { pointer as ptr } from '../../util/json-pointer.js';
import type { FormDefinition } from '../schema/form.js';
import type { ParsedBundle, Sourced } from '../types.js';
import { indexUnique, type CheckContext, type FieldEntry, type Namespace, type Owned } from './context.js';
import { checkLogicAt, namespaceLogicEnv, rowScope } from './logic-env.js';

/** `constructor` would read Object.prototype.constructor through JSON Logic `var` on records lacking it. */
const RESERVED_FIELD_KEYS: ReadonlySet<string> = new Set(['constructor']);

function registerField(ctx: CheckContext, into: Map<string, FieldEntry>, entry: FieldEntry, where: string): void {
  const { def } = entry;
  if (RESERVED_FIELD_KEYS.has(def.key)) {
    ctx.report(entry.bundle, entry.file, `${entry.pointer}/key`, 'reserved_key', `"${def.key}" is reserved; name the field differently.`);
  }
  const previous = into.get(def.key);
  if (previous !== undefined) {
    ctx.report(entry.bundle, entry.file, `${entry.pointer}/key`, 'duplicate_field', `Field "${def.key}" is already defined in ${where} (${previous.bundle.key}/${previous.file}, form ${previous.form}).`);
    return;
  }
  into.set(def.key, entry);
}

/** Builds every namespace from every form of every bundle; must run before logic is checked. */
export function indexForms(ctx: CheckContext): void {
  const forms = new Map<string, Owned<FormDefinition>>();
  for (const bundle of ctx.bundles) {
    for (const broken of bundle.broken) {
      if (broken.kind !== 'form' || broken.module === undefined || broken.recordType === undefined) continue;
      const ns = ctx.ensureNamespace(broken.module, broken.recordType);
      for (const field of broken.fields ?? []) ns.brokenFields.set(field.key, new Set(field.children));
    }
    for (const entry of bundle.forms) {
      const { def: form, file } = entry;
      // A duplicated form would also report each of its fields as duplicated: say it once.
      if (!indexUnique(ctx, forms, form.key, { ...entry, bundle }, 'Form')) continue;
      const ns = ctx.ensureNamespace(form.module, form.recordType);
      const where = `${form.module}/${form.recordType}`;
      form.fields.forEach((def, i) => {
        const fieldEntry: FieldEntry = { def, bundle, file, pointer: `/fields/${i}`, form: form.key };
        registerField(ctx, ns.fields, fieldEntry, where);
        if (!isSubform(def) || ns.subforms.has(def.key)) return;
        const rows = new Map<string, FieldEntry>();
        ns.subforms.set(def.key, rows);
        def.fields.forEach((child, j) => {
          registerField(ctx, rows, { def: child, bundle, file, pointer: `/fields/${i}/fields/${j}`, form: form.key, subform: def.key }, `subform ${def.key}`);
        });
      });
    }
  }
  for (const ns of ctx.namespaces.values()) {
    checkAliases(ctx, ns.fields);
    for (const rows of ns.subforms.values()) checkAliases(ctx, rows);
  }
}

function checkAliases(ctx: CheckContext, fields: ReadonlyMap<string, FieldEntry>): void {
  const used = new Map<string, string>();
  for (const entry of fields.values()) {
    (entry.def.aliases ?? []).forEach((alias, i) => {
      const at = `${entry.pointer}/aliases/${i}`;
      if (fields.has(alias)) ctx.report(entry.bundle, entry.file, at, 'alias_collision', `Alias "${alias}" is the key of a field.`);
      else if (used.has(alias)) ctx.report(entry.bundle, entry.file, at, 'alias_collision', `Alias "${alias}" is already an alias of "${used.get(alias)}".`);
      used.set(alias, entry.def.key);
    });
  }
}

/** True when some location file (of any loaded bundle) declares the level; undefined when none exist. */
export function adminLevelLookup(ctx: CheckContext): (level: number | string) => boolean | undefined {
  const levels = new Set<number | string>();
  let any = false;
  for (const bundle of ctx.bundles) {
    if (bundle.broken.some((broken) => broken.kind === 'locations')) return () => undefined;
    for (const { def } of bundle.locations) {
      any = true;
      for (const level of def.adminLevels) levels.add(level.level).add(level.key);
    }
  }
  return (level) => (any ? levels.has(level) : undefined);
}

interface FieldCheck {
  readonly ctx: CheckContext;
  readonly bundle: ParsedBundle;
  readonly file: string;
  readonly env: LogicEnv;
  readonly hasAdminLevel: (level: number | string) => boolean | undefined;
  readonly computes: ComputeNode[];
  readonly entries: Map<string, string>;
}

function checkField(check: FieldCheck, def: FieldDefinition | LeafFieldDefinition, at: string, row: RowScope | undefined): void {
  const { ctx, bundle, file, env } = check;
  const type = fieldType(def.type);
  if (def.required === true && (def.readOnly === true || type?.alwaysReadOnly === true)) {
    ctx.report(bundle, file, `${at}/required`, 'required_read_only', 'A read-only field cannot be required: nobody could fill it.');
  }
  if (def.visibleIf !== undefined) checkLogicAt(ctx, bundle, file, env, def.visibleIf, `${at}/visibleIf`, row);
  if (def.compute !== undefined) {
    const refs = checkLogicAt(ctx, bundle, file, env, def.compute.value, `${at}/compute/value`, row);
    if (def.compute.when !== undefined) refs.push(...checkLogicAt(ctx, bundle, file, env, def.compute.when, `${at}/compute/when`, row));
    const subform = row?.subform;
    const id = computeNodeId(subform, def.key);
    check.computes.push({ id, field: def.key, refs, ...(subform === undefined ? {} : { subform }) });
    check.entries.set(id, `${at}/compute`);
  }
  const env2: DefinitionCheckEnv = {
    report: (pointer, code, message) => ctx.report(bundle, file, `${at}${pointer}`, code, message),
    resolveLookup: (key) => ctx.resolveLookup(bundle, key),
    hasAdminLevel: check.hasAdminLevel,
    checkLogic: (logic, pointer, scope) => {
      checkLogicAt(ctx, bundle, file, env, logic, `${at}${pointer}`, scope === 'rows' ? rowScope(env, def.key) : row);
    },
  };
  type?.checkDefinition?.(def as never, env2);
  if (isSubform(def)) {
    const rows = rowScope(env, def.key);
    childFields(def).forEach((child, j) => checkField(check, child, `${at}/fields/${j}`, rows));
  }
}

export function checkForms(ctx: CheckContext): void {
  const hasAdminLevel = adminLevelLookup(ctx);
  const computes = new Map<Namespace, { nodes: ComputeNode[]; at: Map<string, { bundle: ParsedBundle; file: string; pointer: string }> }>();
  for (const bundle of ctx.bundles) {
    for (const entry of bundle.forms) checkForm(ctx, bundle, entry, hasAdminLevel, computes);
  }
  for (const { nodes, at } of computes.values()) {
    for (const cycle of orderComputes(nodes).cycles) {
      const first = at.get(cycle[0] as string);
      if (first) ctx.report(first.bundle, first.file, first.pointer, 'compute_cycle', `Computed fields depend on each other: ${[...cycle, cycle[0]].join(' -> ')}.`);
    }
  }
}

function checkForm(
  ctx: CheckContext,
  bundle: ParsedBundle,
  { def: form, file }: Sourced<FormDefinition>,
  hasAdminLevel: (level: number | string) => boolean | undefined,
  computes: Map<Namespace, { nodes: ComputeNode[]; at: Map<string, { bundle: ParsedBundle; file: string; pointer: string }> }>,
): void {
  const expected = `${form.module}.${form.recordType}.${form.key}`;
  if (!file.endsWith(`/${expected}.json`)) ctx.report(bundle, file, '', 'file_name_mismatch', `This file must be named "${expected}.json" after the keys it holds.`);

  const module = ctx.modules.get(form.module);
  if (module === undefined || !ctx.sees(bundle, module.bundle)) {
    if (!ctx.isBroken('module', form.module)) ctx.report(bundle, file, '/module', 'unknown_module', `There is no module "${form.module}" in this bundle or its dependencies.`);
  } else if (!module.def.recordTypes.includes(form.recordType)) {
    ctx.report(bundle, file, '/recordType', 'unknown_record_type', `Module "${form.module}" does not list record type "${form.recordType}".`);
  } else {
    const recordType = ctx.recordTypes.get(`${form.module}.${form.recordType}`);
    if (recordType !== undefined && form.group !== undefined && !recordType.def.formGroups.some((group) => group.key === form.group)) {
      ctx.report(bundle, file, '/group', 'unknown_form_group', `Record type ${form.module}/${form.recordType} has no form group "${form.group}".`);
    }
  }

  const ns = ctx.namespace(form.module, form.recordType) as Namespace;
  const env = namespaceLogicEnv(ctx, bundle, ns);
  if (form.visibleIf !== undefined) checkLogicAt(ctx, bundle, file, env, form.visibleIf, '/visibleIf', undefined);
  let slot = computes.get(ns);
  if (slot === undefined) {
    slot = { nodes: [], at: new Map() };
    computes.set(ns, slot);
  }
  const entries = new Map<string, string>();
  const check: FieldCheck = { ctx, bundle, file, env, hasAdminLevel, computes: slot.nodes, entries };
  form.fields.forEach((def, i) => checkField(check, def, ptr('/fields', i), undefined));
  for (const [id, pointer] of entries) slot.at.set(id, { bundle, file, pointer });
}
