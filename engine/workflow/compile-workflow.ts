/**
 * A workflow file compiled once per configuration: guards and field values prepared as closures, states,
 * transitions and approvals indexed by key, texts localized through the text index. Evaluating says what blocks
 * a transition on a record (never who the caller is: permissions are the server's, through the ability).
 */
import type { ApprovalEffects, TransitionEffects, WorkflowApproval, WorkflowDefinition, WorkflowState, WorkflowTransition } from '../bundle/schema/workflow.js';
import type { ProcessContext } from '../compile/types.js';
import type { TextIndex } from '../i18n/text-index.js';
import { translationKeys } from '../i18n/translation-keys.js';
import type { RuleData } from '../rules/context.js';
import { RULE_ERROR, type PreparedRule } from '../rules/prepare.js';

/** The state of one approval type on a record: its latest request's status, or none. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'cancelled';

/** What a workflow needs to know about one record. */
export interface WorkflowRecord {
  readonly status: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Approval type -> status of its latest request (absent: never requested). */
  readonly approvals: Readonly<Record<string, ApprovalStatus | undefined>>;
}

export type WorkflowBlockCode = 'wrong_state' | 'guard_failed' | 'approval_pending' | 'approval_required';

/** Why a transition cannot be fired on a record now. */
export interface WorkflowBlock {
  readonly code: WorkflowBlockCode;
  readonly message: string;
  readonly approval?: string;
}

/** Values computed by `setFields`; `failed` names fields whose logic could not be evaluated on this record. */
export interface FieldValues {
  readonly values: Readonly<Record<string, unknown>>;
  readonly failed: readonly string[];
}

export interface CompiledWorkflow {
  readonly module: string;
  readonly recordType: string;
  readonly definition: WorkflowDefinition;
  readonly initial: string;
  /** States in progress-bar order (`stage`, then file order). */
  readonly states: readonly WorkflowState[];
  state(key: string): WorkflowState | undefined;
  transition(key: string): WorkflowTransition | undefined;
  approval(key: string): WorkflowApproval | undefined;
  readonly approvals: readonly WorkflowApproval[];
  /** Transitions that leave `status` (`*` leaves every state that is not final). */
  transitionsFrom(status: string): readonly WorkflowTransition[];
  /** Why `transition` cannot be fired on `record` now (empty: it can, as far as the record goes). */
  blocks(transition: WorkflowTransition, record: WorkflowRecord, ctx: ProcessContext): readonly WorkflowBlock[];
  /** Whether an approval of this type may be requested in `status`. */
  requestable(approval: WorkflowApproval, status: string): boolean;
  /** The values an effect's `setFields` computes on the record's data. */
  fieldValues(effects: TransitionEffects | ApprovalEffects | undefined, data: Readonly<Record<string, unknown>>, ctx: ProcessContext): FieldValues;
  stateLabel(key: string, locale?: string): string;
  transitionLabel(key: string, locale?: string): string;
  approvalLabel(key: string, locale?: string): string;
}

export interface WorkflowCompileEnv {
  readonly prepare: (logic: unknown) => PreparedRule;
  readonly texts: TextIndex;
}

function ruleData(data: Readonly<Record<string, unknown>>, ctx: ProcessContext): RuleData {
  return { record: data, user: ctx.user, today: ctx.today, now: ctx.now };
}

export function compileWorkflow(def: WorkflowDefinition, env: WorkflowCompileEnv): CompiledWorkflow {
  const { module, recordType } = def;
  const text = (part: 'state' | 'transition' | 'approval', key: string, kind: 'label' | 'guard', fallback: string, locale?: string) =>
    env.texts.text(translationKeys.workflowText(module, recordType, part, key, kind), locale) ?? fallback;
  const states = new Map(def.states.map((s) => [s.key, s] as const));
  const transitions = new Map(def.transitions.map((t) => [t.key, t] as const));
  const approvals = new Map<string, WorkflowApproval>((def.approvals ?? []).map((a) => [a.key, a] as const));
  const guards = new Map(def.transitions.flatMap((t) => (t.guard === undefined ? [] : [[t.key, env.prepare(t.guard.assert)] as const])));
  const setters = new WeakMap<object, readonly (readonly [string, PreparedRule])[]>();
  const settersOf = (effects: TransitionEffects | ApprovalEffects): readonly (readonly [string, PreparedRule])[] => {
    let found = setters.get(effects);
    if (found === undefined) {
      found = Object.entries(effects.setFields ?? {}).map(([field, logic]) => [field, env.prepare(logic)] as const);
      setters.set(effects, found);
    }
    return found;
  };
  // Prepare every effect now: compile once, not on the first request.
  for (const t of def.transitions) if (t.effects !== undefined) settersOf(t.effects);
  for (const a of def.approvals ?? []) for (const e of [a.onApprove, a.onReject]) if (e !== undefined) settersOf(e);

  const isFinal = (key: string) => states.get(key)?.final === true;
  const leaves = (t: WorkflowTransition, status: string) => (t.from === '*' ? states.has(status) && !isFinal(status) : t.from.includes(status));
  const ordered = def.states
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (a.s.stage ?? a.i) - (b.s.stage ?? b.i) || a.i - b.i)
    .map(({ s }) => s);
  const blockers = new Map<string, readonly string[]>();
  for (const a of def.approvals ?? []) for (const key of a.blocks ?? []) blockers.set(key, [...(blockers.get(key) ?? []), a.key]);

  return {
    module,
    recordType,
    definition: def,
    initial: def.initial,
    states: ordered,
    state: (key) => states.get(key),
    transition: (key) => transitions.get(key),
    approval: (key) => approvals.get(key),
    approvals: def.approvals ?? [],
    transitionsFrom: (status) => def.transitions.filter((t) => leaves(t, status)),
    blocks(transition, record, ctx) {
      const out: WorkflowBlock[] = [];
      if (!leaves(transition, record.status)) {
        out.push({ code: 'wrong_state', message: `The record is ${text('state', record.status, 'label', record.status, ctx.locale)}: "${text('transition', transition.key, 'label', transition.label, ctx.locale)}" does not apply.` });
      }
      for (const type of blockers.get(transition.key) ?? []) {
        if (record.approvals[type] === 'pending') {
          out.push({ code: 'approval_pending', approval: type, message: `Waiting for the decision on: ${text('approval', type, 'label', type, ctx.locale)}.` });
        }
      }
      const required = transition.requiresApproval;
      if (required !== undefined && !out.some((b) => b.approval === required)) {
        const label = text('approval', required, 'label', required, ctx.locale);
        if (record.approvals[required] === 'pending') out.push({ code: 'approval_pending', approval: required, message: `Waiting for the decision on: ${label}.` });
        else if (record.approvals[required] !== 'approved') out.push({ code: 'approval_required', approval: required, message: `Needs an approved ${label}.` });
      }
      const guard = guards.get(transition.key);
      if (guard !== undefined && !guard.test(ruleData(record.data, ctx))) {
        out.push({ code: 'guard_failed', message: text('transition', transition.key, 'guard', transition.guard?.message ?? '', ctx.locale) });
      }
      return out;
    },
    requestable: (approval, status) => (approval.requestIn === undefined ? states.has(status) && !isFinal(status) : approval.requestIn.includes(status)),
    fieldValues(effects, data, ctx) {
      if (effects === undefined) return { values: {}, failed: [] };
      const values: Record<string, unknown> = {};
      const failed: string[] = [];
      const input = ruleData(data, ctx);
      for (const [field, rule] of settersOf(effects)) {
        const value = rule.evaluate(input);
        if (value === RULE_ERROR) failed.push(field);
        else values[field] = value ?? null;
      }
      return { values, failed };
    },
    stateLabel: (key, locale) => text('state', key, 'label', states.get(key)?.label ?? key, locale),
    transitionLabel: (key, locale) => text('transition', key, 'label', transitions.get(key)?.label ?? key, locale),
    approvalLabel: (key, locale) => text('approval', key, 'label', approvals.get(key)?.label ?? key, locale),
  };
}
