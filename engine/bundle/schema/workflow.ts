/**
 * Workflow files (`workflows/<module>.<recordType>.json`, docs/workflow.md): the states a record type moves
 * through, the transitions between them (who may fire them, under which JSON Logic guard, with which side
 * effects) and the approvals supervisors decide. Side effects come from a fixed set: set fields, request an
 * approval, notify, move to a state (approval outcomes only).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Key, Logic, StringEnum, Text } from './common.js';
import { APPROVAL_TYPES } from './role-catalogue.js';

const strict = { additionalProperties: false } as const;

/** Who a `notify` effect reaches: the record's owner, the requester of its latest approval, the owner's supervisors. */
export const NOTIFY_TARGETS = ['owner', 'requester', 'supervisors'] as const;
export type NotifyTarget = (typeof NOTIFY_TARGETS)[number];

/** Field key -> JSON Logic computing its new value (sees `record`, `user`, `today`, `now`). */
const SetFields = Type.Record(Key, Logic, { minProperties: 1 });

const Notify = Type.Array(StringEnum(NOTIFY_TARGETS), { minItems: 1, uniqueItems: true });

export const WorkflowStateSchema = Type.Object(
  {
    key: Key,
    label: Text,
    /** Position on the case's progress bar (several states may share a stage, e.g. `open` and `reopened`). */
    stage: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    /** No transition leaves a final state except those naming it in `from` explicitly (e.g. reopening). */
    final: Type.Optional(Type.Boolean()),
  },
  strict,
);
export type WorkflowState = Static<typeof WorkflowStateSchema>;

export const TransitionEffectsSchema = Type.Object(
  {
    setFields: Type.Optional(SetFields),
    requestApproval: Type.Optional(StringEnum(APPROVAL_TYPES)),
    notify: Type.Optional(Notify),
  },
  strict,
);
export type TransitionEffects = Static<typeof TransitionEffectsSchema>;

export const WorkflowGuardSchema = Type.Object({ assert: Logic, message: Text }, strict);
export type WorkflowGuard = Static<typeof WorkflowGuardSchema>;

export const WorkflowTransitionSchema = Type.Object(
  {
    key: Key,
    label: Text,
    /** States it leaves; `*` = every state that is not final. */
    from: Type.Union([Type.Literal('*'), Type.Array(Key, { minItems: 1, uniqueItems: true })]),
    to: Key,
    /** The record action (role catalogue) the caller needs on the record. */
    action: Key,
    guard: Type.Optional(WorkflowGuardSchema),
    /** The latest request of this approval type must have been approved. */
    requiresApproval: Type.Optional(StringEnum(APPROVAL_TYPES)),
    effects: Type.Optional(TransitionEffectsSchema),
  },
  strict,
);
export type WorkflowTransition = Static<typeof WorkflowTransitionSchema>;

export const ApprovalEffectsSchema = Type.Object(
  {
    setFields: Type.Optional(SetFields),
    moveTo: Type.Optional(Key),
    notify: Type.Optional(Notify),
  },
  strict,
);
export type ApprovalEffects = Static<typeof ApprovalEffectsSchema>;

export const WorkflowApprovalSchema = Type.Object(
  {
    key: StringEnum(APPROVAL_TYPES),
    label: Text,
    /** The form the approval concerns (what the supervisor reviews). */
    form: Key,
    /** States in which it may be requested; default: every state that is not final. */
    requestIn: Type.Optional(Type.Array(Key, { minItems: 1, uniqueItems: true })),
    /** Transitions a pending request of this type blocks. */
    blocks: Type.Optional(Type.Array(Key, { uniqueItems: true })),
    onApprove: Type.Optional(ApprovalEffectsSchema),
    onReject: Type.Optional(ApprovalEffectsSchema),
  },
  strict,
);
export type WorkflowApproval = Static<typeof WorkflowApprovalSchema>;

export const WorkflowSchema = Type.Object(
  {
    module: Key,
    recordType: Key,
    description: Type.Optional(Type.String()),
    initial: Key,
    states: Type.Array(WorkflowStateSchema, { minItems: 1 }),
    transitions: Type.Array(WorkflowTransitionSchema),
    approvals: Type.Optional(Type.Array(WorkflowApprovalSchema)),
  },
  strict,
);
export type WorkflowDefinition = Static<typeof WorkflowSchema>;
