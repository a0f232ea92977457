import { Injectable } from '@nestjs/common';
import { HavenError } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import type { Principal } from '../auth/principal.js';
import { NotificationsRepository } from './notifications.repository.js';
import { renderSubject, safeDetails } from './templates/render-notification.js';

export interface InboxItem {
  id: string;
  event: string;
  subject: string;
  record: { id: string; displayId: string; module: string; recordType: string } | null;
  actor: string | null;
  details: Record<string, string>;
  createdAt: string;
  readAt: string | null;
}

export interface InboxPage {
  items: InboxItem[];
  total: number;
  unread: number;
  page: number;
  pageSize: number;
}

const ID = /^[1-9]\d{0,17}$/;

/**
 * The caller's own in-app notifications. Subjects are rendered now, in the caller's locale, from the active
 * templates; the record (and its display id) is shown only while the caller may still read it.
 */
@Injectable()
export class InboxService {
  constructor(
    private readonly repo: NotificationsRepository,
    private readonly config: ActiveConfigService,
  ) {}

  async list(principal: Principal, unread: boolean | undefined, page: number, pageSize: number): Promise<InboxPage> {
    const { rows, total, unread: unreadCount } = await this.repo.page(principal.userId, unread, page, pageSize);
    const config = this.config.current();
    const visible = await this.repo.visibleRecords(principal.ability, config, rows.flatMap((r) => (r.recordId ? [r.recordId] : [])));
    const items = rows.map((n): InboxItem => {
      const record = n.recordId ? visible.get(n.recordId) : undefined;
      let subject: string;
      try {
        subject = renderSubject(config, n, record, principal.locale) ?? n.event;
      } catch {
        subject = n.event;
      }
      return {
        id: n.id,
        event: n.event,
        subject,
        record: record ? { id: record.id, displayId: record.displayId, module: record.module, recordType: record.recordType } : null,
        actor: n.actorUsername,
        details: safeDetails(n.details),
        createdAt: n.createdAt.toISOString(),
        readAt: n.readAt ? n.readAt.toISOString() : null,
      };
    });
    return { items, total, unread: unreadCount, page, pageSize };
  }

  unreadCount(principal: Principal): Promise<number> {
    return this.repo.unreadCount(principal.userId);
  }

  async markRead(principal: Principal, id: string): Promise<{ id: string; readAt: string }> {
    const readAt = ID.test(id) ? await this.repo.markRead(principal.userId, id) : undefined;
    if (!readAt) throw HavenError.notFound('No such notification.');
    return { id, readAt: readAt.toISOString() };
  }

  async markAllRead(principal: Principal): Promise<{ updated: number }> {
    return { updated: await this.repo.markAllRead(principal.userId) };
  }
}
