import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HavenError, type Issue } from '../common/errors.js';
import type { Page } from '../common/pagination.js';
import { AuditLogRepository, type AuditRow } from './audit-log.repository.js';
import type { Principal } from '../auth/principal.js';
import type { AuditQuery } from './audit-query.dto.js';

/** Searches the audit log for administrators, newest first. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly ds: DataSource) {}

  /** With an agency-scoped audit grant: only what people of one's own agency did. Without the grant: nothing. */
  async search(query: AuditQuery, principal: Principal): Promise<Page<AuditRow>> {
    const scope = principal.ability.adminScope('read', 'audit');
    const actorAgencyId = scope === 'all' ? undefined : scope === 'agency' ? principal.agencyId : null;
    const issues: Issue[] = [];
    const from = instant(query.from, '/from', issues);
    const to = instant(query.to, '/to', issues);
    if (from && to && from.getTime() >= to.getTime()) {
      issues.push({ code: 'invalid_range', path: '/to', message: '"to" must come after "from".' });
    }
    if (issues.length) throw HavenError.validation(issues);
    const { items, total } = await new AuditLogRepository(this.ds.manager).search(
      { user: query.user, action: query.action, record: query.record, objectType: query.objectType, from, to, actorAgencyId },
      { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
    );
    return { items, total, page: query.page, pageSize: query.pageSize };
  }
}

/** The instant of an ISO 8601 value (the DTO already refused malformed and impossible dates such as 2025-02-30). */
function instant(value: string | undefined, path: string, issues: Issue[]): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    issues.push({ code: 'invalid_date', path, message: `${path.slice(1)} is not a date this server can read.` });
    return undefined;
  }
  return date;
}
