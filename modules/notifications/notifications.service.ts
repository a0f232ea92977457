import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { NotificationEventKey as EventKey } from '../../engine/index.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';

/**
 * What happened, for whom. Events are stable identifiers (templates are chosen by them; the list is the
 * engine's `NOTIFICATION_EVENTS`, which bundle templates are checked against).
 */
export type NotificationEventKey = EventKey;

export interface NotificationEvent {
  readonly event: NotificationEventKey;
  /** User ids; duplicates and the actor themself are dropped. */
  readonly recipients: readonly string[];
  readonly recordId: string | null;
  readonly actorId: string | null;
  /**
   * Non-identifying facts only (approval type, decision, service key, transition key, comment): never record
   * field values. Templates read the record itself, through the recipient's own ability, and see only keys
   * (docs/notifications.md): free text such as comments never reaches an e-mail.
   */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Channel the mailer listens on: an e-mail was queued (delivered by PostgreSQL at commit). */
export const MAIL_CHANNEL = 'haven_mail';

/**
 * The notification outbox. `enqueue` runs inside the caller's transaction, so a notification exists exactly when
 * the change it reports was committed: one in-app row per recipient, plus an e-mail outbox row for each recipient
 * with an address (sent after commit by the mailer, never inside a request). Without SMTP_URL the e-mail rows
 * are written as `skipped`, so that the outbox records what was not sent and never grows a backlog that a later
 * SMTP configuration would flood out.
 */
@Injectable()
export class NotificationsService {
  constructor(@Inject(HAVEN_RUNTIME) private readonly runtime: HavenRuntime) {}

  async enqueue(tx: EntityManager, e: NotificationEvent): Promise<number> {
    const recipients = [...new Set(e.recipients)].filter((id) => id !== e.actorId);
    if (recipients.length === 0) return 0;
    const mail = this.runtime.env.smtpUrl !== undefined;
    const rows: { id: string; has_email: boolean }[] = await tx.query(
      `WITH n AS (
         INSERT INTO notification (user_id, event, record_id, actor_id, details)
         SELECT u.id, $2, $3, $4, $5::jsonb FROM app_user u WHERE u.id = ANY($1::uuid[])
         RETURNING id, user_id
       ), m AS (
         INSERT INTO notification_email (notification_id, status, last_error)
         SELECT n.id, CASE WHEN $6 THEN 'pending' ELSE 'skipped' END, CASE WHEN $6 THEN NULL ELSE 'SMTP_URL is not set' END
           FROM n JOIN app_user u ON u.id = n.user_id WHERE coalesce(u.email, '') <> ''
         RETURNING notification_id
       )
       SELECT n.id::text AS id, EXISTS (SELECT 1 FROM m WHERE m.notification_id = n.id) AS has_email FROM n`,
      [recipients, e.event, e.recordId, e.actorId, JSON.stringify(e.details ?? {}), mail],
    );
    if (mail && rows.some((r) => r.has_email)) await tx.query(`SELECT pg_notify($1, '')`, [MAIL_CHANNEL]);
    return rows.length;
  }
}
