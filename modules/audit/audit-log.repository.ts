import type { EntityManager } from 'typeorm';

export interface AuditFilter {
  user?: string;
  action?: string;
  record?: string;
  objectType?: string;
  from?: Date;
  to?: Date;
  /** Only rows whose actor belongs to this agency (an agency-scoped audit grant); null = no rows. */
  actorAgencyId?: string | null;
}

export interface AuditRow {
  id: string;
  at: string;
  actor: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  outcome: string;
  clientIp: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** Reads the append-only `audit_log` (writes go through AuditService). */
export class AuditLogRepository {
  constructor(private readonly db: EntityManager) {}

  async search(filter: AuditFilter, page: { limit: number; offset: number }): Promise<{ items: AuditRow[]; total: number }> {
    const values: unknown[] = [];
    const add = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    const where: string[] = [];
    if (filter.actorAgencyId === null) where.push('false');
    else if (filter.actorAgencyId !== undefined) where.push(`l.actor_id IN (SELECT id FROM app_user WHERE agency_id = ${add(filter.actorAgencyId)})`);
    if (filter.user !== undefined) {
      const user = add(filter.user);
      where.push(`(lower(l.actor) = lower(${user}) OR l.actor_id IN (SELECT id FROM app_user WHERE lower(username) = lower(${user})))`);
    }
    if (filter.action !== undefined) {
      if (filter.action.endsWith('.*')) where.push(`l.action LIKE ${add(filter.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`) + '%')}`);
      else where.push(`l.action = ${add(filter.action)}`);
    }
    if (filter.record !== undefined) where.push(`l.object_id = ${add(filter.record)}`);
    if (filter.objectType !== undefined) where.push(`l.object_type = ${add(filter.objectType)}`);
    if (filter.from) where.push(`l.at >= ${add(filter.from)}`);
    if (filter.to) where.push(`l.at < ${add(filter.to)}`);
    const condition = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await this.db.query(`SELECT count(*)::int AS total FROM audit_log l ${condition}`, values);
    const rows: Array<Record<string, unknown>> = await this.db.query(
      `SELECT l.id::text AS id, l.at, l.actor, l.action, l.object_type, l.object_id, l.outcome, l.client_ip, l.request_id, l.details
         FROM audit_log l ${condition}
        ORDER BY l.at DESC, l.id DESC
        LIMIT ${add(page.limit)} OFFSET ${add(page.offset)}`,
      values,
    );
    return {
      total,
      items: rows.map((r) => ({
        id: r.id as string,
        at: new Date(r.at as string).toISOString(),
        actor: (r.actor as string | null) ?? null,
        action: r.action as string,
        objectType: (r.object_type as string | null) ?? null,
        objectId: (r.object_id as string | null) ?? null,
        outcome: r.outcome as string,
        clientIp: (r.client_ip as string | null) ?? null,
        requestId: (r.request_id as string | null) ?? null,
        details: (r.details as Record<string, unknown>) ?? {},
      })),
    };
  }
}
