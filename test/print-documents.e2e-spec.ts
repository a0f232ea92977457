import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { readBundleDir } from '../modules/config/bundle-files.js';
import { NotificationsService } from '../modules/notifications/notifications.service.js';
import { as, login, newUser, type TestUser } from './support/factories.js';
import { newRecord, type TestRecord } from './support/record-factories.js';
import { CONCERN, newPrintCase, PLAN } from './support/print-fixture.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Printouts (`GET /records/:type/:id/print`): the same access as reading the record, only what the reader may
 * read, labels in the asked locale (Arabic right to left), referral letters holding only the referral's shared
 * forms, every print audited; PDF is refused with a clear 406 on a server without Chromium (this app runs with
 * HAVEN_CHROMIUM_PATH=off; PDF itself: print-pdf.e2e-spec.ts).
 */

const NAME = 'Zainab <b>Qwertyuiop</b>';
const NAME_ESCAPED = 'Zainab &lt;b&gt;Qwertyuiop&lt;/b&gt;';

describe('printing records', () => {
  let t: TestApp;
  let ds: DataSource;
  let owner: TestUser;
  let supervisor: TestUser;
  let partner: TestUser;
  let outsider: TestUser;
  let record: TestRecord;
  let referralId: string;
  const tokens: Record<string, string> = {};

  const printUrl = (query: string, id = record.id) => `/api/v1/records/case/${id}/print?${query}`;
  const get = (who: TestUser, url: string) => as(t, tokens[who.username]!).get(url);

  beforeAll(async () => {
    t = await startTestApp({ HAVEN_CHROMIUM_PATH: 'off' });
    ds = t.app.get(DataSource);
    const c = await newPrintCase(t, ds, NAME);
    ({ owner, supervisor, partner, outsider, record, referralId } = c);
    Object.assign(tokens, c.tokens);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('prints every form the owner may read, in form order, values labelled and escaped, subforms as tables', async () => {
    const res = await get(owner, printUrl('template=case_summary&locale=en'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    const html = res.text;
    expect(html).toContain('<html lang="en" dir="ltr">');
    expect(html).toContain(`<title>Case summary — ${record.displayId}</title>`);
    expect(html).toContain('@page');
    expect(html).toContain(NAME_ESCAPED);
    expect(html).not.toContain(NAME);
    for (const text of ['Teacher', 'Female', PLAN, 'Psychosocial Service', CONCERN]) expect(html).toContain(text);
    const order = ['Consent for Services', 'Survivor Information', 'Action Plan', 'Safety Plan'].map((label) => html.indexOf(`<h2>${label}</h2>`));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).not.toContain('<th>Appointment date</th>');
    expect(html).toMatch(/<table>[\s\S]*<th>Type of need<\/th>[\s\S]*Psychosocial Service[\s\S]*<\/table>/);

    const [audit] = await ds.query(`SELECT actor, details FROM audit_log WHERE action = 'record.print' AND object_id = $1 ORDER BY id DESC LIMIT 1`, [record.id]);
    expect(audit.actor).toBe(owner.username);
    expect(audit.details).toMatchObject({ template: 'case_summary', locale: 'en', forms: expect.arrayContaining(['gbv_survivor_information', 'safety_plan']) });
    expect(JSON.stringify(audit.details)).not.toContain('Zainab');
  });

  it('prints in the asked locale, right to left for Arabic', async () => {
    const ar = await get(owner, printUrl('template=case_summary&locale=ar'));
    expect(ar.status).toBe(200);
    expect(ar.text).toContain('<html lang="ar" dir="rtl">');
    expect(ar.text).toContain('ملخص الملف');
    expect(ar.text).toContain('خطة العمل');
    const fr = await get(owner, printUrl('template=case_summary&locale=fr'));
    expect(fr.text).toContain('<html lang="fr" dir="ltr">');
    expect(fr.text).toContain('Informations sur le/la survivant(e)');
    expect(fr.text).toContain('Service psychosocial');
    expect((await get(owner, printUrl('template=case_summary&locale=xx'))).status).toBe(400);
  });

  it('leaves out what the reader may not read: a supervisor gets no identifying field', async () => {
    const res = await get(supervisor, printUrl('template=case_summary'));
    expect(res.status).toBe(200);
    expect(res.text).toContain('Teacher');
    for (const secret of ['Zainab', PLAN, CONCERN]) expect(res.text).not.toContain(secret);
  });

  it('answers 404 exactly like a missing record to someone who cannot read it', async () => {
    const denied = await get(outsider, printUrl('template=case_summary'));
    const missing = await get(outsider, printUrl('template=case_summary', randomUUID()));
    expect(denied.status).toBe(404);
    expect({ ...denied.body.error, requestId: undefined }).toEqual({ ...missing.body.error, requestId: undefined });
    // Asking for an unknown template says nothing more about a record one cannot read.
    expect((await get(outsider, printUrl('template=nope'))).status).toBe(404);
  });

  it('refuses PDF with a clear 406 and bad parameters with 400s', async () => {
    const pdf = await get(owner, printUrl('template=case_summary')).set('Accept', 'application/pdf');
    expect(pdf.status).toBe(406);
    expect(pdf.body.error).toMatchObject({ code: 'not_acceptable', message: expect.stringContaining('PDF is not available') });
    expect(pdf.body.error.message).toContain('HAVEN_CHROMIUM_PATH');
    expect(pdf.body.error.message).toContain('chromium');
    const unknown = await get(owner, printUrl('template=nope'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues).toEqual([expect.objectContaining({ code: 'unknown_template', path: '/template', message: expect.stringContaining('case_summary') })]);
    expect((await get(owner, printUrl(''))).status).toBe(400);
  });

  it('prints a referral letter with only the forms the referral shares, for the sender and the receiver', async () => {
    for (const reader of [owner, partner]) {
      const res = await get(reader, printUrl(`template=referral_letter&referral=${referralId}`));
      expect(res.status).toBe(200);
      expect(res.text).toContain('<h2>Survivor Information</h2>');
      expect(res.text).toContain(NAME_ESCAPED);
      expect(res.text).toContain('Health/Medical Service');
      expect(res.text).toContain(partner.username);
      for (const other of [PLAN, CONCERN, 'Action Plan', 'Safety Plan', 'Consent for Services']) expect(res.text).not.toContain(other);
    }
  });

  it('lets the receiver print no more than their role and the referral allow', async () => {
    const res = await get(partner, printUrl('template=case_summary'));
    expect(res.status).toBe(200);
    expect(res.text).toContain(PLAN);
    expect(res.text).not.toContain(CONCERN);
    expect(res.text).not.toContain('Safety Plan');
  });

  it('needs a referral of this record for a referral letter', async () => {
    const without = await get(owner, printUrl('template=referral_letter'));
    expect(without.status).toBe(400);
    expect(without.body.error.issues).toEqual([expect.objectContaining({ path: '/referral' })]);
    expect((await get(owner, printUrl(`template=referral_letter&referral=${randomUUID()}`))).status).toBe(404);
    const other = await newRecord(ds, { module: 'gbv', recordType: 'case', owner });
    expect((await get(owner, printUrl(`template=referral_letter&referral=${referralId}`, other.id))).status).toBe(404);
  });

  it('prints another referral of the record only for those who may read the record without shares, like GET /referrals/:id', async () => {
    const [other] = await ds.query(
      `INSERT INTO record_transition (kind, record_id, status, from_user, from_agency, to_user, to_agency, service, shared_forms)
       VALUES ('referral', $1, 'revoked', $2, 'AG-P', $3, 'AG-SECRET', 'legal_assistance_service', ARRAY['gbv_survivor_information']) RETURNING id`,
      [record.id, owner.id, outsider.id],
    );
    const url = printUrl(`template=referral_letter&referral=${other.id}`);
    const hidden = await get(partner, url);
    const missing = await get(partner, printUrl(`template=referral_letter&referral=${randomUUID()}`));
    expect([hidden.status, hidden.body.error?.code]).toEqual([404, missing.body.error.code]);
    expect(hidden.text).not.toContain('AG-SECRET');
    const ownerView = await get(owner, url);
    expect(ownerView.status).toBe(200);
    expect(ownerView.text).toContain('AG-SECRET');
  });

  it('refuses to import a bundle whose template prints unescaped or uses an unknown helper', async () => {
    const admin = await newUser(ds, { roles: ['system_admin'] });
    const api = as(t, await login(t, admin.username, admin.password));
    const files = await readBundleDir('configs/core');
    const manifest = JSON.parse(files['bundle.json']!);
    const assignment = JSON.parse(files['templates/assignment.json']!);
    assignment.locales.en.subject = 'Assigned: {{{record.displayId}}}';
    const res = await api.post('/api/v1/config/bundles', {
      files: {
        ...files,
        'bundle.json': JSON.stringify({ ...manifest, version: '2099.1.0' }),
        'templates/assignment.json': JSON.stringify(assignment),
        'templates/notification.fr.hbs': '{{subject}} {{json record}}',
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'template_syntax', path: '/files/templates~1assignment.json/locales/en/subject' }),
        expect.objectContaining({ code: 'template_syntax', path: '/files/templates~1notification.fr.hbs', message: expect.stringContaining('json') }),
      ]),
    );
  });

  it('queues e-mails as skipped when no SMTP server is configured', async () => {
    const recipient = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-P', email: 'someone@example.org' });
    await ds.transaction((tx) => t.app.get(NotificationsService).enqueue(tx, { event: 'assignment', recipients: [recipient.id], recordId: record.id, actorId: owner.id }));
    const rows = await ds.query(
      `SELECT e.status, e.last_error FROM notification_email e JOIN notification n ON n.id = e.notification_id WHERE n.user_id = $1`,
      [recipient.id],
    );
    expect(rows).toEqual([{ status: 'skipped', last_error: 'SMTP_URL is not set' }]);
  });
});
