import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** What happened, for whom. Events are stable identifiers (templates are chosen by them). */
export type NotificationEventKey =
  | 'approval_requested'
  | 'approval_decided'
  | 'assignment'
  | 'referral_received'
  | 'referral_accepted'
  | 'referral_declined'
  | 'referral_revoked'
  | 'referral_done'
  | 'transfer_received'
  | 'transfer_accepted'
  | 'transfer_rejected'
  | 'transfer_revoked'
  | 'transfer_requested'
  | 'transition';

export interface NotificationEvent {
  readonly event: NotificationEventKey;
  /** User ids; duplicates and the actor themself are dropped. */
  readonly recipients: readonly string[];
  readonly recordId: string | null;
  readonly actorId: string | null;
  /**
   * Non-identifying facts only (approval type, decision, service key, transition key, comment): never record
   * field values. Templates read the record itself, through the recipient's own ability.
   */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The notification outbox. `enqueue` runs inside the caller's transaction, so a notification exists exactly when
 * the change it reports was committed: one in-app row per recipient, plus an e-mail outbox row for each recipient
 * with an address (sent after commit by the mailer, never inside a request).
 */
@Injectable()
export class NotificationsService {
  async enqueue(tx: EntityManager, e: NotificationEvent): Promise<number> {
    const recipients = [...new Set(e.recipients)].filter((id) => id !== e.actorId);
    if (recipients.length === 0) return 0;
    const rows: { id: string; has_email: boolean }[] = await tx.query(
      `WITH n AS (
         INSERT INTO notification (user_id, event, record_id, actor_id, details)
         SELECT u.id, $2, $3, $4, $5::jsonb FROM app_user u WHERE u.id = ANY($1::uuid[])
         RETURNING id, user_id
       ), m AS (
         INSERT INTO notification_email (notification_id, status)
         SELECT n.id, 'pending' FROM n JOIN app_user u ON u.id = n.user_id WHERE coalesce(u.email, '') <> ''
         RETURNING notification_id
       )
       SELECT n.id::text AS id, EXISTS (SELECT 1 FROM m WHERE m.notification_id = n.id) AS has_email FROM n`,
      [recipients, e.event, e.recordId, e.actorId, JSON.stringify(e.details ?? {})],
    );
    return rows.length;
  }
}
