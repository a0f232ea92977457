/**
 * Workflows: one per module record type, named after it; states, transitions and approvals reference each other
 * by key; actions come from the role catalogue; guards and field values are JSON Logic over the record type's
 * fields; `setFields` names fields a workflow can set; an approval's `form` is a form of the record type.
 */
import { escapePointerToken } from '../../util/json-pointer.js';
import { isRecordAction } from '../schema/role-catalogue.js';
import type { ApprovalEffects, TransitionEffects, WorkflowDefinition } from '../schema/workflow.js';
import type { ParsedBundle } from '../types.js';
import type { CheckContext } from './context.js';
import { checkLogicAt, namespaceLogicEnv } from './logic-env.js';

/** Field types whose value a workflow effect may compute (single values; no rows, files, layout or tallies). */
export const SETTABLE_FIELD_TYPES: ReadonlySet<string> = new Set([
  'text', 'textarea', 'number', 'date', 'yes_no', 'tick_box', 'select', 'radio', 'multi_select', 'user', 'agency', 'location',
]);

interface WorkflowCheck {
  readonly ctx: CheckContext;
  readonly bundle: ParsedBundle;
  readonly file: string;
  readonly def: WorkflowDefinition;
  readonly states: ReadonlySet<string>;
}

function state(check: WorkflowCheck, key: string, at: string): void {
  if (!check.states.has(key)) check.ctx.report(check.bundle, check.file, at, 'unknown_state', `"${key}" is not a state of this workflow.`);
}

function duplicates(check: WorkflowCheck, items: readonly { readonly key: string }[], base: string, what: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.key)) check.ctx.report(check.bundle, check.file, `${base}/${i}/key`, 'duplicate_key', `${what} "${item.key}" appears twice.`);
    seen.add(item.key);
  });
}

function effects(check: WorkflowCheck, effect: TransitionEffects | ApprovalEffects | undefined, at: string): void {
  if (effect === undefined) return;
  const { ctx, bundle, file, def } = check;
  const ns = ctx.namespace(def.module, def.recordType);
  const env = namespaceLogicEnv(ctx, bundle, ns);
  for (const [key, logic] of Object.entries(effect.setFields ?? {})) {
    const pointer = `${at}/setFields/${escapePointerToken(key)}`;
    const field = ns?.fields.get(key);
    if (field === undefined) {
      if (ns !== undefined && !ns.brokenFields.has(key)) ctx.report(bundle, file, pointer, 'unknown_field', `"${key}" is not a field of ${def.module}/${def.recordType}.`);
    } else if (!SETTABLE_FIELD_TYPES.has(field.def.type) || (field.def.compute !== undefined && field.def.compute.when === undefined)) {
      ctx.report(bundle, file, pointer, 'field_not_settable', `A workflow cannot set "${key}" (a ${field.def.compute === undefined ? field.def.type : 'computed'} field).`);
    }
    checkLogicAt(ctx, bundle, file, env, logic, pointer, undefined);
  }
  if ('moveTo' in effect && effect.moveTo !== undefined) state(check, effect.moveTo, `${at}/moveTo`);
  if ('requestApproval' in effect && effect.requestApproval !== undefined && !(def.approvals ?? []).some((a) => a.key === effect.requestApproval)) {
    ctx.report(bundle, file, `${at}/requestApproval`, 'unknown_approval', `"${effect.requestApproval}" is not an approval of this workflow.`);
  }
}

function checkWorkflow(ctx: CheckContext, bundle: ParsedBundle, file: string, def: WorkflowDefinition): void {
  const module = ctx.modules.get(def.module);
  if (module === undefined || !ctx.sees(bundle, module.bundle)) {
    if (!ctx.isBroken('module', def.module)) ctx.report(bundle, file, '/module', 'unknown_module', `There is no module "${def.module}" in this bundle or its dependencies.`);
  } else if (!module.def.recordTypes.includes(def.recordType)) {
    ctx.report(bundle, file, '/recordType', 'unknown_record_type', `Module "${def.module}" does not list record type "${def.recordType}".`);
  }
  const check: WorkflowCheck = { ctx, bundle, file, def, states: new Set(def.states.map((s) => s.key)) };
  duplicates(check, def.states, '/states', 'State');
  duplicates(check, def.transitions, '/transitions', 'Transition');
  duplicates(check, def.approvals ?? [], '/approvals', 'Approval');
  state(check, def.initial, '/initial');

  const ns = ctx.namespace(def.module, def.recordType);
  const env = namespaceLogicEnv(ctx, bundle, ns);
  const approvals = new Set((def.approvals ?? []).map((a) => a.key));
  const transitions = new Set(def.transitions.map((t) => t.key));
  def.transitions.forEach((t, i) => {
    const at = `/transitions/${i}`;
    if (t.from !== '*') t.from.forEach((from, j) => state(check, from, `${at}/from/${j}`));
    state(check, t.to, `${at}/to`);
    if (!isRecordAction(t.action)) ctx.report(bundle, file, `${at}/action`, 'unknown_action', `"${t.action}" is not a record action (docs/permissions.md).`);
    if (t.guard !== undefined) {
      // Whether a transition is open is shown to everyone who may make it: a guard never reads identifying data.
      for (const ref of checkLogicAt(ctx, bundle, file, env, t.guard.assert, `${at}/guard/assert`, undefined)) {
        const def = ref.subform === undefined ? ns?.fields.get(ref.field)?.def : ns?.subforms.get(ref.subform)?.get(ref.field)?.def;
        const parent = ref.subform === undefined ? undefined : ns?.fields.get(ref.subform)?.def;
        if (def?.identifying === true || parent?.identifying === true) {
          ctx.report(bundle, file, `${at}/guard/assert`, 'identifying_in_guard', `The guard reads the identifying field "${ref.subform === undefined ? ref.field : `${ref.subform}.${ref.field}`}": whether the transition is open would tell about it.`);
        }
      }
    }
    if (t.requiresApproval !== undefined && !approvals.has(t.requiresApproval)) {
      ctx.report(bundle, file, `${at}/requiresApproval`, 'unknown_approval', `"${t.requiresApproval}" is not an approval of this workflow.`);
    }
    effects(check, t.effects, `${at}/effects`);
  });

  const forms = new Set<string>();
  for (const other of ctx.bundles) {
    if (!ctx.sees(bundle, other)) continue;
    for (const { def: form } of other.forms) if (form.module === def.module && form.recordType === def.recordType) forms.add(form.key);
  }
  (def.approvals ?? []).forEach((a, i) => {
    const at = `/approvals/${i}`;
    if (ns !== undefined && !forms.has(a.form)) ctx.report(bundle, file, `${at}/form`, 'unknown_form', `"${a.form}" is not a form of ${def.module}/${def.recordType}.`);
    a.requestIn?.forEach((s, j) => state(check, s, `${at}/requestIn/${j}`));
    a.blocks?.forEach((key, j) => {
      if (!transitions.has(key)) ctx.report(bundle, file, `${at}/blocks/${j}`, 'unknown_transition', `"${key}" is not a transition of this workflow.`);
    });
    effects(check, a.onApprove, `${at}/onApprove`);
    effects(check, a.onReject, `${at}/onReject`);
  });
}

export function checkWorkflows(ctx: CheckContext): void {
  const seen = new Map<string, string>();
  for (const bundle of ctx.bundles) {
    for (const { def, file } of bundle.workflows) {
      const id = `${def.module}.${def.recordType}`;
      if (!file.endsWith(`/${id}.json`)) ctx.report(bundle, file, '', 'file_name_mismatch', `This file must be named "${id}.json" after the record type it holds the workflow of.`);
      const previous = seen.get(id);
      if (previous !== undefined) {
        ctx.report(bundle, file, '', 'duplicate_workflow', `${def.module}/${def.recordType} already has a workflow in ${previous}.`);
        continue;
      }
      seen.set(id, `${bundle.key}/${file}`);
      checkWorkflow(ctx, bundle, file, def);
    }
  }
}
