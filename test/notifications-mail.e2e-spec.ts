import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { createApp } from '../modules/create-app.js';
import { loadEnv } from '../modules/settings/env.js';
import { NotificationsService, type NotificationEvent } from '../modules/notifications/notifications.service.js';
import { as, login, newGroup, newUser, type TestUser } from './support/factories.js';
import { newRecord, type TestRecord } from './support/record-factories.js';
import { decodedText, eventually, SmtpSink } from './support/smtp-sink.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The notification outbox end to end with a real SMTP server on loopback: enqueue (inside a transaction, as the
 * workflow does) -> in-app list -> the mailer renders for the recipient and sends; retries after a 451, gives up
 * after the attempts or at once on a 550; never puts identifying data (or any record data) in a message.
 */

const SECRET_NAME = 'Zainab Qwertyuiop';
const SECRET_CODE = 'SURV-SECRET-9981';
const PUBLIC_URL = 'https://haven.example.org';

describe('notifications: in-app list and e-mail', () => {
  let t: TestApp;
  let ds: DataSource;
  let sink: SmtpSink;
  let notifications: NotificationsService;
  let owner: TestUser;
  let supervisor: TestUser;
  let outsider: TestUser;
  let quiet: TestUser;
  let record: TestRecord;
  let emailCounter = 0;

  const email = (name: string) => `${name}-${++emailCounter}@example.org`;

  async function enqueue(e: Omit<NotificationEvent, 'actorId'> & { actorId?: string | null }): Promise<void> {
    await ds.transaction((tx) => notifications.enqueue(tx, { actorId: owner.id, ...e }));
  }

  async function outbox(userId: string): Promise<{ status: string; attempts: number; last_error: string | null; sent_at: Date | null }[]> {
    return ds.query(
      `SELECT e.status, e.attempts, e.last_error, e.sent_at FROM notification_email e JOIN notification n ON n.id = e.notification_id
        WHERE n.user_id = $1 ORDER BY e.id`,
      [userId],
    );
  }

  const settled = (userId: string, count: number) =>
    eventually(async () => {
      const rows = await outbox(userId);
      return rows.length === count && rows.every((r) => r.status !== 'pending') ? rows : undefined;
    }, `${count} e-mail(s) of ${userId} to settle`);

  const mailEnv = () => ({
    SMTP_URL: sink.url,
    SMTP_FROM: 'Haven <haven@example.org>',
    HAVEN_PUBLIC_URL: PUBLIC_URL,
    HAVEN_MAIL_POLL_MS: '200',
    HAVEN_MAIL_RETRY_BASE_MS: '100',
    HAVEN_MAIL_MAX_ATTEMPTS: '3',
  });

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startTestApp(mailEnv());
    ds = t.app.get(DataSource);
    notifications = t.app.get(NotificationsService);
    const group = await newGroup(ds);
    owner = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-N', groups: [group.code], email: email('owner'), locale: 'en' });
    supervisor = await newUser(ds, { roles: ['gbv_supervisor'], agency: 'AG-N', groups: [group.code], email: email('sup'), locale: 'fr' });
    outsider = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-OTHER', email: email('outsider'), locale: 'ar' });
    quiet = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-N', email: null });
    record = await newRecord(ds, {
      module: 'gbv',
      recordType: 'case',
      owner,
      data: { name: SECRET_NAME, survivor_code_no: SECRET_CODE, age: 27, sex: 'female', occupation: 'Teacher' },
    });
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('sends the recipient an e-mail in their locale with the display id and a link, and no record data', async () => {
    await enqueue({ event: 'approval_requested', recipients: [supervisor.id], recordId: record.id, details: { approvalType: 'action_plan', comment: `Please check ${SECRET_NAME}` } });
    const [row] = await settled(supervisor.id, 1);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    const [message] = sink.to(await userEmail(supervisor.id));
    const text = decodedText(message!.raw);
    expect(text).toMatch(/Subject: Approbation demandée : .+ — /);
    expect(text).toContain(record.displayId);
    expect(text).toContain(`${PUBLIC_URL}/records/gbv/case/${record.id}`);
    expect(text).toContain('Auto-Submitted: auto-generated');
    for (const secret of [SECRET_NAME, 'Zainab', SECRET_CODE, 'Teacher', 'Please check', owner.username, supervisor.username]) {
      expect(message!.raw).not.toContain(secret);
      expect(text).not.toContain(secret);
    }
  });

  it('lists the notification in the app, newest first, with the subject in the reader locale', async () => {
    const token = await login(t, supervisor.username, supervisor.password);
    const res = await as(t, token).get('/api/v1/notifications');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 1, unread: 1, page: 1, pageSize: 20 });
    const [item] = res.body.items;
    expect(item).toMatchObject({
      event: 'approval_requested',
      record: { id: record.id, displayId: record.displayId, module: 'gbv', recordType: 'case' },
      actor: owner.username,
      details: { approvalType: 'action_plan' },
      readAt: null,
    });
    expect(item.subject).toMatch(/^Approbation demandée : /);
    expect(JSON.stringify(res.body)).not.toContain(SECRET_NAME);
    expect(JSON.stringify(res.body)).not.toContain('Please check');
  });

  it('keeps the record (and its display id) out of the mail and the list when the recipient cannot read it', async () => {
    await enqueue({ event: 'referral_received', recipients: [outsider.id], recordId: record.id, details: { service: 'health_medical_service' } });
    await settled(outsider.id, 1);
    const text = decodedText(sink.to(await userEmail(outsider.id))[0]!.raw);
    expect(text).toContain('Subject: إحالة جديدة');
    expect(text).not.toContain(record.displayId);
    expect(text).not.toContain(record.id);
    const token = await login(t, outsider.username, outsider.password);
    const res = await as(t, token).get('/api/v1/notifications');
    expect(res.body.items[0]).toMatchObject({ event: 'referral_received', record: null });
    expect(JSON.stringify(res.body)).not.toContain(record.displayId);
  });

  it('marks read one by one or all at once, only the caller\'s own', async () => {
    await enqueue({ event: 'assignment', recipients: [supervisor.id], recordId: record.id });
    await enqueue({ event: 'transfer_requested', recipients: [supervisor.id], recordId: record.id });
    const sup = as(t, await login(t, supervisor.username, supervisor.password));
    const list = await sup.get('/api/v1/notifications?unread=true');
    expect(list.body.items.map((i: { event: string }) => i.event)).toEqual(['transfer_requested', 'assignment', 'approval_requested']);
    expect((await sup.get('/api/v1/notifications/unread-count')).body).toEqual({ unread: 3 });

    const newest = list.body.items[0].id as string;
    const other = as(t, await login(t, outsider.username, outsider.password));
    expect((await other.post(`/api/v1/notifications/${newest}/read`)).status).toBe(404);
    expect((await other.post('/api/v1/notifications/not-a-number/read')).status).toBe(404);

    const read = await sup.post(`/api/v1/notifications/${newest}/read`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: newest, readAt: expect.any(String) });
    expect((await sup.post(`/api/v1/notifications/${newest}/read`)).body.readAt).toBe(read.body.readAt);
    expect((await sup.get('/api/v1/notifications?unread=false')).body.items.map((i: { id: string }) => i.id)).toEqual([newest]);
    expect((await sup.post('/api/v1/notifications/read-all')).body).toEqual({ updated: 2 });
    expect((await sup.get('/api/v1/notifications/unread-count')).body).toEqual({ unread: 0 });
    expect((await other.get('/api/v1/notifications/unread-count')).body).toEqual({ unread: 1 });
    expect((await sup.get('/api/v1/notifications?unread=maybe')).status).toBe(400);
    expect((await sup.get('/api/v1/notifications?pageSize=1&page=2')).body).toMatchObject({ total: 3, items: [{ event: 'assignment' }] });
  });

  it('queues no e-mail for a recipient without an address, and none for the actor', async () => {
    await enqueue({ event: 'assignment', recipients: [quiet.id, owner.id], recordId: record.id, actorId: owner.id });
    expect(await outbox(quiet.id)).toEqual([]);
    expect(await outbox(owner.id)).toEqual([]);
    const [{ count }] = await ds.query(`SELECT count(*)::int AS count FROM notification WHERE user_id = $1`, [quiet.id]);
    expect(count).toBe(1);
  });

  it('retries after the server refuses with 451 and sends once it accepts', async () => {
    const recipient = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-N', email: email('retry') });
    const before = sink.refused;
    sink.refuseNext(2, 451, await userEmail(recipient.id));
    await enqueue({ event: 'transfer_received', recipients: [recipient.id], recordId: record.id });
    const [row] = await settled(recipient.id, 1);
    expect(row).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
    expect(sink.refused - before).toBe(2);
    expect(sink.to(await userEmail(recipient.id))).toHaveLength(1);
  });

  it('gives up after the configured attempts while the server keeps refusing', async () => {
    const recipient = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-N', email: email('giveup') });
    sink.refuseAll(451);
    try {
      await enqueue({ event: 'transfer_accepted', recipients: [recipient.id], recordId: record.id });
      const [row] = await settled(recipient.id, 1);
      expect(row).toMatchObject({ status: 'failed', attempts: 3, sent_at: null });
      expect(row!.last_error).toContain('451');
    } finally {
      sink.refuseAll(undefined);
    }
    expect(sink.to(await userEmail(recipient.id))).toHaveLength(0);
  });

  it('fails at once on a permanent refusal (550)', async () => {
    const recipient = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-N', email: email('bounce') });
    sink.refuseNext(1, 550, await userEmail(recipient.id));
    await enqueue({ event: 'transfer_rejected', recipients: [recipient.id], recordId: record.id });
    const [row] = await settled(recipient.id, 1);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row!.last_error).toContain('550');
  });

  it('skips the e-mail of a disabled recipient', async () => {
    const recipient = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-N', email: email('disabled') });
    await ds.query(`UPDATE app_user SET disabled = true WHERE id = $1`, [recipient.id]);
    await enqueue({ event: 'assignment', recipients: [recipient.id], recordId: record.id });
    const [row] = await settled(recipient.id, 1);
    expect(row).toMatchObject({ status: 'skipped' });
    expect(sink.to(await userEmail(recipient.id))).toHaveLength(0);
  });

  it('e-mails the supervisor when a caseworker requests an approval over the workflow route', async () => {
    const planned = await newRecord(ds, { module: 'gbv', recordType: 'case', owner, status: 'action_plan', data: { name: SECRET_NAME, survivor_code_no: SECRET_CODE } });
    const supervisorEmail = await userEmail(supervisor.id);
    const before = sink.to(supervisorEmail).length;
    const api = as(t, await login(t, owner.username, owner.password));
    const res = await api.post(`/api/v1/records/case/${planned.id}/approvals/action_plan`, { action: 'request', comment: `Plan for ${SECRET_NAME}` });
    expect(res.status).toBeLessThan(300);
    const message = await eventually(
      async () => sink.to(supervisorEmail).slice(before).find((m) => decodedText(m.raw).includes(planned.displayId)),
      'the approval e-mail',
    );
    const text = decodedText(message.raw);
    expect(text).toMatch(/Subject: Approbation demandée : .+ — /);
    for (const secret of ['Zainab', SECRET_CODE, 'Plan for']) expect(text).not.toContain(secret);
  });

  it('sends each e-mail once while two app instances drain the same outbox', async () => {
    let second: NestExpressApplication | undefined;
    try {
      second = await createApp({ env: loadEnv({ LOG_LEVEL: 'silent', ...mailEnv(), DATABASE_URL: t.db.url }), databaseKind: t.db.kind, databaseUrl: t.db.url });
      const recipients = await Promise.all(Array.from({ length: 12 }, (_, i) => newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-N', email: email(`many${i}`) })));
      for (const recipient of recipients) await enqueue({ event: 'assignment', recipients: [recipient.id], recordId: record.id });
      for (const recipient of recipients) await settled(recipient.id, 1);
      for (const recipient of recipients) {
        expect(await outbox(recipient.id)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
        expect(sink.to(await userEmail(recipient.id))).toHaveLength(1);
      }
    } finally {
      await second?.close();
    }
  });

  async function userEmail(id: string): Promise<string> {
    const [row] = await ds.query(`SELECT email FROM app_user WHERE id = $1`, [id]);
    return row.email;
  }
});
