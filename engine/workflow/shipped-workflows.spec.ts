/**
 * The shipped GBV and CP workflows load with their bundles and walk as the guidelines describe. Files are read
 * with node:fs through a computed specifier (as shipped-roles.spec.ts does), so the engine's tsconfig keeps Node's
 * types out.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadBundles } from '../bundle/load.js';
import { compileBundles } from '../compile/compile-bundles.js';
import type { CompiledConfig, ProcessContext } from '../compile/types.js';
import { readShippedBundle } from '../testing/shipped-bundles.js';


const ctx: ProcessContext = { user: { id: 'u1', agency: 'a', roles: [], groups: [] }, today: '2026-11-25', now: '2026-11-25T10:00:00Z' };
let compiled: CompiledConfig;

beforeAll(() => {
  const result = loadBundles(['core', 'gbv', 'cp'].map((key) => readShippedBundle(key)));
  expect(result.issues).toEqual([]);
  compiled = compileBundles(result.bundles!);
});

describe('shipped workflows', () => {
  it('GBV case: closure needs the whole checklist answered, and `false` counts as an answer', () => {
    const wf = compiled.workflow('gbv', 'case')!;
    expect(wf.initial).toBe('open');
    const closure = wf.transition('request_closure')!;
    const checklist = Object.fromEntries(
      ['needs_met', 'survivor_contact', 'survivor_request_close', 'survivor_left_area', 'transferred_organization', 'funding_constraints', 'safety_plan', 'case_plan_complete', 'no_further_support', 'resume_notification', 'supervisor_review'].map((k) => [`closure_${k}`, false]),
    );
    expect(wf.blocks(closure, { status: 'implementation', data: checklist, approvals: { action_plan: 'approved' } }, ctx)).toEqual([]);
    const { closure_safety_plan: _, ...missingOne } = checklist;
    expect(wf.blocks(closure, { status: 'implementation', data: missingOne, approvals: {} }, ctx).map((b) => b.code)).toEqual(['guard_failed']);
    expect(wf.blocks(closure, { status: 'action_plan', data: checklist, approvals: { action_plan: 'pending' } }, ctx).map((b) => b.code)).toEqual(['approval_pending']);
  });

  it('CP case: the case plan needs an approved assessment', () => {
    const wf = compiled.workflow('cp', 'case')!;
    expect(wf.initial).toBe('open');
    expect(wf.stateLabel('open')).toBe('New');
    const plan = wf.transition('start_case_plan')!;
    const record = { status: 'assessment', data: { assessment_completed_date: '2026-11-20' }, approvals: {} };
    expect(wf.blocks(plan, record, ctx).map((b) => b.code)).toEqual(['approval_required']);
    expect(wf.blocks(plan, { ...record, approvals: { assessment: 'approved' } }, ctx)).toEqual([]);
    expect(wf.fieldValues(plan.effects, {}, ctx).values).toEqual({ date_case_plan: '2026-11-25' });
  });

  it('every setFields value is accepted by the record type', () => {
    for (const wf of [compiled.workflow('gbv', 'case')!, compiled.workflow('cp', 'case')!]) {
      const rt = compiled.recordType(wf.module, wf.recordType);
      for (const effects of [...wf.definition.transitions.map((t) => t.effects), ...wf.approvals.flatMap((a) => [a.onApprove, a.onReject])]) {
        const { values } = wf.fieldValues(effects, {}, ctx);
        for (const [field, value] of Object.entries(values)) expect(rt.validateSchema({ [field]: value })).toEqual([]);
      }
    }
  });
});
