import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newUser } from './support/factories.js';
import { decodedText, eventually, SmtpSink } from './support/smtp-sink.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * A GBV case walked over HTTP through its referrals and a transfer, on the shipped bundles: consent asked for the
 * legal referral, that referral declined by a legal aid partner, a health referral accepted and provided by a
 * clinic of another agency (the partner reads and prints only the shared forms), then the case transferred to a
 * caseworker of a third agency, who as the new owner ends the clinic's access. Each step checks who may and may not
 * act, the history, the audit rows, the in-app notifications and the e-mails the SMTP sink receives.
 */

const RECORDS = '/api/v1/records';
type Api = ReturnType<typeof as>;
type Who = 'worker' | 'legal' | 'clinic' | 'successor';

describe('referrals walk: a GBV case referred twice and transferred', () => {
  let t: TestApp;
  let ds: DataSource;
  let sink: SmtpSink;
  const api = {} as Record<Who, Api>;
  const ids = {} as Record<Who, string>;
  const names = {} as Record<Who, string>;
  const email = (who: Who) => `${who}@walk.example.org`;
  let caseId = '';
  let legalReferral = '';
  let healthReferral = '';

  const get = (who: Who) => api[who].get(`${RECORDS}/case/${caseId}`);
  const events = async () => (await ds.query(`SELECT user_id, event FROM notification WHERE record_id = $1 ORDER BY id`, [caseId])) as { user_id: string; event: string }[];
  const lastEvent = async () => (await events()).at(-1);
  const mailTo = (who: Who, containing: string) =>
    eventually(async () => sink.to(email(who)).map((m) => decodedText(m.raw)).find((text) => text.includes(containing)), `an e-mail to ${who} about ${containing}`);
  const version = async () => (await ds.query(`SELECT version FROM record WHERE id = $1`, [caseId]))[0].version as number;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startTestApp({ SMTP_URL: sink.url, SMTP_FROM: 'Haven <haven@example.org>', HAVEN_MAIL_POLL_MS: '200', HAVEN_MAIL_RETRY_BASE_MS: '100' });
    ds = t.app.get(DataSource);
    const users: Record<Who, { agency: string; role: string }> = {
      worker: { agency: 'WALK-GBV', role: 'gbv_caseworker' },
      legal: { agency: 'WALK-LEGAL', role: 'gbv_referral_partner' },
      clinic: { agency: 'WALK-CLINIC', role: 'gbv_referral_partner' },
      successor: { agency: 'WALK-NEXT', role: 'gbv_caseworker' },
    };
    for (const who of Object.keys(users) as Who[]) {
      await newAgency(ds, { code: users[who].agency });
      const u = await newUser(ds, { agency: users[who].agency, roles: [users[who].role], email: email(who) });
      ids[who] = u.id;
      names[who] = u.username;
      api[who] = as(t, await login(t, u.username, u.password));
    }
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('1. registration with consent for services and to share with health providers', async () => {
    const res = await api.worker
      .post(`${RECORDS}/case`, {
        module: 'gbv',
        data: {
          survivor_code_no: 'WALK-REF-1',
          name: 'SECRET Walker',
          sex: 'female',
          age: 29,
          consent_for_services: true,
          consent_to_share_info_by_health: true,
          consent_to_share_info_by_legal: false,
          safety_plan_needed: true,
          safety_plan_main_concern: 'SECRET safety concern',
          action_plan_section: [{ action_plan_description: 'Clinical care', service_type: 'health_medical_service' }],
        },
      })
      .expect(201);
    caseId = res.body.id;
  });

  it('2. the legal referral waits for the survivor’s consent to share with legal services, then is declined', async () => {
    const refused = await api.worker.post(`${RECORDS}/case/${caseId}/referrals`, { toUser: names.legal, service: 'legal_assistance_service' }).expect(409);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ code: 'consent_required', path: '/data/consent_to_share_info_by_legal' })]);
    await api.worker.patch(`${RECORDS}/case/${caseId}`, { version: await version(), data: { consent_to_share_info_by_legal: true } }).expect(200);
    legalReferral = (await api.worker.post(`${RECORDS}/case/${caseId}/referrals`, { toUser: names.legal, service: 'legal_assistance_service', notes: 'Custody question' }).expect(201)).body.id;
    expect(await lastEvent()).toEqual({ user_id: ids.legal, event: 'referral_received' });
    await mailTo('legal', '');

    // Nobody but the receiver answers it; pending gives the receiver nothing.
    await api.clinic.post(`/api/v1/referrals/${legalReferral}/accept`).expect(404);
    await api.worker.post(`/api/v1/referrals/${legalReferral}/accept`).expect(403);
    await get('legal').expect(404);
    await api.legal.post(`/api/v1/referrals/${legalReferral}/decline`, { reason: 'Outside our mandate' }).expect(200);
    await get('legal').expect(404);
    expect(await lastEvent()).toEqual({ user_id: ids.worker, event: 'referral_declined' });
  });

  it('3. the health referral, accepted across agencies: the clinic reads and prints only the shared forms, then provides the service', async () => {
    healthReferral = (await api.worker.post(`${RECORDS}/case/${caseId}/referrals`, { toUser: names.clinic, service: 'health_medical_service' }).expect(201)).body.id;
    await get('clinic').expect(404);
    await api.clinic.post(`/api/v1/referrals/${healthReferral}/accept`).expect(200);
    expect(await lastEvent()).toEqual({ user_id: ids.worker, event: 'referral_accepted' });

    const seen = (await get('clinic').expect(200)).body;
    expect(seen.data).toMatchObject({ survivor_code_no: 'WALK-REF-1', sex: 'female', action_plan_section: [expect.objectContaining({ service_type: 'health_medical_service' })] });
    expect(seen.data.safety_plan_main_concern).toBeUndefined();
    expect(seen.data.consent_for_services).toBeUndefined();
    await api.clinic.patch(`${RECORDS}/case/${caseId}`, { version: seen.version, data: { age: 30 } }).expect((res) => expect([403, 404]).toContain(res.status));

    const letter = await api.clinic.get(`${RECORDS}/case/${caseId}/print?template=referral_letter&referral=${healthReferral}`).expect(200);
    expect(letter.text).toContain('WALK-REF-1');
    expect(letter.text).not.toContain('SECRET safety concern');

    await api.worker.post(`/api/v1/referrals/${healthReferral}/done`, {}).expect(403);
    await api.clinic.post(`/api/v1/referrals/${healthReferral}/done`, { reason: 'Seen on 25 November' }).expect(200);
    expect(await lastEvent()).toEqual({ user_id: ids.worker, event: 'referral_done' });
    await get('clinic').expect(200);
  });

  it('4. the transfer to a caseworker of another agency: they look while pending, own it after accepting, the sender loses it', async () => {
    await api.clinic.post(`${RECORDS}/case/${caseId}/transfers`, { toUser: names.successor }).expect((res) => expect([403, 404]).toContain(res.status));
    const transfer = (await api.worker.post(`${RECORDS}/case/${caseId}/transfers`, { toUser: names.successor, notes: 'Survivor relocated' }).expect(201)).body.id;
    expect(await lastEvent()).toEqual({ user_id: ids.successor, event: 'transfer_received' });
    expect((await get('successor').expect(200)).body.data.safety_plan_main_concern).toBe('SECRET safety concern');
    await api.clinic.post(`/api/v1/transfers/${transfer}/accept`).expect(404);
    await api.successor.post(`/api/v1/transfers/${transfer}/accept`).expect(200);
    expect((await get('successor').expect(200)).body).toMatchObject({ owner: names.successor, agency: 'WALK-NEXT' });
    await get('worker').expect(404);
    expect(await lastEvent()).toEqual({ user_id: ids.worker, event: 'transfer_accepted' });
    await mailTo('successor', '');
  });

  it('5. the new owner ends the clinic’s access to the provided referral', async () => {
    await get('clinic').expect(200);
    await api.successor.post(`/api/v1/referrals/${healthReferral}/revoke`, {}).expect(200);
    await get('clinic').expect(404);
    expect(await lastEvent()).toEqual({ user_id: ids.clinic, event: 'referral_revoked' });
  });

  it('the whole way is in the history, the audit log and the notifications, without a field value', async () => {
    const history = (await api.successor.get(`${RECORDS}/case/${caseId}/history`).expect(200)).body.items;
    expect(history.map((h: { action: string }) => h.action)).toEqual([
      'create',
      'update',
      'referral_create',
      'referral_decline',
      'referral_create',
      'referral_accept',
      'referral_done',
      'transfer_create',
      'transfer_accept',
      'referral_revoke',
    ]);
    const workflow = history.flatMap((h: { changes: { path: string }[] }) => h.changes.map((c) => c.path)).filter((p: string) => p.startsWith('$'));
    expect(workflow).toEqual(
      expect.arrayContaining([`$referral/${legalReferral}`, `$referral/${healthReferral}`, `$share/${names.clinic}`, `$share/${names.successor}`, '$owner']),
    );
    const audit = await ds.query(
      `SELECT action, actor, outcome, details FROM audit_log WHERE object_id = $1 AND action LIKE 'record.%' AND action NOT IN ('record.read', 'record.print') ORDER BY id`,
      [caseId],
    );
    // The clinic's attempt to change the record was refused, and audited as such.
    expect(audit.filter((a: { outcome: string }) => a.outcome === 'denied')).toEqual([expect.objectContaining({ action: 'record.update', actor: names.clinic })]);
    expect(audit.filter((a: { outcome: string }) => a.outcome === 'allowed').map((a: { action: string }) => a.action)).toEqual([
      'record.create',
      'record.update',
      'record.referral_create',
      'record.referral_decline',
      'record.referral_create',
      'record.referral_accept',
      'record.referral_done',
      'record.transfer_create',
      'record.transfer_accept',
      'record.referral_revoke',
    ]);
    expect(JSON.stringify(audit.slice(2))).not.toContain('SECRET');
    expect((await events()).map((e) => `${e.event}:${Object.entries(ids).find(([, id]) => id === e.user_id)?.[0]}`)).toEqual([
      'referral_received:legal',
      'referral_declined:worker',
      'referral_received:clinic',
      'referral_accepted:worker',
      'referral_done:worker',
      'transfer_received:successor',
      'transfer_accepted:worker',
      'referral_revoked:clinic',
    ]);
    const mails = await eventually(async () => {
      const rows: { status: string }[] = await ds.query(
        `SELECT e.status FROM notification_email e JOIN notification n ON n.id = e.notification_id WHERE n.record_id = $1`,
        [caseId],
      );
      return rows.length === 8 && rows.every((r) => r.status === 'sent') ? rows : undefined;
    }, 'every e-mail of the walk to be sent');
    expect(mails).toHaveLength(8);
    expect(sink.messages.map((m) => decodedText(m.raw)).join('\n')).not.toContain('SECRET');
  });
});
