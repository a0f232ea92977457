import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newGroup, newUser } from './support/factories.js';
import { decodedText, eventually, SmtpSink } from './support/smtp-sink.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * ONE GBV case walked over HTTP through the whole shipped workflow, on the shipped bundles, as the Inter-Agency GBV
 * Case Management Guidelines describe it: registration with consent, assessment, action plan approved by the
 * supervisor of the caseworker's group, implementation, a legal referral declined (after the survivor's consent to
 * share with legal services was recorded), a health referral accepted and provided by a clinic of another agency, a
 * transfer to a caseworker of a fourth agency, closure requested by the new owner, approved by the supervisor of
 * the new owner's group, and reopening. Each step checks who may act and who may not, the record's history (`$`
 * paths), the audit row `record.<action>`, the in-app notifications and the e-mails the loopback SMTP sink receives.
 * The survivor's name is in neither the audit rows nor any e-mail.
 */

const RECORDS = '/api/v1/records';
const NAME = 'Amina SECRETNAME';
const CODE = 'GBV-WALK-001';
type Api = ReturnType<typeof as>;
type Who = 'worker' | 'supervisor' | 'otherSupervisor' | 'manager' | 'legal' | 'clinic' | 'successor' | 'successorSupervisor';
interface Change {
  path: string;
  from: unknown;
  to: unknown;
  [key: string]: unknown;
}
interface HistoryItem {
  version: number;
  actor: string | null;
  action: string;
  changes: Change[];
}

/** Field keys of a shipped GBV case form (subform keys included, separators left out). */
function formFields(form: string): string[] {
  const file = path.resolve('configs', 'gbv', 'forms', `gbv.case.${form}.json`);
  const def = JSON.parse(fs.readFileSync(file, 'utf8')) as { fields: { key: string; type: string }[] };
  return def.fields.filter((f) => f.type !== 'separator').map((f) => f.key);
}

/** Every closure checklist question of the shipped closure form answered. */
const CHECKLIST = Object.fromEntries(
  [
    'needs_met',
    'survivor_contact',
    'survivor_request_close',
    'survivor_left_area',
    'transferred_organization',
    'funding_constraints',
    'safety_plan',
    'case_plan_complete',
    'no_further_support',
    'resume_notification',
    'supervisor_review',
  ].map((k) => [`closure_${k}`, k !== 'survivor_left_area']),
);

describe('GBV case walk: registration to reopening, with approvals, two referrals and a transfer across agencies', () => {
  let t: TestApp;
  let ds: DataSource;
  let sink: SmtpSink;
  const api = {} as Record<Who, Api>;
  const ids = {} as Record<Who, string>;
  const names = {} as Record<Who, string>;
  const email = (who: Who) => `${who.toLowerCase()}@gbv-walk.example.org`;
  const whoIs = (userId: string) => (Object.keys(ids) as Who[]).find((w) => ids[w] === userId) ?? userId;

  let caseId = '';
  let displayId = '';
  let legalReferral = '';
  let healthReferral = '';
  let transfer = '';
  /** Notification rows of the case already checked by an earlier step. */
  let notificationsSeen = 0;

  const url = (suffix = '') => `${RECORDS}/case/${caseId}${suffix}`;
  const get = (who: Who) => api[who].get(url());
  const fire = (who: Who, key: string, body: object = {}) => api[who].post(url(`/transitions/${key}`), body);
  const decide = (who: Who, type: string, body: object) => api[who].post(url(`/approvals/${type}`), body);
  const version = async () => (await ds.query(`SELECT version FROM record WHERE id = $1`, [caseId]))[0].version as number;
  const patch = async (who: Who, data: object) => api[who].patch(url(), { version: await version(), data }).expect(200);

  /** The last history entry as `who` sees it (GET …/history). */
  const lastHistory = async (who: Who): Promise<HistoryItem> => ((await api[who].get(url('/history')).expect(200)).body.items as HistoryItem[]).at(-1)!;
  /** The last allowed `record.*` audit row of the case, leaving out reads and prints. */
  const lastAudit = async () =>
    (
      await ds.query(
        `SELECT action, actor_id, details FROM audit_log
          WHERE object_id = $1 AND action LIKE 'record.%' AND action NOT IN ('record.read', 'record.print') AND outcome = 'allowed'
          ORDER BY id DESC LIMIT 1`,
        [caseId],
      )
    )[0] as { action: string; actor_id: string; details: Record<string, unknown> };
  /** Notifications of the case written since the last call, as `event:recipient`. */
  const newNotifications = async () => {
    const rows: { user_id: string; event: string }[] = await ds.query(`SELECT user_id, event FROM notification WHERE record_id = $1 ORDER BY id`, [caseId]);
    const fresh = rows.slice(notificationsSeen).map((r) => `${r.event}:${whoIs(r.user_id)}`);
    notificationsSeen = rows.length;
    return fresh;
  };
  /** An e-mail the sink received for `who` whose decoded text contains `containing`. */
  const mailTo = (who: Who, containing: string) =>
    eventually(async () => sink.to(email(who)).map((m) => decodedText(m.raw)).find((text) => text.includes(containing)), `an e-mail to ${who} containing "${containing}"`);
  /** The in-app notification list of `who` holds `event` about the case. */
  const inApp = async (who: Who, event: string) => {
    const items = (await api[who].get('/api/v1/notifications').expect(200)).body.items as { event: string; record?: { id: string } }[];
    return items.find((i) => i.event === event && i.record?.id === caseId);
  };
  const refusedAs = (...codes: number[]) => (res: { status: number }) => expect(codes).toContain(res.status);

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startTestApp({ SMTP_URL: sink.url, SMTP_FROM: 'Haven <haven@example.org>', HAVEN_MAIL_POLL_MS: '200', HAVEN_MAIL_RETRY_BASE_MS: '100' });
    ds = t.app.get(DataSource);
    for (const agency of ['GW-A', 'GW-B', 'GW-C', 'GW-D']) await newAgency(ds, { code: agency });
    await newGroup(ds, { code: 'gw-a-team', agency: 'GW-A' });
    await newGroup(ds, { code: 'gw-a-other', agency: 'GW-A' });
    await newGroup(ds, { code: 'gw-d-team', agency: 'GW-D' });
    const users: Record<Who, { agency: string; role: string; groups: string[] }> = {
      worker: { agency: 'GW-A', role: 'gbv_caseworker', groups: ['gw-a-team'] },
      supervisor: { agency: 'GW-A', role: 'gbv_supervisor', groups: ['gw-a-team'] },
      otherSupervisor: { agency: 'GW-A', role: 'gbv_supervisor', groups: ['gw-a-other'] },
      manager: { agency: 'GW-A', role: 'gbv_manager', groups: ['gw-a-team'] },
      legal: { agency: 'GW-B', role: 'gbv_referral_partner', groups: [] },
      clinic: { agency: 'GW-C', role: 'gbv_referral_partner', groups: [] },
      successor: { agency: 'GW-D', role: 'gbv_caseworker', groups: ['gw-d-team'] },
      successorSupervisor: { agency: 'GW-D', role: 'gbv_supervisor', groups: ['gw-d-team'] },
    };
    for (const who of Object.keys(users) as Who[]) {
      const u = await newUser(ds, { agency: users[who].agency, groups: users[who].groups, roles: [users[who].role], email: email(who) });
      ids[who] = u.id;
      names[who] = u.username;
      api[who] = as(t, await login(t, u.username, u.password));
    }
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('1. registration: the caseworker registers the survivor with consent for services and to share with health providers', async () => {
    const data = {
      survivor_code_no: CODE,
      name: NAME,
      sex: 'female',
      age: 27,
      consent_for_services: true,
      consent_for_services_date: '2026-11-20',
      consent_to_share_info_by_health: true,
      consent_to_share_info_by_legal: false,
    };
    await api.manager.post(`${RECORDS}/case`, { module: 'gbv', data }).expect(refusedAs(403, 404));
    await api.clinic.post(`${RECORDS}/case`, { module: 'gbv', data }).expect(refusedAs(403, 404));
    expect(await ds.query(`SELECT id FROM record WHERE module = 'gbv'`)).toEqual([]);

    const res = await api.worker.post(`${RECORDS}/case`, { module: 'gbv', data }).expect(201);
    caseId = res.body.id;
    displayId = res.body.displayId;
    expect(res.body).toMatchObject({ status: 'open', owner: names.worker, data: { name: NAME, consent_for_services: true } });
    expect(displayId).toEqual(expect.any(String));

    const created = await lastHistory('worker');
    expect(created).toMatchObject({ version: 1, actor: names.worker, action: 'create' });
    expect(await lastAudit()).toMatchObject({ action: 'record.create', actor_id: ids.worker });
    expect(await newNotifications()).toEqual([]);
    const options = await api.worker.get(url('/transitions')).expect(200);
    expect(options.body.state).toMatchObject({ key: 'open', stage: 1, final: false });
    expect(options.body.transitions).toEqual([expect.objectContaining({ key: 'start_assessment', allowed: true })]);
  });

  it('2. assessment: only the owner moves the case; the supervisor may read but not act, another group cannot see it', async () => {
    await fire('supervisor', 'start_assessment').expect(403);
    await fire('otherSupervisor', 'start_assessment').expect(404);
    await fire('manager', 'start_assessment').expect(404);
    const res = await fire('worker', 'start_assessment', { version: await version() }).expect(200);
    expect(res.body.status).toBe('assessment');

    expect(await lastHistory('worker')).toMatchObject({
      actor: names.worker,
      action: 'transition',
      changes: [expect.objectContaining({ path: '$status', from: 'open', to: 'assessment', transition: 'start_assessment' })],
    });
    expect(await lastAudit()).toMatchObject({ action: 'record.transition', actor_id: ids.worker, details: expect.objectContaining({ transition: 'start_assessment', from: 'open', to: 'assessment' }) });
    expect(await newNotifications()).toEqual([]);
  });

  it('3. action plan: refused until the assessment is completed (guard message), then planned', async () => {
    const refused = await fire('worker', 'start_action_plan').expect(409);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ code: 'guard_failed', message: expect.stringContaining('Complete the survivor assessment') })]);
    await patch('worker', {
      assessment_completion_timing: '1_2_hours',
      action_plan_section: [{ action_plan_description: 'Clinical care', service_type: 'health_medical_service' }],
    });
    await fire('supervisor', 'start_action_plan').expect(403);
    const res = await fire('worker', 'start_action_plan', { comment: 'plan made with the survivor' }).expect(200);
    expect(res.body.status).toBe('action_plan');

    expect((await lastHistory('supervisor')).changes).toEqual([
      expect.objectContaining({ path: '$status', from: 'assessment', to: 'action_plan', transition: 'start_action_plan', comment: 'plan made with the survivor' }),
    ]);
    expect(await lastAudit()).toMatchObject({ action: 'record.transition', actor_id: ids.worker, details: expect.objectContaining({ transition: 'start_action_plan' }) });
    expect(await newNotifications()).toEqual([]);
  });

  it('4. action plan approval requested: the supervisor of the group is told in-app and by e-mail; nobody else may decide', async () => {
    await decide('supervisor', 'action_plan', { action: 'request' }).expect(403);
    await decide('worker', 'action_plan', { action: 'request', comment: 'please review' }).expect(200);

    expect(await lastHistory('worker')).toMatchObject({
      action: 'approval_request',
      changes: [expect.objectContaining({ path: '$approval/action_plan', from: null, to: 'pending', comment: 'please review' })],
    });
    expect(await lastAudit()).toMatchObject({ action: 'record.approval_request', actor_id: ids.worker, details: expect.objectContaining({ approvalType: 'action_plan' }) });
    // Only the supervisor of the owner's group: not the other group's supervisor, not the manager.
    expect(await newNotifications()).toEqual(['approval_requested:supervisor']);
    expect(await inApp('supervisor', 'approval_requested')).toBeDefined();
    const mail = await mailTo('supervisor', 'Approval requested');
    expect(mail).toContain(displayId);

    // While pending, the plan cannot be implemented.
    const blocked = await fire('worker', 'start_implementation').expect(409);
    expect(blocked.body.error.issues.map((i: { code: string }) => i.code)).toContain('approval_pending');
    // Who may not decide: a supervisor of another group, the manager, a caseworker of another agency (none of them
    // can see the case: 404), and the owner (may read it, lacks the permission: 403).
    await decide('otherSupervisor', 'action_plan', { action: 'approve' }).expect(404);
    await decide('manager', 'action_plan', { action: 'approve' }).expect(404);
    await decide('successor', 'action_plan', { action: 'approve' }).expect(404);
    await decide('worker', 'action_plan', { action: 'approve' }).expect(403);
    const approvals = await api.worker.get(url('/approvals')).expect(200);
    expect(approvals.body.items).toEqual([expect.objectContaining({ type: 'action_plan', status: 'pending', decidedBy: null })]);
  });

  it('5. the supervisor approves the action plan: the requester is told; the plan is implemented', async () => {
    await decide('supervisor', 'action_plan', { action: 'reject' }).expect(400);
    const res = await decide('supervisor', 'action_plan', { action: 'approve', comment: 'good plan' }).expect(200);
    expect(res.body.status).toBe('action_plan');
    // The supervisor reads no identifying field.
    expect(res.body.data.name).toBeUndefined();

    expect(await lastHistory('worker')).toMatchObject({
      actor: names.supervisor,
      action: 'approval_approve',
      changes: [expect.objectContaining({ path: '$approval/action_plan', from: 'pending', to: 'approved', comment: 'good plan' })],
    });
    expect(await lastAudit()).toMatchObject({ action: 'record.approval_approve', actor_id: ids.supervisor, details: expect.objectContaining({ approvalType: 'action_plan', decision: 'approved' }) });
    expect(await newNotifications()).toEqual(['approval_decided:worker']);
    expect(await inApp('worker', 'approval_decided')).toBeDefined();
    expect(await mailTo('worker', 'Approved')).toContain(displayId);
    // Decided once: a second decision finds nothing pending.
    await decide('supervisor', 'action_plan', { action: 'approve' }).expect(409);

    const implemented = await fire('worker', 'start_implementation').expect(200);
    expect(implemented.body.status).toBe('implementation');
    expect((await lastHistory('worker')).changes).toEqual([expect.objectContaining({ path: '$status', from: 'action_plan', to: 'implementation' })]);
    expect(await lastAudit()).toMatchObject({ action: 'record.transition', details: expect.objectContaining({ transition: 'start_implementation' }) });
    await patch('worker', { safety_plan_needed: true, safety_plan_main_concern: `${NAME} fears the partner` });
    expect(await newNotifications()).toEqual([]);
  });

  it('6. a legal referral to a partner of agency B: refused without the consent to share with legal services, then sent and declined', async () => {
    await api.supervisor.post(url('/referrals'), { toUser: names.legal, service: 'legal_assistance_service' }).expect(403);
    const v = await version();
    const refused = await api.worker.post(url('/referrals'), { toUser: names.legal, service: 'legal_assistance_service' }).expect(409);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ code: 'consent_required', path: '/data/consent_to_share_info_by_legal' })]);
    expect(await version()).toBe(v);
    expect(await ds.query(`SELECT id FROM record_transition WHERE record_id = $1 AND kind = 'referral'`, [caseId])).toEqual([]);

    await patch('worker', { consent_to_share_info_by_legal: true });
    legalReferral = (await api.worker.post(url('/referrals'), { toUser: names.legal, service: 'legal_assistance_service', notes: 'Custody question' }).expect(201)).body.id;
    expect(await lastHistory('worker')).toMatchObject({
      action: 'referral_create',
      changes: [expect.objectContaining({ path: `$referral/${legalReferral}`, from: null, to: expect.objectContaining({ status: 'pending', toUser: names.legal, service: 'legal_assistance_service' }) })],
    });
    expect(await lastAudit()).toMatchObject({
      action: 'record.referral_create',
      actor_id: ids.worker,
      details: expect.objectContaining({ referralId: legalReferral, toUser: ids.legal, toAgency: 'GW-B', consentOverridden: false }),
    });
    expect(await newNotifications()).toEqual(['referral_received:legal']);
    await mailTo('legal', 'New referral');

    // Pending: the receiver sees the referral, not the record; nobody but the receiver answers it.
    await get('legal').expect(404);
    const incoming = await api.legal.get('/api/v1/referrals?direction=incoming').expect(200);
    expect(incoming.body.items).toEqual([expect.objectContaining({ id: legalReferral, service: 'legal_assistance_service' })]);
    await api.clinic.post(`/api/v1/referrals/${legalReferral}/decline`, { reason: 'not ours' }).expect(404);
    await api.worker.post(`/api/v1/referrals/${legalReferral}/decline`, { reason: 'mine' }).expect(403);
    await api.legal.post(`/api/v1/referrals/${legalReferral}/decline`, { reason: 'Outside our mandate' }).expect(200);
    await get('legal').expect(404);

    expect(await lastHistory('worker')).toMatchObject({
      actor: names.legal,
      action: 'referral_decline',
      changes: [expect.objectContaining({ path: `$referral/${legalReferral}`, from: 'pending', to: 'declined' })],
    });
    expect(await lastAudit()).toMatchObject({ action: 'record.referral_decline', actor_id: ids.legal, details: expect.objectContaining({ referralId: legalReferral, status: 'declined' }) });
    expect(await newNotifications()).toEqual(['referral_declined:worker']);
    await mailTo('worker', 'Referral declined');
  });

  it('7. a health referral to a clinic of agency C: accepted, the clinic reads only the shared forms, then provides the service', async () => {
    healthReferral = (await api.worker.post(url('/referrals'), { toUser: names.clinic, service: 'health_medical_service' }).expect(201)).body.id;
    expect(await lastAudit()).toMatchObject({ action: 'record.referral_create', details: expect.objectContaining({ referralId: healthReferral, toAgency: 'GW-C', sharedForms: ['gbv_survivor_information', 'action_plan_form'] }) });
    expect(await newNotifications()).toEqual(['referral_received:clinic']);
    await mailTo('clinic', 'New referral');
    await get('clinic').expect(404);

    await api.legal.post(`/api/v1/referrals/${healthReferral}/accept`).expect(404);
    await api.worker.post(`/api/v1/referrals/${healthReferral}/accept`).expect(403);
    await api.clinic.post(`/api/v1/referrals/${healthReferral}/accept`).expect(200);
    expect(await lastHistory('worker')).toMatchObject({
      actor: names.clinic,
      action: 'referral_accept',
      changes: [
        expect.objectContaining({ path: `$referral/${healthReferral}`, from: 'pending', to: 'accepted' }),
        expect.objectContaining({ path: `$share/${names.clinic}`, from: null, to: 'referral' }),
      ],
    });
    expect(await lastAudit()).toMatchObject({ action: 'record.referral_accept', actor_id: ids.clinic });
    expect(await newNotifications()).toEqual(['referral_accepted:worker']);
    await mailTo('worker', 'Referral accepted');

    // What the clinic reads: the shared forms only (survivor information, the action plan without the follow-up).
    const seen = (await get('clinic').expect(200)).body;
    const shared = new Set([...formFields('gbv_survivor_information'), ...formFields('action_plan_form')]);
    shared.delete('gbv_follow_up_subform_section');
    const ownersView = (await get('worker').expect(200)).body.data as Record<string, unknown>;
    expect(Object.keys(seen.data).sort()).toEqual(Object.keys(ownersView).filter((k) => shared.has(k)).sort());
    expect(seen.data).toMatchObject({ survivor_code_no: CODE, action_plan_section: [expect.objectContaining({ service_type: 'health_medical_service' })] });
    for (const hidden of ['consent_for_services', 'consent_to_share_info_by_health', 'assessment_completion_timing', 'safety_plan_main_concern', 'safety_plan_needed']) {
      expect(seen.data[hidden]).toBeUndefined();
    }
    // The clinic neither changes the record nor reads its history.
    await api.clinic.patch(url(), { version: seen.version, data: { age: 28 } }).expect(refusedAs(403, 404));
    await api.clinic.get(url('/history')).expect(404);
    const letter = await api.clinic.get(url(`/print?template=referral_letter&referral=${healthReferral}`)).expect(200);
    expect(letter.text).toContain(CODE);
    expect(letter.text).not.toContain('fears the partner');

    await api.worker.post(`/api/v1/referrals/${healthReferral}/done`, {}).expect(403);
    await api.legal.post(`/api/v1/referrals/${healthReferral}/done`, {}).expect(404);
    await api.clinic.post(`/api/v1/referrals/${healthReferral}/done`, { reason: 'Seen on 25 November' }).expect(200);
    expect(await lastHistory('worker')).toMatchObject({ actor: names.clinic, action: 'referral_done', changes: [expect.objectContaining({ path: `$referral/${healthReferral}`, from: 'accepted', to: 'done' })] });
    expect(await lastAudit()).toMatchObject({ action: 'record.referral_done', actor_id: ids.clinic, details: expect.objectContaining({ referralId: healthReferral, status: 'done' }) });
    expect(await newNotifications()).toEqual(['referral_done:worker']);
    await mailTo('worker', 'Service provided');
    // Done: the clinic keeps reading the shared forms.
    await get('clinic').expect(200);
  });

  it('8. a transfer to a caseworker of agency D: seen while pending, accepted; ownership moves and the first caseworker loses the case', async () => {
    await api.clinic.post(url('/transfers'), { toUser: names.successor }).expect(refusedAs(403, 404));
    await api.supervisor.post(url('/transfers'), { toUser: names.successor }).expect(403);
    transfer = (await api.worker.post(url('/transfers'), { toUser: names.successor, notes: 'Survivor relocated' }).expect(201)).body.id;
    expect(await lastHistory('worker')).toMatchObject({
      action: 'transfer_create',
      changes: [
        expect.objectContaining({ path: `$transfer/${transfer}`, from: null, to: expect.objectContaining({ status: 'pending', toUser: names.successor }) }),
        expect.objectContaining({ path: `$share/${names.successor}`, from: null, to: 'transfer' }),
      ],
    });
    expect(await lastAudit()).toMatchObject({ action: 'record.transfer_create', actor_id: ids.worker, details: expect.objectContaining({ transferId: transfer, toUser: ids.successor, toAgency: 'GW-D' }) });
    expect(await newNotifications()).toEqual(['transfer_received:successor']);
    expect(await mailTo('successor', 'transferred to you')).toContain(displayId);

    // Pending: the receiver looks at the whole case before deciding; only the receiver accepts.
    expect((await get('successor').expect(200)).body).toMatchObject({ owner: names.worker, data: { name: NAME } });
    await api.clinic.post(`/api/v1/transfers/${transfer}/accept`).expect(404);
    await api.worker.post(`/api/v1/transfers/${transfer}/accept`).expect(403);
    await api.successor.post(`/api/v1/transfers/${transfer}/accept`).expect(200);

    expect((await get('successor').expect(200)).body).toMatchObject({ owner: names.successor, agency: 'GW-D' });
    // The first caseworker, and their group's supervisor, lose the case: a 404 exactly like a missing record.
    const lost = await get('worker').expect(404);
    const missing = await api.worker.get(`${RECORDS}/case/00000000-0000-4000-8000-000000000000`).expect(404);
    expect(lost.body.error.code).toBe(missing.body.error.code);
    expect(lost.body.error.message).toBe(missing.body.error.message);
    await get('supervisor').expect(404);
    await api.worker.get(url('/history')).expect(404);

    expect(await lastHistory('successor')).toMatchObject({
      actor: names.successor,
      action: 'transfer_accept',
      changes: [
        expect.objectContaining({ path: `$transfer/${transfer}`, from: 'pending', to: 'accepted' }),
        expect.objectContaining({ path: '$owner', from: names.worker, to: names.successor }),
      ],
    });
    expect(await lastAudit()).toMatchObject({
      action: 'record.transfer_accept',
      actor_id: ids.successor,
      details: expect.objectContaining({ transferId: transfer, fromOwner: ids.worker, toOwner: ids.successor, toAgency: 'GW-D' }),
    });
    expect(await newNotifications()).toEqual(['transfer_accepted:worker']);
    const accepted = await mailTo('worker', 'Transfer accepted');
    // The worker may no longer read the case: the e-mail does not even name it.
    expect(accepted).not.toContain(displayId);
  });

  it('9. closure requested by the new owner: refused until the closure checklist is answered; the supervisor of the new group is asked', async () => {
    await fire('worker', 'request_closure').expect(404);
    await fire('successorSupervisor', 'request_closure').expect(403);
    const refused = await fire('successor', 'request_closure').expect(409);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ code: 'guard_failed', message: 'Answer every question of the closure checklist (Case Closure) before requesting closure.' })]);
    const options = await api.successor.get(url('/transitions')).expect(200);
    expect(options.body.transitions.find((o: { key: string }) => o.key === 'request_closure')).toMatchObject({
      allowed: false,
      blocked: [expect.objectContaining({ code: 'guard_failed', message: expect.stringContaining('closure checklist') })],
    });

    await patch('successor', CHECKLIST);
    const res = await fire('successor', 'request_closure', { comment: 'goals met' }).expect(200);
    expect(res.body.status).toBe('closure_requested');
    expect((await lastHistory('successorSupervisor')).changes).toEqual([
      expect.objectContaining({ path: '$status', from: 'implementation', to: 'closure_requested', transition: 'request_closure' }),
      expect.objectContaining({ path: '$approval/gbv_closure', from: null, to: 'pending' }),
    ]);
    expect(await lastAudit()).toMatchObject({
      action: 'record.transition',
      actor_id: ids.successor,
      details: expect.objectContaining({ transition: 'request_closure', from: 'implementation', to: 'closure_requested', approvalRequested: 'gbv_closure' }),
    });
    // The approval goes to the supervisor of the new owner's group, not to the first group's.
    expect(await newNotifications()).toEqual(['approval_requested:successorSupervisor']);
    expect(await inApp('successorSupervisor', 'approval_requested')).toBeDefined();
    expect(await mailTo('successorSupervisor', 'Approval requested')).toContain(displayId);
  });

  it('10. closure approved by a supervisor of the new owner\'s group: the case is closed, the closure date set, the requester told', async () => {
    await decide('supervisor', 'gbv_closure', { action: 'approve' }).expect(404);
    await decide('otherSupervisor', 'gbv_closure', { action: 'approve' }).expect(404);
    await decide('successor', 'gbv_closure', { action: 'approve' }).expect(403);
    const res = await decide('successorSupervisor', 'gbv_closure', { action: 'approve', comment: 'closing' }).expect(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body).toMatchObject({ status: 'closed', data: { date_closure: today } });
    expect(res.body.data.name).toBeUndefined();

    const last = await lastHistory('successor');
    expect(last).toMatchObject({ actor: names.successorSupervisor, action: 'approval_approve' });
    expect(last.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '$approval/gbv_closure', from: 'pending', to: 'approved', comment: 'closing' }),
        expect.objectContaining({ path: '$status', from: 'closure_requested', to: 'closed' }),
        expect.objectContaining({ path: 'date_closure', to: today }),
      ]),
    );
    expect(await lastAudit()).toMatchObject({
      action: 'record.approval_approve',
      actor_id: ids.successorSupervisor,
      details: expect.objectContaining({ approvalType: 'gbv_closure', decision: 'approved', from: 'closure_requested', to: 'closed', fields: ['date_closure'] }),
    });
    expect(await newNotifications()).toEqual(['approval_decided:successor']);
    expect(await mailTo('successor', 'Approved')).toContain(displayId);
    const options = await api.successor.get(url('/transitions')).expect(200);
    expect(options.body.state).toMatchObject({ key: 'closed', final: true });
    expect(options.body.transitions.map((o: { key: string; allowed: boolean }) => [o.key, o.allowed])).toEqual([['reopen', true]]);
  });

  it('11. reopening by the owner: the supervisors of the owner\'s group are told', async () => {
    await fire('successorSupervisor', 'reopen').expect(403);
    await fire('worker', 'reopen').expect(404);
    await fire('clinic', 'reopen').expect(refusedAs(403, 404));
    const res = await fire('successor', 'reopen').expect(200);
    expect(res.body.status).toBe('reopened');
    expect((await lastHistory('successor')).changes).toEqual([expect.objectContaining({ path: '$status', from: 'closed', to: 'reopened', transition: 'reopen' })]);
    expect(await lastAudit()).toMatchObject({ action: 'record.transition', actor_id: ids.successor, details: expect.objectContaining({ transition: 'reopen', from: 'closed', to: 'reopened' }) });
    expect(await newNotifications()).toEqual(['transition:successorSupervisor']);
    expect(await inApp('successorSupervisor', 'transition')).toBeDefined();
    expect(await mailTo('successorSupervisor', 'Workflow step')).toContain(displayId);
    const options = await api.successor.get(url('/transitions')).expect(200);
    expect(options.body.transitions.map((o: { key: string }) => o.key)).toEqual(['start_assessment']);
  });

  it('the whole walk: history, audit rows without a value, every notification e-mailed, no e-mail naming the survivor', async () => {
    const history = (await api.successor.get(url('/history')).expect(200)).body.items as HistoryItem[];
    expect(history.map((h) => h.action)).toEqual([
      'create',
      'transition',
      'update',
      'transition',
      'approval_request',
      'approval_approve',
      'transition',
      'update',
      'update',
      'referral_create',
      'referral_decline',
      'referral_create',
      'referral_accept',
      'referral_done',
      'transfer_create',
      'transfer_accept',
      'update',
      'transition',
      'approval_approve',
      'transition',
    ]);
    const statuses = history.flatMap((h) => h.changes.filter((c) => c.path === '$status').map((c) => c.to));
    expect(statuses).toEqual(['assessment', 'action_plan', 'implementation', 'closure_requested', 'closed', 'reopened']);
    // The supervisor reads the workflow's history without any identifying value.
    const supervised = (await api.successorSupervisor.get(url('/history')).expect(200)).body;
    expect(JSON.stringify(supervised)).not.toContain('SECRETNAME');

    const audit: { action: string; details: unknown }[] = await ds.query(
      `SELECT action, details FROM audit_log WHERE object_id = $1 AND action LIKE 'record.%' AND action NOT IN ('record.read', 'record.print') AND outcome = 'allowed' ORDER BY id`,
      [caseId],
    );
    expect(audit.map((a) => a.action)).toEqual(history.map((h) => `record.${h.action}`));
    // The clinic's attempt to change the record was refused, and audited as such.
    const denied = await ds.query(`SELECT action, actor_id FROM audit_log WHERE object_id = $1 AND outcome = 'denied' ORDER BY id`, [caseId]);
    expect(denied).toEqual([{ action: 'record.update', actor_id: ids.clinic }]);
    const approvals = (await api.successor.get(url('/approvals')).expect(200)).body.items as { type: string; status: string; decidedBy: string }[];
    expect(approvals.map((a) => `${a.type}:${a.status}:${a.decidedBy}`)).toEqual([`action_plan:approved:${names.supervisor}`, `gbv_closure:approved:${names.successorSupervisor}`]);
    // Ids, keys and field names only: the survivor's name is in no audit row at all.
    expect(await ds.query(`SELECT action FROM audit_log WHERE details::text LIKE '%SECRETNAME%' OR coalesce(object_id, '') LIKE '%SECRETNAME%'`)).toEqual([]);

    const all: { user_id: string; event: string }[] = await ds.query(`SELECT user_id, event FROM notification WHERE record_id = $1 ORDER BY id`, [caseId]);
    expect(all.map((n) => `${n.event}:${whoIs(n.user_id)}`)).toEqual([
      'approval_requested:supervisor',
      'approval_decided:worker',
      'referral_received:legal',
      'referral_declined:worker',
      'referral_received:clinic',
      'referral_accepted:worker',
      'referral_done:worker',
      'transfer_received:successor',
      'transfer_accepted:worker',
      'approval_requested:successorSupervisor',
      'approval_decided:successor',
      'transition:successorSupervisor',
    ]);
    const mails = await eventually(async () => {
      const rows: { status: string }[] = await ds.query(
        `SELECT e.status FROM notification_email e JOIN notification n ON n.id = e.notification_id WHERE n.record_id = $1`,
        [caseId],
      );
      return rows.length === all.length && rows.every((r) => r.status === 'sent') ? rows : undefined;
    }, 'every e-mail of the walk to be sent');
    expect(mails).toHaveLength(12);
    expect(sink.messages).toHaveLength(12);
    const texts = sink.messages.map((m) => decodedText(m.raw)).join('\n');
    for (const identifying of ['SECRETNAME', 'Amina', 'fears the partner', 'Custody question', 'Survivor relocated']) expect(texts).not.toContain(identifying);
  });
});
