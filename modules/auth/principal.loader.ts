import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildAbility } from '../../engine/index.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import type { Principal } from './principal.js';

export interface UserFacts {
  id: string;
  username: string;
  fullName: string;
  agencyId: string | null;
  agencyCode: string | null;
  groupIds: string[];
  groupCodes: string[];
  roles: string[];
  locale: string;
  disabled: boolean;
  mustChangePassword: boolean;
  totpEnabled: boolean;
  code: string | null;
  email: string | null;
  lastLoginAt: Date | null;
}

/** Loads a user with their agency and groups, and builds the request's ability from the active config. */
@Injectable()
export class PrincipalLoader {
  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
  ) {}

  async user(userId: string): Promise<UserFacts | undefined> {
    const rows = await this.ds.query(
      `SELECT u.id, u.username, u.full_name, u.agency_id, a.code AS agency_code, u.roles, u.locale, u.disabled,
              u.must_change_password, u.totp_enabled, u.code, u.email, u.last_login_at, coalesce(a.disabled, false) AS agency_disabled,
              coalesce(array_agg(g.id ORDER BY g.code) FILTER (WHERE g.id IS NOT NULL), '{}') AS group_ids,
              coalesce(array_agg(g.code ORDER BY g.code) FILTER (WHERE g.id IS NOT NULL), '{}') AS group_codes
         FROM app_user u
         LEFT JOIN agency a ON a.id = u.agency_id
         LEFT JOIN app_user_group ug ON ug.user_id = u.id
         LEFT JOIN user_group g ON g.id = ug.group_id AND NOT g.disabled
        WHERE u.id = $1
        GROUP BY u.id, a.code, a.disabled`,
      [userId],
    );
    if (rows.length === 0) return undefined;
    const r = rows[0];
    return {
      id: r.id,
      username: r.username,
      fullName: r.full_name,
      agencyId: r.agency_id,
      agencyCode: r.agency_code,
      groupIds: r.group_ids,
      groupCodes: r.group_codes,
      roles: r.roles,
      locale: r.locale,
      // A disabled agency disables its users: they can neither sign in nor keep using a session.
      disabled: r.disabled || r.agency_disabled,
      mustChangePassword: r.must_change_password,
      totpEnabled: r.totp_enabled,
      code: r.code,
      email: r.email,
      lastLoginAt: r.last_login_at ? new Date(r.last_login_at) : null,
    };
  }

  principal(user: UserFacts, sessionId: string): Principal {
    const ability = buildAbility(this.config.current(), {
      id: user.id,
      username: user.username,
      agency: user.agencyCode,
      groups: user.groupCodes,
      roles: user.roles,
    });
    return {
      userId: user.id,
      username: user.username,
      fullName: user.fullName,
      agencyId: user.agencyId,
      agencyCode: user.agencyCode,
      groupIds: user.groupIds,
      groupCodes: user.groupCodes,
      roles: user.roles,
      locale: user.locale,
      sessionId,
      mustChangePassword: user.mustChangePassword,
      ability,
    };
  }
}
