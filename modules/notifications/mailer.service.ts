import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { DataSource } from 'typeorm';
import { PrincipalLoader } from '../auth/principal.loader.js';
import { logger } from '../common/logger.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { NoticeListener } from '../database/notice-listener.js';
import { MAIL_CHANNEL } from './notifications.service.js';
import { NotificationsRepository } from './notifications.repository.js';
import { renderNotification, type StoredNotification } from './templates/render-notification.js';

/** A claimed outbox row is someone's for this long; a crash leaves it due again afterwards (and it may be resent). */
const LEASE_SECONDS = 300;
const BATCH = 10;
const MAX_BACKOFF_MS = 6 * 60 * 60 * 1000;
const SHUTDOWN_WAIT_MS = 5000;

interface ClaimedEmail {
  id: string;
  attempts: number;
  notification: StoredNotification;
}

/** The first retry waits `base`, each further one twice as long, never more than six hours. */
export function backoffMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

/** SMTP 5xx replies are permanent: the same message to the same address will not be accepted later. */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

function errorText(error: unknown): string {
  const e = error as { responseCode?: number; code?: string; message?: string };
  const text = [e.responseCode, e.code, e.message ?? String(error)].filter((part) => part !== undefined).join(' ');
  return text.slice(0, 500);
}

/**
 * Sends the e-mail outbox (docs/notifications.md) when SMTP_URL is set. Every app instance runs one: it claims due
 * rows with `FOR UPDATE SKIP LOCKED` (so instances never take the same row), renders each for its recipient (their
 * locale, their ability: the record's display id only while they may read it), sends, and marks the row sent; a
 * failure is retried with exponential back-off until `HAVEN_MAIL_MAX_ATTEMPTS`, an SMTP 5xx reply fails the row at
 * once. Delivery is at least once: a crash between the SMTP server's acceptance and the `sent` mark sends the
 * message again after the lease. It wakes on a poll timer and at once on `NOTIFY haven_mail` (sent by `enqueue` at
 * commit). Nothing here runs inside a request.
 */
@Injectable()
export class MailerService implements OnApplicationBootstrap, OnModuleDestroy {
  private transport?: Transporter;
  private timer?: ReturnType<typeof setInterval>;
  private notices?: NoticeListener;
  private running?: Promise<void>;
  private again = false;
  private closing = false;

  constructor(
    private readonly ds: DataSource,
    @Inject(HAVEN_RUNTIME) private readonly runtime: HavenRuntime,
    private readonly principals: PrincipalLoader,
    private readonly config: ActiveConfigService,
    private readonly repo: NotificationsRepository,
  ) {}

  onApplicationBootstrap(): void {
    const { smtpUrl, mailPollMs } = this.runtime.env;
    if (smtpUrl === undefined) return;
    this.transport = nodemailer.createTransport(smtpUrl);
    this.timer = setInterval(() => this.wake(), mailPollMs);
    this.timer.unref();
    // The poll timer delivers anyway; the wake-up on commit only makes it faster.
    this.notices = new NoticeListener({ url: this.runtime.databaseUrl, channel: MAIL_CHANNEL, name: 'haven-mailer', what: 'mail wake-ups', onNotice: () => this.wake() });
    void this.notices.start();
    setImmediate(() => this.wake());
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    // Finish the message in hand, but never hold shutdown hostage to a hanging SMTP server: an unfinished row is
    // still leased, and due again (another instance, or this one after restart) when the lease ends.
    let timeout: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.running?.catch(() => undefined), new Promise((resolve) => (timeout = setTimeout(resolve, SHUTDOWN_WAIT_MS)))]);
    clearTimeout(timeout);
    await this.notices?.stop();
    this.transport?.close();
  }

  /** Runs a drain now, or right after the running one. */
  wake(): void {
    if (this.closing || this.transport === undefined) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err: unknown) => {
        if (!this.closing) logger.error({ err: String(err) }, 'the mailer could not process the outbox; it retries on the next poll');
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drain(): Promise<void> {
    try {
      this.config.current();
    } catch {
      return; // the configuration is not loaded yet: the next poll tries again
    }
    while (!this.closing) {
      const batch = await this.claim();
      if (batch.length === 0) return;
      for (const email of batch) await this.deliver(email);
    }
  }

  private async claim(): Promise<ClaimedEmail[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `WITH due AS (
         SELECT id FROM notification_email WHERE status = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
       ), c AS (
         UPDATE notification_email e SET attempts = e.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
           FROM due WHERE e.id = due.id
         RETURNING e.id, e.notification_id, e.attempts
       )
       SELECT c.id::text AS id, c.attempts, n.id::text AS nid, n.user_id, n.event, n.record_id, n.actor_id, n.details, n.created_at, n.read_at
         FROM c JOIN notification n ON n.id = c.notification_id ORDER BY c.id`,
      [BATCH, LEASE_SECONDS],
    );
    return rows.map((r) => ({
      id: r.id as string,
      attempts: r.attempts as number,
      notification: {
        id: r.nid as string,
        userId: r.user_id as string,
        event: r.event as string,
        recordId: (r.record_id as string | null) ?? null,
        actorId: (r.actor_id as string | null) ?? null,
        details: (r.details as Record<string, unknown>) ?? {},
        createdAt: new Date(r.created_at as string),
        readAt: r.read_at ? new Date(r.read_at as string) : null,
      },
    }));
  }

  private async deliver(email: ClaimedEmail): Promise<void> {
    const n = email.notification;
    const user = await this.principals.user(n.userId);
    if (!user || user.disabled || !user.email) {
      await this.finish(email.id, 'skipped', 'the recipient is disabled or has no e-mail address');
      return;
    }
    let message: { subject: string; text: string } | undefined;
    try {
      const config = this.config.current();
      const ability = this.principals.principal(user, 'mailer').ability;
      const record = n.recordId ? (await this.repo.visibleRecords(ability, config, [n.recordId])).get(n.recordId) : undefined;
      const rendered = renderNotification(config, n, record, user.locale, this.runtime.env.publicUrl);
      if (rendered === undefined) {
        await this.finish(email.id, 'skipped', `no template answers the event "${n.event}"`);
        return;
      }
      message = { subject: rendered.subject, text: rendered.body };
    } catch (err) {
      await this.failed(email, err, true);
      return;
    }
    try {
      await this.transport!.sendMail({
        from: this.runtime.env.smtpFrom,
        to: user.email,
        subject: message.subject,
        text: message.text,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Haven-Event': n.event },
      });
    } catch (err) {
      await this.failed(email, err, isPermanent(err));
      return;
    }
    await this.finish(email.id, 'sent', null);
  }

  private async finish(id: string, status: 'sent' | 'skipped' | 'failed', error: string | null): Promise<void> {
    await this.ds.query(
      `UPDATE notification_email SET status = $2, last_error = $3, sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END WHERE id = $1`,
      [id, status, error],
    );
  }

  private async failed(email: ClaimedEmail, err: unknown, permanent: boolean): Promise<void> {
    const { mailMaxAttempts, mailRetryBaseMs } = this.runtime.env;
    const text = errorText(err);
    if (permanent || email.attempts >= mailMaxAttempts) {
      logger.warn({ email: email.id, attempts: email.attempts, err: text }, 'gave up sending a notification e-mail');
      await this.finish(email.id, 'failed', text);
      return;
    }
    await this.ds.query(`UPDATE notification_email SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`, [
      email.id,
      text,
      backoffMs(email.attempts, mailRetryBaseMs) / 1000,
    ]);
    // The retry is due later than the poll may come: make sure a short back-off is not left waiting a full poll.
    const delay = backoffMs(email.attempts, mailRetryBaseMs);
    if (delay < this.runtime.env.mailPollMs) setTimeout(() => this.wake(), delay + 10).unref();
  }
}
