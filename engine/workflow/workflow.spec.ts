import { describe, expect, it } from '@jest/globals';
import { compileOrThrow, loadIssues, makeBundle, testContext } from '../testing/bundle-factory.js';

/** Workflow files: schema, cross-references, compiled guards and effects, translations. */

const FIELDS = [
  { key: 'consent', type: 'yes_no', label: 'Consent' },
  { key: 'closed_on', type: 'date', label: 'Closed on' },
  { key: 'notes', type: 'textarea', label: 'Notes' },
  { key: 'total', type: 'calculated', label: 'Total', compute: { value: 1 } },
  { key: 'rows', type: 'subform', label: 'Rows', fields: [{ key: 'n', type: 'number', label: 'N' }, { key: 'who', type: 'text', label: 'Who', identifying: true }] },
  { key: 'name', type: 'text', label: 'Name', identifying: true },
];

const WORKFLOW = {
  module: 'm',
  recordType: 'case',
  initial: 'open',
  states: [
    { key: 'open', label: 'Open', stage: 1 },
    { key: 'closing', label: 'Closing', stage: 2 },
    { key: 'closed', label: 'Closed', stage: 3, final: true },
    { key: 'reopened', label: 'Reopened', stage: 1 },
  ],
  transitions: [
    {
      key: 'request_closure',
      label: 'Request closure',
      from: '*',
      to: 'closing',
      action: 'close',
      guard: { assert: { '==': [{ var: 'record.consent' }, true] }, message: 'Consent first.' },
      effects: { requestApproval: 'gbv_closure', notify: ['supervisors'] },
    },
    { key: 'finish', label: 'Finish', from: ['closing'], to: 'closed', action: 'close', requiresApproval: 'gbv_closure' },
    { key: 'reopen', label: 'Reopen', from: ['closed'], to: 'reopened', action: 'reopen' },
  ],
  approvals: [
    {
      key: 'gbv_closure',
      label: 'Closure approval',
      form: 'main_form',
      requestIn: ['closing'],
      blocks: ['reopen'],
      onApprove: { moveTo: 'closed', setFields: { closed_on: { if: [{ var: 'record.closed_on' }, { var: 'record.closed_on' }, { var: 'today' }] } } },
      onReject: { moveTo: 'open' },
    },
  ],
};

const bundle = (workflow: unknown, extra: Record<string, unknown> = {}) =>
  makeBundle({ fields: FIELDS, files: { 'workflows/m.case.json': workflow, ...extra } });
const codes = (workflow: unknown) => loadIssues(bundle(workflow)).map((i) => `${i.code} ${i.pointer}`);
const ctx = testContext();

describe('workflow files: checks', () => {
  it('accepts a consistent workflow', () => {
    expect(codes(WORKFLOW)).toEqual([]);
  });

  it.each([
    ['unknown initial state', { ...WORKFLOW, initial: 'nowhere' }, 'unknown_state /initial'],
    ['unknown target state', { ...WORKFLOW, transitions: [{ ...WORKFLOW.transitions[2], to: 'limbo' }] }, 'unknown_state /transitions/0/to'],
    ['unknown action', { ...WORKFLOW, transitions: [{ ...WORKFLOW.transitions[2], action: 'teleport' }] }, 'unknown_action /transitions/0/action'],
    ['unknown var in a guard', { ...WORKFLOW, transitions: [{ ...WORKFLOW.transitions[0], guard: { assert: { var: 'record.nope' }, message: 'x' } }] }, 'unknown_var_field /transitions/0/guard/assert/var'],
    ['a guard reading an identifying field', { ...WORKFLOW, transitions: [{ ...WORKFLOW.transitions[0], guard: { assert: { in: ['Amina', { var: 'record.name' }] }, message: 'x' } }] }, 'identifying_in_guard /transitions/0/guard/assert'],
    ['unknown operator in a guard', { ...WORKFLOW, transitions: [{ ...WORKFLOW.transitions[0], guard: { assert: { log: 1 }, message: 'x' } }] }, 'unknown_operator /transitions/0/guard/assert/log'],
    ['approval not declared', { ...WORKFLOW, approvals: [] }, 'unknown_approval /transitions/0/effects/requestApproval'],
    ['field that does not exist', { ...WORKFLOW, transitions: [{ ...WORKFLOW.transitions[2], effects: { setFields: { ghost: 1 } } }] }, 'unknown_field /transitions/0/effects/setFields/ghost'],
    ['computed field', { ...WORKFLOW, transitions: [{ ...WORKFLOW.transitions[2], effects: { setFields: { total: 1 } } }] }, 'field_not_settable /transitions/0/effects/setFields/total'],
    ['subform', { ...WORKFLOW, transitions: [{ ...WORKFLOW.transitions[2], effects: { setFields: { rows: [] } } }] }, 'field_not_settable /transitions/0/effects/setFields/rows'],
    ['unknown blocked transition', { ...WORKFLOW, approvals: [{ ...WORKFLOW.approvals[0], blocks: ['jump'] }] }, 'unknown_transition /approvals/0/blocks/0'],
    ['unknown form', { ...WORKFLOW, approvals: [{ ...WORKFLOW.approvals[0], form: 'nope' }] }, 'unknown_form /approvals/0/form'],
    ['unknown moveTo', { ...WORKFLOW, approvals: [{ ...WORKFLOW.approvals[0], onReject: { moveTo: 'gone' } }] }, 'unknown_state /approvals/0/onReject/moveTo'],
    ['approval outside the catalogue', { ...WORKFLOW, approvals: [{ ...WORKFLOW.approvals[0], key: 'vibes' }] }, 'invalid_value /approvals/0/key'],
    ['duplicate state', { ...WORKFLOW, states: [...WORKFLOW.states, { key: 'open', label: 'Again' }] }, 'duplicate_key /states/4/key'],
    ['unknown record type', { ...WORKFLOW, recordType: 'incident' }, 'unknown_record_type /recordType'],
  ])('reports %s', (_name, workflow, expected) => {
    expect(codes(workflow)).toContain(expected);
  });

  it('names the file after the module and record type', () => {
    const issues = loadIssues(makeBundle({ fields: FIELDS, files: { 'workflows/other.json': WORKFLOW } }));
    expect(issues.map((i) => i.code)).toContain('file_name_mismatch');
  });
});

describe('compiled workflows', () => {
  const compiled = compileOrThrow(bundle(WORKFLOW, { 'translations/fr.json': { 'workflow.m.case.transition.request_closure.guard': 'Consentement d’abord.', 'workflow.m.case.state.open.label': 'Ouvert' } }));
  const wf = compiled.workflow('m', 'case')!;

  it('is reachable from the config and the record type, with states in stage order', () => {
    expect(compiled.recordType('m', 'case').workflow).toBe(wf);
    expect(wf.initial).toBe('open');
    expect(wf.states.map((s) => s.key)).toEqual(['open', 'reopened', 'closing', 'closed']);
    expect(compiled.workflow('m', 'nothing')).toBeUndefined();
  });

  it('lists the transitions leaving a state (`*` never leaves a final state)', () => {
    expect(wf.transitionsFrom('open').map((t) => t.key)).toEqual(['request_closure']);
    expect(wf.transitionsFrom('closed').map((t) => t.key)).toEqual(['reopen']);
  });

  it.each([
    ['guard holds', 'request_closure', { status: 'open', data: { consent: true }, approvals: {} }, []],
    ['guard fails', 'request_closure', { status: 'open', data: { consent: false }, approvals: {} }, ['guard_failed']],
    ['wrong state', 'finish', { status: 'open', data: {}, approvals: { gbv_closure: 'approved' } }, ['wrong_state']],
    ['approval never requested', 'finish', { status: 'closing', data: {}, approvals: {} }, ['approval_required']],
    ['approval pending', 'finish', { status: 'closing', data: {}, approvals: { gbv_closure: 'pending' } }, ['approval_pending']],
    ['approval rejected', 'finish', { status: 'closing', data: {}, approvals: { gbv_closure: 'rejected' } }, ['approval_required']],
    ['approved', 'finish', { status: 'closing', data: {}, approvals: { gbv_closure: 'approved' } }, []],
    ['blocked by a pending approval', 'reopen', { status: 'closed', data: {}, approvals: { gbv_closure: 'pending' } }, ['approval_pending']],
  ] as const)('%s', (_name, key, record, expected) => {
    expect(wf.blocks(wf.transition(key)!, record, ctx).map((b) => b.code)).toEqual(expected);
  });

  it('gives the guard message in the caller\'s locale, falling back to the base text', () => {
    const record = { status: 'open', data: {}, approvals: {} };
    expect(wf.blocks(wf.transition('request_closure')!, record, ctx)[0]?.message).toBe('Consent first.');
    expect(wf.blocks(wf.transition('request_closure')!, record, { ...ctx, locale: 'fr' })[0]?.message).toBe('Consentement d’abord.');
    expect(wf.stateLabel('open', 'fr')).toBe('Ouvert');
    expect(wf.stateLabel('closed', 'fr')).toBe('Closed');
  });

  it('computes setFields from the record and the context', () => {
    const onApprove = wf.approval('gbv_closure')!.onApprove;
    expect(wf.fieldValues(onApprove, {}, ctx)).toEqual({ values: { closed_on: ctx.today }, failed: [] });
    expect(wf.fieldValues(onApprove, { closed_on: '2026-01-02' }, ctx).values).toEqual({ closed_on: '2026-01-02' });
    expect(wf.fieldValues(undefined, {}, ctx)).toEqual({ values: {}, failed: [] });
  });

  it('knows where an approval may be requested', () => {
    const approval = wf.approval('gbv_closure')!;
    expect(wf.requestable(approval, 'closing')).toBe(true);
    expect(wf.requestable(approval, 'open')).toBe(false);
  });
});
