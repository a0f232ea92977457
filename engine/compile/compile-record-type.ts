/**
 * Compiles one module's record type: its fields (from every form of every bundle), the AJV validator
 * of its data, prepared visibility/compute/option/validation rules and the compute order.
 */
import type { Ajv } from 'ajv';
import type { RecordTypeDefinition, RulesFile } from '../bundle/schema/definitions.js';
import type { FormDefinition } from '../bundle/schema/form.js';
import type { FieldBehaviour, FieldCompileEnv, JsonSchema } from '../fields/field-type.js';
import { fieldType, type FieldDefinition, type LeafFieldDefinition } from '../fields/index.js';
import type { TextIndex } from '../i18n/text-index.js';
import { translationKeys } from '../i18n/translation-keys.js';
import { computeNodeId, orderComputes, type ComputeNode } from '../rules/compute-order.js';
import { walkLogic, type LogicEnv, type RowScope } from '../rules/logic-walk.js';
import { processRecord } from './record-processor.js';
import { recordIssuesFromAjv } from './record-issues.js';
import type { ComputeStep, RuntimeField, RuntimeRecordType, RuntimeRows, RuntimeRule } from './runtime.js';
import type { CompiledRecordType, FieldInfo, RecordIssue, SubformInfo } from './types.js';

export interface RecordTypeSources {
  readonly definition: RecordTypeDefinition;
  readonly forms: readonly FormDefinition[];
  readonly rules: readonly RulesFile[];
}

interface Build {
  readonly env: FieldCompileEnv;
  readonly infos: FieldInfo[];
  readonly schemas: Map<string, JsonSchema>;
  rowRules(subform: string): readonly RuntimeRule[];
}

function lookupOf(def: FieldDefinition | LeafFieldDefinition): string | undefined {
  return 'lookup' in def ? def.lookup : undefined;
}

function runtimeField(
  build: Build,
  def: FieldDefinition | LeafFieldDefinition,
  form: FormDefinition,
  formIndex: number,
  subform: string | undefined,
  compiled?: FieldBehaviour,
): RuntimeField {
  const type = fieldType(def.type);
  // Checked bundles only contain registered types; an unknown one would be an engine bug, not bad data.
  if (type === undefined) throw new Error(`Field type "${def.type}" is not registered.`);
  const behaviour = compiled ?? type.compile(def as never, build.env);
  const { prepare } = build.env;
  const options = behaviour.options?.map((option) => option.value);
  const lookup = lookupOf(def);
  const info: FieldInfo = {
    key: def.key,
    path: subform === undefined ? def.key : `${subform}.${def.key}`,
    form: form.key,
    ...(subform === undefined ? {} : { subform }),
    type: def.type,
    widget: type.widget,
    label: def.label,
    identifying: def.identifying === true,
    searchable: def.searchable === true,
    required: def.required === true,
    // A compute without `when` always overwrites the value: the field is read-only in effect.
    readOnly: def.readOnly === true || type.alwaysReadOnly === true || (def.compute !== undefined && def.compute.when === undefined),
    computed: def.compute !== undefined,
    stored: behaviour.schema !== undefined,
    ...(lookup === undefined ? {} : { lookup }),
    ...(options === undefined ? {} : { options }),
    definition: def,
  };
  build.infos.push(info);
  let rows: RuntimeRows | undefined;
  if (behaviour.rows !== undefined) {
    const children = behaviour.rows.fields.map(({ def: child, behaviour: childBehaviour }) =>
      runtimeField(build, child as LeafFieldDefinition, form, formIndex, def.key, childBehaviour),
    );
    rows = {
      byKey: new Map(children.filter((c) => c.info.stored).map((c) => [c.key, c] as const)),
      aliases: aliasMap(children),
      checks: children.filter((c) => c.check !== undefined),
      required: children.filter((c) => c.required),
      ...(behaviour.rows.rowVisibleIf === undefined ? {} : { rowVisibleIf: prepare(behaviour.rows.rowVisibleIf) }),
      ...(behaviour.rows.minRows === undefined ? {} : { minRows: behaviour.rows.minRows }),
      rules: build.rowRules(def.key),
    };
  }
  if (behaviour.schema !== undefined && subform === undefined) build.schemas.set(def.key, behaviour.schema);
  return {
    key: def.key,
    info,
    form: formIndex,
    required: def.required === true,
    ...(behaviour.normalise === undefined ? {} : { normalise: behaviour.normalise }),
    ...(behaviour.check === undefined ? {} : { check: behaviour.check }),
    ...(def.visibleIf === undefined ? {} : { visibleIf: prepare(def.visibleIf) }),
    ...(def.compute === undefined
      ? {}
      : { compute: { value: prepare(def.compute.value), ...(def.compute.when === undefined ? {} : { when: prepare(def.compute.when) }) } }),
    ...(rows === undefined ? {} : { rows }),
  };
}

function aliasMap(fields: readonly RuntimeField[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const field of fields) for (const alias of field.info.definition.aliases ?? []) out.set(alias, field.key);
  return out;
}

function computeSteps(top: readonly RuntimeField[], env: LogicEnv): ComputeStep[] {
  const nodes: ComputeNode[] = [];
  const steps = new Map<string, ComputeStep>();
  const add = (field: RuntimeField, subform: RuntimeField | undefined): void => {
    const compute = field.info.definition.compute;
    if (compute === undefined) return;
    const row: RowScope | undefined = subform === undefined ? undefined : { subform: subform.key, fields: env.subformFields(subform.key) };
    const refs = [compute.value, compute.when].flatMap((logic) => (logic === undefined ? [] : walkLogic(logic, '', env, row, () => undefined)));
    const id = computeNodeId(subform?.key, field.key);
    nodes.push({ id, field: field.key, refs, ...(subform === undefined ? {} : { subform: subform.key }) });
    steps.set(id, subform === undefined ? { field } : { field, subform });
  };
  for (const field of top) {
    add(field, undefined);
    for (const child of field.rows?.byKey.values() ?? []) add(child, field);
  }
  return orderComputes(nodes).order.map((id) => steps.get(id) as ComputeStep);
}

function prepareRules(sources: RecordTypeSources, env: FieldCompileEnv, texts: TextIndex): Map<string | undefined, RuntimeRule[]> {
  const { module, key: recordType } = sources.definition;
  const out = new Map<string | undefined, RuntimeRule[]>();
  for (const rule of sources.rules.flatMap((file) => file.rules)) {
    const key = translationKeys.ruleMessage(module, recordType, rule.key);
    const list = out.get(rule.subform) ?? [];
    list.push({
      key: rule.key,
      assert: env.prepare(rule.assert),
      path: rule.path,
      ...(rule.when === undefined ? {} : { when: env.prepare(rule.when) }),
      message: (locale) => texts.text(key, locale) ?? rule.message,
    });
    out.set(rule.subform, list);
  }
  return out;
}

export function compileRecordType(ajv: Ajv, sources: RecordTypeSources, env: FieldCompileEnv, texts: TextIndex): CompiledRecordType {
  const { definition } = sources;
  const forms = [...sources.forms].sort((a, b) => (a.order ?? 0) - (b.order ?? 0) || a.key.localeCompare(b.key));
  const rules = prepareRules(sources, env, texts);
  const build: Build = { env, infos: [], schemas: new Map(), rowRules: (subform) => rules.get(subform) ?? [] };
  const top: RuntimeField[] = [];
  forms.forEach((form, i) => form.fields.forEach((def) => top.push(runtimeField(build, def, form, i, undefined))));

  const byKey = new Map(top.filter((f) => f.info.stored).map((f) => [f.key, f] as const));
  const logicEnv: LogicEnv = {
    recordFields: undefined,
    subformFields: (key) => {
      const rows = byKey.get(key)?.rows;
      return rows === undefined ? undefined : new Set(rows.byKey.keys());
    },
    resolveLookup: () => ({ status: 'broken' }),
  };

  const jsonSchema: JsonSchema = {
    type: 'object',
    properties: Object.fromEntries(build.schemas),
    additionalProperties: false,
  };
  const validate = ajv.compile(jsonSchema);

  const runtime: RuntimeRecordType = {
    byKey,
    aliases: aliasMap(top),
    checks: top.filter((f) => f.check !== undefined),
    visibilityChecks: top.filter((f) => f.required || (f.rows !== undefined && (f.rows.required.length > 0 || (f.rows.minRows ?? 0) > 0))),
    subformsWithChecks: top.filter((f) => (f.rows?.checks.length ?? 0) > 0),
    subformsWithRules: top.filter((f) => (f.rows?.rules.length ?? 0) > 0),
    forms: forms.map((form) => (form.visibleIf === undefined ? {} : { visibleIf: env.prepare(form.visibleIf) })),
    computes: computeSteps(top, logicEnv),
    rules: rules.get(undefined) ?? [],
    validate,
  };

  const infos = build.infos;
  const infoByPath = new Map(infos.map((info) => [info.path, info] as const));
  const subforms: SubformInfo[] = top.flatMap((field) => {
    const def = field.info.definition;
    if (field.rows === undefined || !('fields' in def)) return [];
    return [{
      key: field.key,
      form: field.info.form,
      fields: infos.filter((info) => info.subform === field.key),
      rowLabelFields: def.rowLabelFields ?? [],
      ...(def.minRows === undefined ? {} : { minRows: def.minRows }),
      ...(def.maxRows === undefined ? {} : { maxRows: def.maxRows }),
    }];
  });

  return {
    module: definition.module,
    key: definition.key,
    label: definition.label,
    definition,
    forms,
    fields: infos,
    field: (path) => infoByPath.get(path),
    identifyingFields: infos.filter((info) => info.identifying).map((info) => info.path),
    searchableFields: infos.filter((info) => info.searchable).map((info) => info.path),
    subforms,
    jsonSchema,
    validateSchema(data) {
      const issues: RecordIssue[] = [];
      if (!validate(data)) recordIssuesFromAjv(validate.errors, issues);
      return issues;
    },
    process: (data, ctx, options) => processRecord(runtime, data, ctx, options),
  };
}
