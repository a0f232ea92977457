import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { CompiledConfig, HavenAbility } from '../../engine/index.js';
import { scopeSql, SqlParams } from '../records/scope-sql.js';
import type { StoredNotification, VisibleRecord } from './templates/render-notification.js';

export interface InboxRow extends StoredNotification {
  readonly actorUsername: string | null;
}

const toNotification = (r: Record<string, unknown>): InboxRow => ({
  id: String(r.id),
  userId: r.user_id as string,
  event: r.event as string,
  recordId: (r.record_id as string | null) ?? null,
  actorId: (r.actor_id as string | null) ?? null,
  actorUsername: (r.actor_username as string | null) ?? null,
  details: (r.details as Record<string, unknown>) ?? {},
  createdAt: new Date(r.created_at as string),
  readAt: r.read_at ? new Date(r.read_at as string) : null,
});

const COLUMNS = `n.id, n.user_id, n.event, n.record_id, n.actor_id, a.username AS actor_username, n.details, n.created_at, n.read_at`;

/** SQL of the in-app list: always one user's own rows. */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly ds: DataSource) {}

  async page(userId: string, unread: boolean | undefined, page: number, pageSize: number): Promise<{ rows: InboxRow[]; total: number; unread: number }> {
    const condition = unread === undefined ? 'true' : unread ? 'n.read_at IS NULL' : 'n.read_at IS NOT NULL';
    const [rows, counts] = await Promise.all([
      this.ds.query(
        `SELECT ${COLUMNS} FROM notification n LEFT JOIN app_user a ON a.id = n.actor_id
          WHERE n.user_id = $1 AND ${condition} ORDER BY n.created_at DESC, n.id DESC LIMIT $2 OFFSET $3`,
        [userId, pageSize, (page - 1) * pageSize],
      ),
      this.ds.query(
        `SELECT count(*) FILTER (WHERE ${condition})::int AS total, count(*) FILTER (WHERE n.read_at IS NULL)::int AS unread
           FROM notification n WHERE n.user_id = $1`,
        [userId],
      ),
    ]);
    return { rows: (rows as Record<string, unknown>[]).map(toNotification), total: counts[0].total, unread: counts[0].unread };
  }

  async unreadCount(userId: string): Promise<number> {
    const [row] = await this.ds.query(`SELECT count(*)::int AS unread FROM notification WHERE user_id = $1 AND read_at IS NULL`, [userId]);
    return row.unread;
  }

  /** Marks one of the user's notifications read (idempotent); undefined when it is not theirs or does not exist. */
  async markRead(userId: string, id: string): Promise<Date | undefined> {
    const rows: { read_at: string }[] = await this.ds.query(
      `WITH u AS (UPDATE notification SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2 RETURNING read_at)
       SELECT read_at FROM u`,
      [id, userId],
    );
    return rows[0] ? new Date(rows[0].read_at) : undefined;
  }

  async markAllRead(userId: string): Promise<number> {
    const [row] = await this.ds.query(
      `WITH u AS (UPDATE notification SET read_at = now() WHERE user_id = $1 AND read_at IS NULL RETURNING 1) SELECT count(*)::int AS n FROM u`,
      [userId],
    );
    return row.n;
  }

  /**
   * Of `ids`, the records `ability` may read now (same scope as GET /records: read scope, and disabled ones only
   * within the `disable` scope), with their display ids.
   */
  async visibleRecords(ability: HavenAbility, config: CompiledConfig, ids: readonly string[], manager: EntityManager = this.ds.manager): Promise<Map<string, VisibleRecord>> {
    const out = new Map<string, VisibleRecord>();
    const unique = [...new Set(ids)];
    const types = config.recordTypes.filter((t) => ability.canRecord('read', t.module, t.key));
    if (unique.length === 0 || types.length === 0) return out;
    const params = new SqlParams();
    const idsParam = params.add(unique);
    const branches = types.map((t) => {
      const m = params.add(t.module);
      const rt = params.add(t.key);
      const scope = scopeSql(ability.recordConditions('read', t.module, t.key), params);
      const disabledScope = scopeSql(ability.recordConditions('disable', t.module, t.key), params);
      return `(r.module = ${m} AND r.record_type = ${rt} AND ${scope} AND (NOT r.disabled OR ${disabledScope}))`;
    });
    const rows: { id: string; display_id: string; module: string; record_type: string }[] = await manager.query(
      `SELECT r.id, r.display_id, r.module, r.record_type FROM record r WHERE r.id = ANY(${idsParam}::uuid[]) AND (${branches.join(' OR ')})`,
      params.values,
    );
    for (const r of rows) out.set(r.id, { id: r.id, displayId: r.display_id, module: r.module, recordType: r.record_type });
    return out;
  }
}
