import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newGroup, newUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * A GBV case walked over HTTP through the shipped workflow, as the Inter-Agency GBV Case Management Guidelines
 * describe it: registration with consent, assessment, action plan approved by the supervisor, implementation and
 * follow-up, closure requested with the checklist, closure approved, reopening. Each step checks who may and may not
 * act, the history, the audit rows and the notifications. (Referral and transfer steps belong to their own suite.)
 * A CP case walks its own workflow at the end.
 */

const RECORDS = '/api/v1/records';
type Api = ReturnType<typeof as>;

describe('workflow walk: a GBV case from registration to reopening', () => {
  let t: TestApp;
  let ds: DataSource;
  let worker: Api;
  let supervisor: Api;
  let otherSupervisor: Api;
  const ids: Record<string, string> = {};
  let caseId = '';
  let version = 0;

  const status = async () => (await ds.query(`SELECT status, version FROM record WHERE id = $1`, [caseId]))[0];
  const lastAudit = async () => (await ds.query(`SELECT action, actor_id FROM audit_log WHERE object_id = $1 ORDER BY id DESC LIMIT 1`, [caseId]))[0];
  const events = async () => (await ds.query(`SELECT user_id, event FROM notification WHERE record_id = $1 ORDER BY id`, [caseId])) as { user_id: string; event: string }[];
  const fire = (api: Api, key: string, body: object = {}) => api.post(`${RECORDS}/case/${caseId}/transitions/${key}`, body);
  const decide = (api: Api, type: string, body: object) => api.post(`${RECORDS}/case/${caseId}/approvals/${type}`, body);

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'WALK' });
    await newGroup(ds, { code: 'walk-team', agency: 'WALK' });
    await newGroup(ds, { code: 'walk-other', agency: 'WALK' });
    const make = async (key: string, role: string, group: string) => {
      const u = await newUser(ds, { agency: 'WALK', groups: [group], roles: [role], email: `${key}@example.org` });
      ids[key] = u.id;
      return as(t, await login(t, u.username, u.password));
    };
    worker = await make('worker', 'gbv_caseworker', 'walk-team');
    supervisor = await make('supervisor', 'gbv_supervisor', 'walk-team');
    otherSupervisor = await make('otherSupervisor', 'gbv_supervisor', 'walk-other');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('1. registration: the case starts open; the assessment needs consent', async () => {
    const res = await worker.post(`${RECORDS}/case`, { module: 'gbv', data: { survivor_code_no: 'WALK-1', sex: 'female', age: 31, name: 'SECRET Walker' } }).expect(201);
    caseId = res.body.id;
    expect(res.body.status).toBe('open');
    const refused = await fire(worker, 'start_assessment').expect(409);
    expect(refused.body.error.issues[0]).toMatchObject({ code: 'guard_failed' });
    await worker.patch(`${RECORDS}/case/${caseId}`, { version: 1, data: { consent_for_services: true, consent_for_services_date: '2026-11-20' } }).expect(200);
    version = 2;
  });

  it('2. assessment: only the owner moves the case', async () => {
    await fire(supervisor, 'start_assessment').expect(403);
    await fire(otherSupervisor, 'start_assessment').expect(404);
    const res = await fire(worker, 'start_assessment', { version }).expect(200);
    expect(res.body.status).toBe('assessment');
    version = res.body.version;
    expect(await lastAudit()).toEqual({ action: 'record.transition', actor_id: ids.worker });
    // Cases show their stage in lists too, filterable by it.
    const listed = await worker.get(`${RECORDS}/case?module=gbv&filter[status]=assessment`).expect(200);
    expect(listed.body.items.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([[caseId, 'assessment']]);
  });

  it('3. action plan: planned after the assessment, approved by the group\'s supervisor', async () => {
    await fire(worker, 'start_action_plan').expect(409);
    await worker.patch(`${RECORDS}/case/${caseId}`, { version, data: { assessment_completion_timing: '1_2_hours', action_plan_section: [{ action_plan_description: 'Health referral', service_type: 'health_medical_service' }] } }).expect(200);
    const planned = await fire(worker, 'start_action_plan').expect(200);
    expect(planned.body.status).toBe('action_plan');

    await decide(worker, 'action_plan', { action: 'request', comment: 'plan agreed with the survivor' }).expect(200);
    expect(await events()).toEqual([{ user_id: ids.supervisor, event: 'approval_requested' }]);
    await fire(worker, 'start_implementation').expect(409);
    await decide(otherSupervisor, 'action_plan', { action: 'approve' }).expect(404);
    await decide(worker, 'action_plan', { action: 'approve' }).expect(403);
    await decide(supervisor, 'action_plan', { action: 'approve', comment: 'approved' }).expect(200);
    expect((await events()).at(-1)).toEqual({ user_id: ids.worker, event: 'approval_decided' });
    expect(await lastAudit()).toEqual({ action: 'record.approval_approve', actor_id: ids.supervisor });
  });

  it('4. implementation, safety plan and follow-up', async () => {
    const res = await fire(worker, 'start_implementation').expect(200);
    expect(res.body.status).toBe('implementation');
    const { version: v } = await status();
    await worker.patch(`${RECORDS}/case/${caseId}`, { version: v, data: { safety_plan_needed: true, safety_plan_developed_with_survivor: true } }).expect(200);
  });

  it('5. closure request: needs the checklist, asks the supervisor', async () => {
    const refused = await fire(worker, 'request_closure').expect(409);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ code: 'guard_failed', message: expect.stringContaining('closure checklist') })]);
    const checklist = Object.fromEntries(
      ['needs_met', 'survivor_contact', 'survivor_request_close', 'survivor_left_area', 'transferred_organization', 'funding_constraints', 'safety_plan', 'case_plan_complete', 'no_further_support', 'resume_notification', 'supervisor_review'].map((k) => [`closure_${k}`, k !== 'survivor_left_area']),
    );
    const { version: v } = await status();
    await worker.patch(`${RECORDS}/case/${caseId}`, { version: v, data: checklist }).expect(200);
    const res = await fire(worker, 'request_closure', { comment: 'goals met' }).expect(200);
    expect(res.body.status).toBe('closure_requested');
    expect((await events()).at(-1)).toEqual({ user_id: ids.supervisor, event: 'approval_requested' });
    // The case cannot be closed by the caseworker alone, nor reopened while closure is pending.
    await decide(worker, 'gbv_closure', { action: 'approve' }).expect(403);
  });

  it('6. closure approval: the supervisor closes the case; the closure date is set', async () => {
    await decide(otherSupervisor, 'gbv_closure', { action: 'approve' }).expect(404);
    const res = await decide(supervisor, 'gbv_closure', { action: 'approve', comment: 'closing' }).expect(200);
    expect(res.body.status).toBe('closed');
    // The supervisor reads no identifying field, but sees the closure date.
    expect(res.body.data.date_closure).toBe(new Date().toISOString().slice(0, 10));
    expect(res.body.data.name).toBeUndefined();
    const options = await worker.get(`${RECORDS}/case/${caseId}/transitions`).expect(200);
    expect(options.body.state).toMatchObject({ key: 'closed', final: true });
    expect(options.body.transitions.map((o: { key: string; allowed: boolean }) => [o.key, o.allowed])).toEqual([['reopen', true]]);
  });

  it('7. reopening: by the owner (reopen action), the supervisors are told', async () => {
    await fire(supervisor, 'reopen').expect(403);
    const res = await fire(worker, 'reopen').expect(200);
    expect(res.body.status).toBe('reopened');
    expect((await events()).at(-1)).toEqual({ user_id: ids.supervisor, event: 'transition' });
    const options = await worker.get(`${RECORDS}/case/${caseId}/transitions`).expect(200);
    expect(options.body.transitions.map((o: { key: string }) => o.key)).toEqual(['start_assessment']);
  });

  it('the whole way is in the history (workflow events to the supervisor too) and the audit log', async () => {
    const history = await supervisor.get(`${RECORDS}/case/${caseId}/history`).expect(200);
    const statusChanges = history.body.items.flatMap((h: { changes: { path: string; to: unknown }[] }) => h.changes.filter((c) => c.path === '$status').map((c) => c.to));
    expect(statusChanges).toEqual(['assessment', 'action_plan', 'implementation', 'closure_requested', 'closed', 'reopened']);
    expect(JSON.stringify(history.body)).not.toContain('SECRET');
    const audit = await ds.query(`SELECT action FROM audit_log WHERE object_id = $1 AND action LIKE 'record.%' AND action <> 'record.read' ORDER BY id`, [caseId]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'record.create',
      'record.update',
      'record.transition',
      'record.update',
      'record.transition',
      'record.approval_request',
      'record.approval_approve',
      'record.transition',
      'record.update',
      'record.update',
      'record.transition',
      'record.approval_approve',
      'record.transition',
    ]);
    const approvals = await worker.get(`${RECORDS}/case/${caseId}/approvals`).expect(200);
    expect(approvals.body.items.map((a: { type: string; status: string }) => `${a.type}:${a.status}`)).toEqual(['action_plan:approved', 'gbv_closure:approved']);
  });

  it('8. after reopening, the new action plan needs its own approval: the earlier one no longer counts', async () => {
    await fire(worker, 'start_assessment').expect(200);
    await fire(worker, 'start_action_plan').expect(200);
    const blocked = await fire(worker, 'start_implementation').expect(409);
    expect(blocked.body.error.issues.map((i: { code: string }) => i.code)).toEqual(['approval_required']);
    const history = await worker.get(`${RECORDS}/case/${caseId}/history`).expect(200);
    expect(history.body.items.at(-1).changes).toContainEqual({ path: '$approval/action_plan', from: 'approved', to: 'cancelled' });
    await decide(worker, 'action_plan', { action: 'request', comment: 'revised plan' }).expect(200);
    await decide(supervisor, 'action_plan', { action: 'approve', comment: 'approved again' }).expect(200);
    await fire(worker, 'start_implementation').expect(200);
  });
});

describe('workflow walk: a CP case through CPIMS+ stages', () => {
  let t: TestApp;
  let ds: DataSource;
  let worker: Api;
  let supervisor: Api;
  let id = '';
  const fire = (api: Api, key: string) => api.post(`${RECORDS}/case/${id}/transitions/${key}`, {});
  const approval = (api: Api, type: string, action: string) => api.post(`${RECORDS}/case/${id}/approvals/${type}`, { action, ...(action === 'reject' ? { comment: 'redo' } : {}) });
  const version = async () => (await ds.query(`SELECT version FROM record WHERE id = $1`, [id]))[0].version as number;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'CPW' });
    await newGroup(ds, { code: 'cpw-team', agency: 'CPW' });
    const w = await newUser(ds, { agency: 'CPW', groups: ['cpw-team'], roles: ['cp_caseworker'] });
    const s = await newUser(ds, { agency: 'CPW', groups: ['cpw-team'], roles: ['cp_supervisor'] });
    worker = as(t, await login(t, w.username, w.password));
    supervisor = as(t, await login(t, s.username, s.password));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('open (New) → assessment (approved) → case plan (approved) → implementation → closure (approved) → closed → reopened', async () => {
    const created = await worker.post(`${RECORDS}/case`, { module: 'cp', data: { registration_date: '2026-11-01', sex: 'female', age: 12 } }).expect(201);
    id = created.body.id;
    expect(created.body.status).toBe('open');
    const assessment = await fire(worker, 'start_assessment').expect(200);
    expect(assessment.body).toMatchObject({ status: 'assessment', data: { assessment_requested_on: new Date().toISOString().slice(0, 10) } });

    await worker.patch(`${RECORDS}/case/${id}`, { version: await version(), data: { assessment_completed_date: new Date().toISOString().slice(0, 10) } }).expect(200);
    expect((await fire(worker, 'start_case_plan').expect(409)).body.error.issues[0].code).toBe('approval_required');
    await approval(worker, 'assessment', 'request').expect(200);
    await approval(supervisor, 'assessment', 'approve').expect(200);
    const plan = await fire(worker, 'start_case_plan').expect(200);
    expect(plan.body.status).toBe('case_plan');

    await approval(worker, 'case_plan', 'request').expect(200);
    await approval(supervisor, 'case_plan', 'approve').expect(200);
    const noInterventions = await fire(worker, 'start_implementation').expect(409);
    expect(noInterventions.body.error.issues[0]).toMatchObject({ code: 'guard_failed', message: expect.stringContaining('intervention') });
    await worker.patch(`${RECORDS}/case/${id}`, { version: await version(), data: { cp_case_plan_subform_case_plan_interventions: [{ intervention_service_goal: 'School enrolment' }] } }).expect(200);
    await fire(worker, 'start_implementation').expect(200);

    await worker.patch(`${RECORDS}/case/${id}`, { version: await version(), data: { closure_reason: (await closureReason(ds)), closure_child_safe: true } }).expect(200);
    await fire(worker, 'request_closure').expect(200);
    const rejected = await approval(supervisor, 'closure', 'reject').expect(200);
    expect(rejected.body.status).toBe('implementation');
    await fire(worker, 'request_closure').expect(200);
    const closed = await approval(supervisor, 'closure', 'approve').expect(200);
    expect(closed.body).toMatchObject({ status: 'closed', data: { date_closure: new Date().toISOString().slice(0, 10) } });
    await fire(supervisor, 'reopen').expect(403);
    expect((await fire(worker, 'reopen').expect(200)).body.status).toBe('reopened');
  });
});

/** A value of the CP closure reason lookup as the active bundle has it. */
async function closureReason(ds: DataSource): Promise<string> {
  const rows: { text: string }[] = await ds.query(
    `SELECT f.value AS text FROM config_active a JOIN config_bundle b ON b.hash = a.hash, jsonb_each_text(b.files) f WHERE f.key = 'lookups/cp_closure_reason.json'`,
  );
  return (JSON.parse(rows[0]!.text) as { values: { value: string }[] }).values[0]!.value;
}
