import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { configsWith } from './support/configs.js';
import { as, login, newUser } from './support/factories.js';
import { newRecord, type TestRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Referrals, transfers and transfer requests over HTTP on the shipped GBV and CP bundles (docs/referrals.md):
 * consent gating and its audited override, what a receiver reads (only the shared forms, on every read path),
 * the lifecycle of access (pending → nothing, accepted → shared forms, done → kept, declined / revoked → gone),
 * referrals across agencies and modules, transfers with loss of access, transfer requests, and concurrency.
 */

/** Test-only roles (a deployment grants these; no shipped role does). */
const CONSENT_OFFICER = {
  key: 'gbv_consent_officer',
  label: 'GBV consent officer',
  secondFactor: 'optional',
  records: [{ module: 'gbv', recordTypes: ['case'], scope: 'own', actions: ['read', 'consent_override'], forms: { '*': 'read' } }],
};
const TRANSFER_REQUESTER = {
  key: 'gbv_transfer_requester',
  label: 'GBV transfer requester',
  secondFactor: 'optional',
  records: [{ module: 'gbv', recordTypes: ['case'], scope: 'all', actions: ['request_transfer'], forms: { '*': 'none' } }],
};

const API = '/api/v1';
type Api = ReturnType<typeof as>;
type Who = 'worker' | 'officer' | 'partner' | 'partner2' | 'colleague' | 'cpProvider' | 'cpOther' | 'receiver' | 'requester';

const CONSENTED = {
  name: 'SECRET Survivor',
  survivor_code_no: 'SC-1',
  sex: 'female',
  age: 30,
  marital_status: 'single',
  consent_for_services: true,
  consent_to_share_info_by_health: true,
  consent_to_share_info_by_protection: true,
  safety_plan_needed: true,
  action_plan_section: [{ _id: 'a1', action_plan_description: 'Medical care', service_type: 'health_medical_service' }],
  gbv_follow_up_subform_section: [{ _id: 'f1', followup_date: '2026-11-01' }],
};

describe('referrals and transfers', () => {
  let t: TestApp;
  let ds: DataSource;
  let configs: Awaited<ReturnType<typeof configsWith>>;
  const api = {} as Record<Who, Api>;
  const ids = {} as Record<Who, string>;
  const names = {} as Record<Who, string>;

  const newCase = (owner: Who, data: Record<string, unknown> = CONSENTED): Promise<TestRecord> => newRecord(ds, { module: 'gbv', recordType: 'case', owner: ids[owner], data });
  const refer = (who: Who, c: TestRecord, to: Who, extra: Record<string, unknown> = {}) =>
    api[who].post(`${API}/records/case/${c.id}/referrals`, { toUser: names[to], service: 'health_medical_service', notes: 'Please see her this week.', ...extra });
  const transitionCount = async (): Promise<number> => (await ds.query(`SELECT count(*)::int AS n FROM record_transition`))[0].n;
  const audits = (recordId: string, action: string) =>
    ds.query(`SELECT actor, details FROM audit_log WHERE object_id = $1 AND action = $2 ORDER BY id`, [recordId, action]) as Promise<Array<{ actor: string; details: Record<string, unknown> }>>;
  const notified = (who: Who, event: string, recordId: string) =>
    ds.query(`SELECT details FROM notification WHERE user_id = $1 AND event = $2 AND record_id = $3`, [ids[who], event, recordId]) as Promise<Array<{ details: Record<string, unknown> }>>;

  beforeAll(async () => {
    configs = await configsWith({
      'gbv/roles/gbv_consent_officer.json': CONSENT_OFFICER,
      'gbv/roles/gbv_transfer_requester.json': TRANSFER_REQUESTER,
      // This deployment lets the previous owner of a transferred CP case keep reading it.
      'cp/modules/cp.json': (cp) => ({ ...cp, transfers: { ...(cp.transfers as object), case: { ...(cp.transfers as { case: object }).case, previousOwnerKeepsAccess: true } } }),
    });
    t = await startTestApp({ HAVEN_CONFIG_DIR: configs.dir });
    ds = t.app.get(DataSource);
    const users: Record<Who, { agency: string; roles: string[] }> = {
      worker: { agency: 'REF-A', roles: ['gbv_caseworker'] },
      officer: { agency: 'REF-A', roles: ['gbv_caseworker', 'gbv_consent_officer'] },
      partner: { agency: 'REF-B', roles: ['gbv_referral_partner'] },
      partner2: { agency: 'REF-C', roles: ['gbv_referral_partner'] },
      colleague: { agency: 'REF-B', roles: ['gbv_caseworker'] },
      cpProvider: { agency: 'REF-C', roles: ['cp_caseworker'] },
      cpOther: { agency: 'REF-D', roles: ['cp_caseworker'] },
      receiver: { agency: 'REF-B', roles: ['gbv_caseworker'] },
      requester: { agency: 'REF-C', roles: ['gbv_caseworker', 'gbv_transfer_requester'] },
    };
    for (const who of Object.keys(users) as Who[]) {
      const user = await newUser(ds, users[who]);
      ids[who] = user.id;
      names[who] = user.username;
      api[who] = as(t, await login(t, user.username, user.password));
    }
  });
  afterAll(async () => {
    await t?.close();
    await configs?.remove();
  });

  describe('consent', () => {
    it('refuses a referral without consent, pointing at the consent fields, and stores nothing', async () => {
      const c = await newCase('worker', { ...CONSENTED, consent_for_services: false, consent_to_share_info_by_health: undefined });
      const before = await transitionCount();
      const res = await refer('worker', c, 'partner').expect(409);
      expect(res.body.error.code).toBe('conflict');
      expect(res.body.error.issues.map((i: { code: string; path: string }) => `${i.code} ${i.path}`)).toEqual([
        'consent_required /data/consent_for_services',
        'consent_required /data/consent_to_share_info_by_health',
      ]);
      expect(JSON.stringify(res.body)).not.toContain('SECRET');
      // An override reason without the permission does not help.
      const denied = await refer('worker', c, 'partner', { consentOverrideReason: 'Imminent danger' }).expect(409);
      expect(denied.body.error.issues.map((i: { code: string }) => i.code)).toContain('consent_override_not_allowed');
      expect(await transitionCount()).toBe(before);
      const [row] = await ds.query(`SELECT version FROM record WHERE id = $1`, [c.id]);
      expect(row.version).toBe(1);
    });

    it('points at only the missing consent field when one is given', async () => {
      const c = await newCase('worker', { ...CONSENTED, consent_to_share_info_by_health: false });
      const res = await refer('worker', c, 'partner').expect(409);
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['/data/consent_to_share_info_by_health']);
    });

    it('lets a role with consent_override refer with a reason, and audits the override with it', async () => {
      const c = await newCase('officer', { ...CONSENTED, consent_for_services: false });
      const noReason = await refer('officer', c, 'partner').expect(409);
      expect(noReason.body.error.issues.map((i: { code: string; path: string }) => `${i.code} ${i.path}`)).toContain('required /consentOverrideReason');
      const res = await refer('officer', c, 'partner', { consentOverrideReason: 'Mandatory reporting: child at risk' }).expect(201);
      const [row] = await ds.query(`SELECT consent_overridden, consent_override_reason, status FROM record_transition WHERE id = $1`, [res.body.id]);
      expect(row).toEqual({ consent_overridden: true, consent_override_reason: 'Mandatory reporting: child at risk', status: 'pending' });
      const [audit] = await audits(c.id, 'record.referral_create');
      expect(audit.actor).toBe(names.officer);
      expect(audit.details).toMatchObject({ referralId: res.body.id, consentOverridden: true, consentOverrideReason: 'Mandatory reporting: child at risk', service: 'health_medical_service' });
      expect(JSON.stringify(audit.details)).not.toContain('SECRET');
      // The receiver learns that consent was overridden, not why; the sender sees the reason.
      const received = (await api.partner.get(`${API}/referrals?direction=incoming`).expect(200)).body.items.find((r: { id: string }) => r.id === res.body.id);
      expect(received).toMatchObject({ consentOverridden: true, consentOverrideReason: null });
      const sent = (await api.officer.get(`${API}/referrals?direction=outgoing`).expect(200)).body.items.find((r: { id: string }) => r.id === res.body.id);
      expect(sent).toMatchObject({ consentOverridden: true, consentOverrideReason: 'Mandatory reporting: child at risk' });
    });
  });

  describe('a referral within the module', () => {
    it('grants nothing while pending, only the shared forms once accepted, keeps them when done, and nothing once revoked', async () => {
      const c = await newCase('worker');
      const { id } = (await refer('worker', c, 'partner').expect(201)).body;
      expect(await notified('partner', 'referral_received', c.id)).toEqual([{ details: expect.objectContaining({ referralId: id, service: 'health_medical_service' }) }]);

      // Pending: nothing.
      await api.partner.get(`${API}/records/case/${c.id}`).expect(404);
      expect((await api.partner.get(`${API}/records/case?module=gbv`).expect(200)).body.items.map((r: { id: string }) => r.id)).not.toContain(c.id);
      const incoming = (await api.partner.get(`${API}/referrals?status=pending&direction=incoming`).expect(200)).body.items;
      expect(incoming.length).toBeGreaterThan(0);
      expect(incoming.every((r: { status: string; toUser: string }) => r.status === 'pending' && r.toUser === names.partner)).toBe(true);
      expect(incoming.filter((r: { record: { id: string } }) => r.record.id === c.id)).toEqual([expect.objectContaining({ id, status: 'pending', fromUser: names.worker, toUser: names.partner, service: 'health_medical_service', record: expect.objectContaining({ id: c.id }) })]);

      // Accepted: the shared forms only (and of them only what the role reads).
      await api.partner.post(`${API}/referrals/${id}/accept`).expect(200);
      const got = (await api.partner.get(`${API}/records/case/${c.id}`).expect(200)).body;
      expect(got.data).toMatchObject({ sex: 'female', age: 30, action_plan_section: [expect.objectContaining({ service_type: 'health_medical_service' })] });
      expect(got.data.safety_plan_needed).toBeUndefined();
      expect(got.data.consent_for_services).toBeUndefined();
      expect(got.data.gbv_follow_up_subform_section).toBeUndefined();
      const listed = (await api.partner.get(`${API}/records/case?module=gbv`).expect(200)).body.items.find((r: { id: string }) => r.id === c.id);
      expect(listed.data).toEqual(got.data);
      expect(await notified('worker', 'referral_accepted', c.id)).toHaveLength(1);
      // The referral partner cannot change anything, nor see the history.
      await api.partner.patch(`${API}/records/case/${c.id}`, { version: got.version, data: { age: 31 } }).expect((res) => expect([403, 404]).toContain(res.status));
      await api.partner.get(`${API}/records/case/${c.id}/history`).expect(404);

      // Done: access stays.
      await api.partner.post(`${API}/referrals/${id}/done`, {}).expect(200);
      await api.partner.get(`${API}/records/case/${c.id}`).expect(200);
      expect(await notified('worker', 'referral_done', c.id)).toHaveLength(1);

      // The owner revokes: gone everywhere.
      const revoked = (await api.worker.post(`${API}/referrals/${id}/revoke`, {}).expect(200)).body;
      expect(revoked).toMatchObject({ status: 'revoked' });
      await api.partner.get(`${API}/records/case/${c.id}`).expect(404);
      expect((await api.partner.get(`${API}/records/case?module=gbv`).expect(200)).body.items.map((r: { id: string }) => r.id)).not.toContain(c.id);
      const [share] = await ds.query(`SELECT revoked_at IS NOT NULL AS revoked FROM record_share WHERE record_id = $1 AND user_id = $2`, [c.id, ids.partner]);
      expect(share.revoked).toBe(true);

      // History and audit of the owner's record tell the story (keys and usernames, no values).
      const history = (await api.worker.get(`${API}/records/case/${c.id}/history`).expect(200)).body.items;
      expect(history.map((h: { action: string }) => h.action)).toEqual(['referral_create', 'referral_accept', 'referral_done', 'referral_revoke']);
      expect(history[1].changes).toEqual(expect.arrayContaining([{ path: `$referral/${id}`, from: 'pending', to: 'accepted' }]));
      const actions = (await ds.query(`SELECT action FROM audit_log WHERE object_id = $1 AND action LIKE 'record.referral_%' ORDER BY id`, [c.id])).map((a: { action: string }) => a.action);
      expect(actions).toEqual(['record.referral_create', 'record.referral_accept', 'record.referral_done', 'record.referral_revoke']);
    });

    it('narrows a receiver whose role reads every form to the shared forms on get, list and history', async () => {
      const c = await newCase('worker');
      await api.worker.patch(`${API}/records/case/${c.id}`, { version: 1, data: { safety_plan_needed: false, age: 31 } }).expect(200);
      const { id } = (await refer('worker', c, 'colleague').expect(201)).body;
      await api.colleague.get(`${API}/records/case/${c.id}`).expect(404);
      await api.colleague.post(`${API}/referrals/${id}/accept`).expect(200);
      const got = (await api.colleague.get(`${API}/records/case/${c.id}`).expect(200)).body;
      expect(got.data).toMatchObject({ name: 'SECRET Survivor', age: 31 });
      expect(got.data.safety_plan_needed).toBeUndefined();
      expect(got.data.consent_for_services).toBeUndefined();
      // The action plan form is shared whole (this role does not exclude the follow-ups).
      expect(got.data.gbv_follow_up_subform_section).toHaveLength(1);
      const listed = (await api.colleague.get(`${API}/records/case?module=gbv`).expect(200)).body.items.find((r: { id: string }) => r.id === c.id);
      expect(listed.data.safety_plan_needed).toBeUndefined();
      // Filtering or sorting on a field of a form the referral does not share leaves the shared record out (its
      // presence would tell the value); on a shared field it is found.
      const ids = async (query: string) => (await api.colleague.get(`${API}/records/case?module=gbv&${query}`).expect(200)).body.items.map((r: { id: string }) => r.id);
      expect(await ids('filter[safety_plan_needed]=false')).not.toContain(c.id);
      expect(await ids('sort=safety_plan_needed')).not.toContain(c.id);
      expect(await ids('filter[age]=31')).toContain(c.id);
      const own = await newCase('colleague', { ...CONSENTED, safety_plan_needed: false });
      expect(await ids('filter[safety_plan_needed]=false')).toContain(own.id);
      // The same for exports: the file and its row count must not tell the value either.
      const exported = async (filter: Record<string, unknown>) => {
        const { id } = (await api.colleague.post(`${API}/exports`, { format: 'json', recordType: 'case', module: 'gbv', filter }).expect(202)).body;
        for (let i = 0; i < 300; i++) {
          const job = (await api.colleague.get(`${API}/exports/${id}`).expect(200)).body;
          if (job.status === 'done') {
            const file = (await api.colleague.get(`${API}/exports/${id}/file`).expect(200)).text;
            return { rowsTotal: job.rowsTotal as number, ids: (JSON.parse(file) as Array<{ id: string }>).map((r) => r.id) };
          }
          expect(job.status).not.toBe('failed');
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('the export did not finish');
      };
      const byUnshared = await exported({ safety_plan_needed: 'false' });
      expect(byUnshared.ids).not.toContain(c.id);
      expect(byUnshared.ids).toContain(own.id);
      expect(byUnshared.rowsTotal).toBe(byUnshared.ids.length);
      expect((await exported({ safety_plan_needed: 'true' })).ids).not.toContain(c.id);
      expect((await exported({ age: 31 })).ids).toContain(c.id);
      expect((await exported({})).ids).toContain(c.id);
      const history = (await api.colleague.get(`${API}/records/case/${c.id}/history`).expect(200)).body.items;
      const paths = history.flatMap((h: { changes: Array<{ path: string }> }) => h.changes.map((ch) => ch.path));
      expect(paths).toContain('age');
      expect(paths).not.toContain('safety_plan_needed');
      // The owner still reads everything.
      expect((await api.worker.get(`${API}/records/case/${c.id}`).expect(200)).body.data.safety_plan_needed).toBe(false);
      // What the receiver sees of the record's referrals: their own only.
      const other = (await refer('worker', c, 'partner').expect(201)).body.id;
      const theirs = (await api.colleague.get(`${API}/records/case/${c.id}/referrals`).expect(200)).body.items.map((r: { id: string }) => r.id);
      expect(theirs).toEqual([id]);
      const all = (await api.worker.get(`${API}/records/case/${c.id}/referrals`).expect(200)).body.items.map((r: { id: string }) => r.id);
      expect(all).toEqual([id, other]);
    });

    it('declines with a reason (no access ever), and refuses what the state does not allow', async () => {
      const c = await newCase('worker');
      const { id } = (await refer('worker', c, 'partner2').expect(201)).body;
      await api.partner2.post(`${API}/referrals/${id}/decline`, {}).expect(400);
      await api.worker.post(`${API}/referrals/${id}/decline`, { reason: 'x' }).expect(403);
      await api.partner.post(`${API}/referrals/${id}/accept`).expect(404);
      await api.partner2.post(`${API}/referrals/${id}/done`, {}).expect(409);
      const declined = (await api.partner2.post(`${API}/referrals/${id}/decline`, { reason: 'No capacity this month' }).expect(200)).body;
      expect(declined).toMatchObject({ status: 'declined', responseNote: 'No capacity this month' });
      await api.partner2.post(`${API}/referrals/${id}/accept`).expect(409);
      await api.partner2.get(`${API}/records/case/${c.id}`).expect(404);
      expect(await notified('worker', 'referral_declined', c.id)).toEqual([{ details: expect.objectContaining({ reason: 'No capacity this month' }) }]);
    });

    it('refuses bad input, receivers who cannot receive referrals, and records the caller may not refer', async () => {
      const c = await newCase('worker');
      const bad = await api.worker.post(`${API}/records/case/${c.id}/referrals`, { service: 'teleportation', extra: 1 }).expect(400);
      expect(bad.body.error.issues.map((i: { code: string; path: string }) => `${i.code} ${i.path}`).sort()).toEqual(['required /toUser', 'unknown_field /extra']);
      const wrong = await refer('worker', c, 'partner', { service: 'teleportation' }).expect(400);
      expect(wrong.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['/service']);
      await refer('worker', c, 'officer').expect(201); // a caseworker receives referrals
      const nobody = await api.worker.post(`${API}/records/case/${c.id}/referrals`, { toUser: 'no-such-user', service: 'health_medical_service' }).expect(400);
      expect(nobody.body.error.issues[0]).toMatchObject({ code: 'unknown_user', path: '/toUser' });
      // Someone else's case: missing to them.
      await refer('colleague', c, 'partner').expect(404);
      await api.worker.post(`${API}/records/case/00000000-0000-4000-8000-000000000000/referrals`, { toUser: names.partner, service: 'health_medical_service' }).expect(404);
    });
  });

  describe('bad input: 4xx, never 5xx, nothing stored', () => {
    it('answers every malformed body, id and query with a 4xx', async () => {
      const c = await newCase('worker');
      const before = await transitionCount();
      const bodies: unknown[] = [[], [{ toUser: names.partner }], { toUser: ['x'], service: {} }, { toUser: 'x'.repeat(5000), service: 'health_medical_service' }, { toUser: names.partner, service: 'health_medical_service', notes: 7 }, { __proto__: { toUser: names.partner } }];
      for (const body of bodies) {
        for (const url of [`${API}/records/case/${c.id}/referrals`, `${API}/records/case/${c.id}/transfers`]) {
          const res = await api.worker.post(url, body as object);
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
        }
      }
      for (const url of ['/referrals/not-a-uuid/accept', '/referrals/00000000-0000-4000-8000-000000000000/revoke', '/transfers/%27%3B--/accept', '/transfer-requests/x/reject', '/records/case/not-a-uuid/transfer-requests', '/records/%00/x/referrals']) {
        const res = await api.worker.post(`${API}${url}`, {});
        expect([400, 404]).toContain(res.status);
      }
      for (const query of ['status=nope', 'direction=sideways', 'foo=1', 'status[]=pending']) {
        const res = await api.worker.get(`${API}/referrals?${query}`);
        expect(res.status).toBe(400);
      }
      expect(await transitionCount()).toBe(before);
    });
  });

  describe('across modules', () => {
    it('refers a GBV case to a CP service provider: accepting creates their CP case with the mapped fields, linked, and shares nothing', async () => {
      const c = await newCase('worker');
      const { id } = (await refer('worker', c, 'cpProvider', { service: 'child_protection_service' }).expect(201)).body;
      const [pending] = await ds.query(`SELECT target_module, shared_forms FROM record_transition WHERE id = $1`, [id]);
      expect(pending).toEqual({ target_module: 'cp', shared_forms: null });
      const accepted = (await api.cpProvider.post(`${API}/referrals/${id}/accept`).expect(200)).body;
      expect(accepted).toMatchObject({ status: 'accepted', targetModule: 'cp', createdRecordId: expect.any(String) });
      const created = (await api.cpProvider.get(`${API}/records/case/${accepted.createdRecordId}?module=cp`).expect(200)).body;
      expect(created).toMatchObject({ module: 'cp', recordType: 'case', owner: names.cpProvider, agency: 'REF-C' });
      expect(created.data).toMatchObject({ sex: 'female', age: 30, marital_status: 'single', registration_date: new Date().toISOString().slice(0, 10) });
      expect(JSON.stringify(created.data)).not.toContain('SECRET');
      const links = await ds.query(`SELECT record_id, linked_record_id, kind, created_by FROM record_link WHERE linked_record_id = $1`, [created.id]);
      expect(links).toEqual([{ record_id: c.id, linked_record_id: created.id, kind: 'referral', created_by: ids.cpProvider }]);
      // The original stays with its owner, unshared.
      await api.cpProvider.get(`${API}/records/case/${c.id}?module=gbv`).expect(404);
      const [original] = await ds.query(`SELECT shared_with FROM record WHERE id = $1`, [c.id]);
      expect(original.shared_with).toEqual([]);
      // Nothing left to revoke once the receiver owns their own record.
      await api.worker.post(`${API}/referrals/${id}/revoke`, {}).expect(409);
    });

    it('applies the receiving module’s rules on arrival: what it requires and the referral lacks, the receiver gives', async () => {
      const c = await newCase('worker', { ...CONSENTED, sex: undefined });
      const { id } = (await refer('worker', c, 'cpProvider', { service: 'child_protection_service' }).expect(201)).body;
      const invalid = await api.cpProvider.post(`${API}/referrals/${id}/accept`).expect(400);
      expect(invalid.body.error.issues.map((i: { code: string; path: string }) => `${i.code} ${i.path}`)).toEqual(['required /data/sex']);
      const [still] = await ds.query(`SELECT status, created_record_id FROM record_transition WHERE id = $1`, [id]);
      expect(still).toEqual({ status: 'pending', created_record_id: null });
      await api.cpProvider.post(`${API}/referrals/${id}/accept`, { data: { unknown_thing: 1 } }).expect(400);
      const accepted = (await api.cpProvider.post(`${API}/referrals/${id}/accept`, { data: { sex: 'male' } }).expect(200)).body;
      expect((await api.cpProvider.get(`${API}/records/case/${accepted.createdRecordId}?module=cp`).expect(200)).body.data).toMatchObject({ sex: 'male', age: 30 });
    });

    it('refers a CP case to a GBV caseworker only with the CP consent, creating a GBV case', async () => {
      const cpCase = await newRecord(ds, { module: 'cp', recordType: 'case', owner: ids.cpProvider, data: { registration_date: '2026-11-01', sex: 'female', age: 15, consent_for_services: true } });
      const body = { toUser: names.receiver, service: 'psychosocial_service' };
      const refused = await api.cpProvider.post(`${API}/records/case/${cpCase.id}/referrals`, body).expect(409);
      expect(refused.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['/data/disclosure_other_orgs']);
      await ds.query(`UPDATE record SET data = data || '{"disclosure_other_orgs": true}'::jsonb WHERE id = $1`, [cpCase.id]);
      const { id } = (await api.cpProvider.post(`${API}/records/case/${cpCase.id}/referrals`, body).expect(201)).body;
      const accepted = (await api.receiver.post(`${API}/referrals/${id}/accept`).expect(200)).body;
      const created = (await api.receiver.get(`${API}/records/case/${accepted.createdRecordId}?module=gbv`).expect(200)).body;
      expect(created).toMatchObject({ module: 'gbv', owner: names.receiver });
      expect(created.data).toMatchObject({ sex: 'female', age: 15 });
    });
  });

  describe('transfers', () => {
    it('shares the record while pending, moves ownership on acceptance, and the previous owner loses access', async () => {
      const c = await newCase('worker');
      await api.worker.post(`${API}/records/case/${c.id}/transfers`, { toUser: names.partner }).expect(400); // the partner role does not receive transfers
      const { id } = (await api.worker.post(`${API}/records/case/${c.id}/transfers`, { toUser: names.receiver, notes: 'Moving to your area' }).expect(201)).body;
      expect(await notified('receiver', 'transfer_received', c.id)).toHaveLength(1);
      await api.worker.post(`${API}/records/case/${c.id}/transfers`, { toUser: names.colleague }).expect(409); // one at a time
      const pendingView = (await api.receiver.get(`${API}/records/case/${c.id}`).expect(200)).body;
      expect(pendingView.owner).toBe(names.worker);
      const accepted = (await api.receiver.post(`${API}/transfers/${id}/accept`).expect(200)).body;
      expect(accepted).toMatchObject({ status: 'accepted', kind: 'transfer' });
      const owned = (await api.receiver.get(`${API}/records/case/${c.id}`).expect(200)).body;
      expect(owned).toMatchObject({ owner: names.receiver, agency: 'REF-B' });
      expect(owned.data.safety_plan_needed).toBe(true);
      await api.worker.get(`${API}/records/case/${c.id}`).expect(404);
      const [row] = await ds.query(`SELECT owner_id, owner_agency, shared_with FROM record WHERE id = $1`, [c.id]);
      expect(row).toEqual({ owner_id: ids.receiver, owner_agency: 'REF-B', shared_with: [] });
      const history = (await api.receiver.get(`${API}/records/case/${c.id}/history`).expect(200)).body.items;
      expect(history.at(-1)).toMatchObject({ action: 'transfer_accept', changes: expect.arrayContaining([{ path: '$owner', from: names.worker, to: names.receiver }]) });
      const [audit] = await audits(c.id, 'record.transfer_accept');
      expect(audit.details).toMatchObject({ transferId: id, fromOwner: ids.worker, toOwner: ids.receiver });
      expect(await notified('worker', 'transfer_accepted', c.id)).toHaveLength(1);
    });

    it('ends the receiver’s access when they reject or the sender revokes', async () => {
      const c = await newCase('worker');
      const first = (await api.worker.post(`${API}/records/case/${c.id}/transfers`, { toUser: names.receiver }).expect(201)).body.id;
      await api.receiver.post(`${API}/transfers/${first}/reject`, { reason: 'Not my area' }).expect(200);
      await api.receiver.get(`${API}/records/case/${c.id}`).expect(404);
      const second = (await api.worker.post(`${API}/records/case/${c.id}/transfers`, { toUser: names.receiver }).expect(201)).body.id;
      await api.receiver.get(`${API}/records/case/${c.id}`).expect(200);
      await api.receiver.post(`${API}/transfers/${second}/revoke`, {}).expect(403);
      await api.worker.post(`${API}/transfers/${second}/revoke`, {}).expect(200);
      await api.receiver.get(`${API}/records/case/${c.id}`).expect(404);
      await api.receiver.post(`${API}/transfers/${second}/accept`).expect(409);
      const items = (await api.worker.get(`${API}/records/case/${c.id}/transfers`).expect(200)).body.items;
      expect(items.map((i: { status: string }) => i.status)).toEqual(['rejected', 'revoked']);
    });

    it('lets the previous owner keep reading a transferred record where the module says so', async () => {
      const cpCase = await newRecord(ds, { module: 'cp', recordType: 'case', owner: ids.cpProvider, data: { registration_date: '2026-11-01', sex: 'male', age: 9, disclosure_other_orgs: true } });
      const { id } = (await api.cpProvider.post(`${API}/records/case/${cpCase.id}/transfers`, { toUser: names.cpOther }).expect(201)).body;
      await api.cpOther.post(`${API}/transfers/${id}/accept`).expect(200);
      const read = (await api.cpProvider.get(`${API}/records/case/${cpCase.id}?module=cp`).expect(200)).body;
      expect(read).toMatchObject({ owner: names.cpOther, data: { age: 9 } });
      await api.cpProvider.patch(`${API}/records/case/${cpCase.id}?module=cp`, { version: read.version, data: { age: 10 } }).expect(200); // a share gives what the role allows on shared records
      const [share] = await ds.query(`SELECT kind FROM record_share WHERE record_id = $1 AND user_id = $2 AND revoked_at IS NULL`, [cpCase.id, ids.cpProvider]);
      expect(share).toEqual({ kind: 'transfer' });
    });

    it('refuses a transfer without the consent the module asks for', async () => {
      const c = await newCase('worker', { ...CONSENTED, consent_for_services: false });
      const res = await api.worker.post(`${API}/records/case/${c.id}/transfers`, { toUser: names.receiver }).expect(409);
      expect(res.body.error.issues.map((i: { code: string; path: string }) => `${i.code} ${i.path}`)).toEqual(['consent_required /data/consent_for_services']);
    });

    it('takes transfer requests: the owner accepts (a transfer to the requester) or rejects', async () => {
      const c = await newCase('worker');
      await api.colleague.post(`${API}/records/case/${c.id}/transfer-requests`, { notes: 'mine?' }).expect(404); // no request_transfer
      const { id } = (await api.requester.post(`${API}/records/case/${c.id}/transfer-requests`, { notes: 'She moved to our camp' }).expect(201)).body;
      await api.requester.post(`${API}/records/case/${c.id}/transfer-requests`, {}).expect(409);
      expect(await notified('worker', 'transfer_requested', c.id)).toHaveLength(1);
      await api.requester.post(`${API}/transfer-requests/${id}/accept`, {}).expect(403);
      const accepted = (await api.worker.post(`${API}/transfer-requests/${id}/accept`, { reason: 'Agreed' }).expect(200)).body;
      expect(accepted).toMatchObject({ status: 'accepted', kind: 'transfer_request', transferId: expect.any(String) });
      await api.requester.post(`${API}/transfers/${accepted.transferId}/accept`).expect(200);
      expect((await api.requester.get(`${API}/records/case/${c.id}`).expect(200)).body.owner).toBe(names.requester);

      const other = await newCase('worker');
      const second = (await api.requester.post(`${API}/records/case/${other.id}/transfer-requests`, {}).expect(201)).body.id;
      expect((await api.worker.post(`${API}/transfer-requests/${second}/reject`, { reason: 'Stays with us' }).expect(200)).body.status).toBe('rejected');
      await api.requester.get(`${API}/records/case/${other.id}`).expect(404);
    });
  });

  describe('concurrency', () => {
    it('lets exactly one of accept and decline win', async () => {
      const c = await newCase('worker');
      const { id } = (await refer('worker', c, 'partner').expect(201)).body;
      const results = await Promise.all([api.partner.post(`${API}/referrals/${id}/accept`), api.partner.post(`${API}/referrals/${id}/decline`, { reason: 'r' })]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const [row] = await ds.query(`SELECT status FROM record_transition WHERE id = $1`, [id]);
      const [share] = await ds.query(`SELECT count(*)::int AS n FROM record_share WHERE record_id = $1 AND user_id = $2 AND revoked_at IS NULL`, [c.id, ids.partner]);
      expect(share.n).toBe(row.status === 'accepted' ? 1 : 0);
    });

    it('accepts a referral once when accepted twice at the same moment', async () => {
      const c = await newCase('worker');
      const { id } = (await refer('worker', c, 'colleague').expect(201)).body;
      const results = await Promise.all([api.colleague.post(`${API}/referrals/${id}/accept`), api.colleague.post(`${API}/referrals/${id}/accept`)]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const history = await ds.query(`SELECT action FROM record_history WHERE record_id = $1 ORDER BY version`, [c.id]);
      expect(history.map((h: { action: string }) => h.action)).toEqual(['referral_create', 'referral_accept']);
    });

    it('ends without access however accept and revoke interleave, and the versions stay consistent', async () => {
      const c = await newCase('worker');
      const { id } = (await refer('worker', c, 'partner').expect(201)).body;
      const [accept, revoke] = await Promise.all([api.partner.post(`${API}/referrals/${id}/accept`), api.worker.post(`${API}/referrals/${id}/revoke`, {})]);
      expect(revoke.status).toBe(200);
      expect([200, 409]).toContain(accept.status);
      await api.partner.get(`${API}/records/case/${c.id}`).expect(404);
      const [row] = await ds.query(`SELECT r.version, r.shared_with, t.status FROM record r JOIN record_transition t ON t.record_id = r.id WHERE t.id = $1`, [id]);
      expect(row).toEqual({ version: accept.status === 200 ? 4 : 3, shared_with: [], status: 'revoked' });
    });
  });
});
