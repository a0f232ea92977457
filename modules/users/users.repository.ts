import type { EntityManager } from 'typeorm';
import { type AdminScope, scopeCondition } from './admin-scope.js';
import { likePattern, SqlParams } from './sql.js';

/** A user as administrators see it: never the password hash, the TOTP secret or the recovery codes. */
export interface UserRecord {
  id: string;
  username: string;
  fullName: string;
  code: string | null;
  email: string | null;
  locale: string;
  agencyId: string | null;
  agencyCode: string | null;
  groupIds: string[];
  groupCodes: string[];
  roles: string[];
  disabled: boolean;
  mustChangePassword: boolean;
  totpEnabled: boolean;
  lastLoginAt: Date | null;
  passwordChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserFilter {
  agency?: string;
  group?: string;
  role?: string;
  disabled?: boolean;
  q?: string;
}

export interface NewUser {
  username: string;
  passwordHash: string;
  fullName: string;
  code: string | null;
  email: string | null;
  locale: string;
  agencyId: string;
  roles: string[];
}

export interface UserChanges {
  fullName?: string;
  code?: string | null;
  email?: string | null;
  locale?: string;
  agencyId?: string | null;
  roles?: string[];
  disabled?: boolean;
}

// Explicit columns: `SELECT u.*` would carry password_hash, totp_secret and recovery_codes along.
const SELECT = `
  SELECT u.id, u.username, u.full_name, u.code, u.email, u.locale, u.agency_id, a.code AS agency_code, u.roles,
         u.disabled, u.must_change_password, u.totp_enabled, u.last_login_at, u.password_changed_at, u.created_at, u.updated_at,
         coalesce((SELECT array_agg(g.id ORDER BY lower(g.code)) FROM app_user_group ug JOIN user_group g ON g.id = ug.group_id WHERE ug.user_id = u.id), '{}') AS group_ids,
         coalesce((SELECT array_agg(g.code ORDER BY lower(g.code)) FROM app_user_group ug JOIN user_group g ON g.id = ug.group_id WHERE ug.user_id = u.id), '{}') AS group_codes
    FROM app_user u LEFT JOIN agency a ON a.id = u.agency_id`;

const date = (value: unknown) => new Date(value as string);

function toRecord(r: Record<string, unknown>): UserRecord {
  return {
    id: r.id as string,
    username: r.username as string,
    fullName: r.full_name as string,
    code: (r.code as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    locale: r.locale as string,
    agencyId: (r.agency_id as string | null) ?? null,
    agencyCode: (r.agency_code as string | null) ?? null,
    groupIds: r.group_ids as string[],
    groupCodes: r.group_codes as string[],
    roles: r.roles as string[],
    disabled: r.disabled as boolean,
    mustChangePassword: r.must_change_password as boolean,
    totpEnabled: r.totp_enabled as boolean,
    lastLoginAt: r.last_login_at ? date(r.last_login_at) : null,
    passwordChangedAt: date(r.password_changed_at),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

export function userView(u: UserRecord) {
  return {
    id: u.id,
    username: u.username,
    fullName: u.fullName,
    code: u.code,
    email: u.email,
    locale: u.locale,
    agency: u.agencyCode,
    groups: u.groupCodes,
    roles: u.roles,
    disabled: u.disabled,
    mustChangePassword: u.mustChangePassword,
    secondFactorEnabled: u.totpEnabled,
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    passwordChangedAt: u.passwordChangedAt.toISOString(),
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

/** SQL over `app_user` and `app_user_group`. Usernames are matched case-insensitively, as the unique index does. */
export class UsersRepository {
  constructor(private readonly db: EntityManager) {}

  async findByUsername(username: string, scope: AdminScope, options: { forUpdate?: boolean } = {}): Promise<UserRecord | undefined> {
    const p = new SqlParams();
    const rows = await this.db.query(
      `${SELECT} WHERE lower(u.username) = lower(${p.add(username)}) AND ${scopeCondition(scope, 'u.agency_id', (v) => p.add(v))}
        ${options.forUpdate ? 'FOR UPDATE OF u' : ''}`,
      p.values,
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async findById(id: string): Promise<UserRecord> {
    const rows = await this.db.query(`${SELECT} WHERE u.id = $1`, [id]);
    return toRecord(rows[0]);
  }

  async usernameTaken(username: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM app_user WHERE lower(username) = lower($1)`, [username]);
    return rows.length > 0;
  }

  async list(filter: UserFilter, scope: AdminScope, page: { limit: number; offset: number }): Promise<{ items: UserRecord[]; total: number }> {
    const p = new SqlParams();
    const where = [scopeCondition(scope, 'u.agency_id', (v) => p.add(v))];
    if (filter.agency !== undefined) where.push(`lower(a.code) = lower(${p.add(filter.agency)})`);
    if (filter.group !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM app_user_group ug JOIN user_group g ON g.id = ug.group_id
                           WHERE ug.user_id = u.id AND lower(g.code) = lower(${p.add(filter.group)}))`);
    }
    if (filter.role !== undefined) where.push(`${p.add(filter.role)} = ANY(u.roles)`);
    if (filter.disabled !== undefined) where.push(`u.disabled = ${p.add(filter.disabled)}`);
    if (filter.q) {
      const pattern = p.add(likePattern(filter.q));
      where.push(`(u.username ILIKE ${pattern} OR u.full_name ILIKE ${pattern} OR u.code ILIKE ${pattern} OR u.email ILIKE ${pattern})`);
    }
    const condition = where.join(' AND ');
    const [{ total }] = await this.db.query(`SELECT count(*)::int AS total FROM app_user u LEFT JOIN agency a ON a.id = u.agency_id WHERE ${condition}`, p.values);
    const rows = await this.db.query(`${SELECT} WHERE ${condition} ORDER BY lower(u.username) LIMIT ${p.add(page.limit)} OFFSET ${p.add(page.offset)}`, p.values);
    return { items: rows.map(toRecord), total };
  }

  async insert(user: NewUser): Promise<string> {
    const [row] = await this.db.query(
      `INSERT INTO app_user (username, password_hash, full_name, code, email, locale, agency_id, roles)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [user.username, user.passwordHash, user.fullName, user.code, user.email, user.locale, user.agencyId, user.roles],
    );
    return row.id as string;
  }

  async update(id: string, changes: UserChanges): Promise<void> {
    const columns: Record<keyof UserChanges, string> = {
      fullName: 'full_name',
      code: 'code',
      email: 'email',
      locale: 'locale',
      agencyId: 'agency_id',
      roles: 'roles',
      disabled: 'disabled',
    };
    const p = new SqlParams();
    const sets = ['updated_at = now()'];
    for (const [key, column] of Object.entries(columns) as Array<[keyof UserChanges, string]>) {
      if (changes[key] !== undefined) sets.push(`${column} = ${p.add(changes[key])}`);
    }
    await this.db.query(`UPDATE app_user SET ${sets.join(', ')} WHERE id = ${p.add(id)}`, p.values);
  }

  async setGroups(userId: string, groupIds: readonly string[]): Promise<void> {
    await this.db.query(`DELETE FROM app_user_group WHERE user_id = $1 AND NOT (group_id = ANY($2::uuid[]))`, [userId, groupIds]);
    await this.db.query(
      `INSERT INTO app_user_group (user_id, group_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
      [userId, groupIds],
    );
  }

  /** A new password set by an administrator: the user must change it at the next sign-in. */
  async resetPassword(id: string, passwordHash: string): Promise<void> {
    await this.db.query(
      `UPDATE app_user SET password_hash = $2, must_change_password = true, password_changed_at = now(), updated_at = now() WHERE id = $1`,
      [id, passwordHash],
    );
  }
}
