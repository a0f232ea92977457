import type { EntityManager } from 'typeorm';
import { type AdminScope, scopeCondition } from './admin-scope.js';
import { likePattern, SqlParams } from './sql.js';

export interface UserGroupRecord {
  id: string;
  code: string;
  name: string;
  agencyId: string | null;
  agencyCode: string | null;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserGroupFilter {
  q?: string;
  agency?: string;
  disabled?: boolean;
}

const SELECT = `SELECT g.id, g.code, g.name, g.agency_id, a.code AS agency_code, g.disabled, g.created_at, g.updated_at
                  FROM user_group g LEFT JOIN agency a ON a.id = g.agency_id`;

function toRecord(row: Record<string, unknown>): UserGroupRecord {
  return {
    id: row.id as string,
    code: row.code as string,
    name: row.name as string,
    agencyId: (row.agency_id as string | null) ?? null,
    agencyCode: (row.agency_code as string | null) ?? null,
    disabled: row.disabled as boolean,
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
  };
}

export function userGroupView(g: UserGroupRecord) {
  return {
    id: g.id,
    code: g.code,
    name: g.name,
    agency: g.agencyCode,
    disabled: g.disabled,
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
  };
}

/** SQL over `user_group`. Codes are matched case-insensitively, as the unique index does. */
export class UserGroupsRepository {
  constructor(private readonly db: EntityManager) {}

  async findByCode(code: string, scope: AdminScope, options: { forUpdate?: boolean } = {}): Promise<UserGroupRecord | undefined> {
    const p = new SqlParams();
    const rows = await this.db.query(
      `${SELECT} WHERE lower(g.code) = lower(${p.add(code)}) AND ${scopeCondition(scope, 'g.agency_id', (v) => p.add(v))}
        ${options.forUpdate ? 'FOR UPDATE OF g' : ''}`,
      p.values,
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Groups by code (lower-cased keys); codes that match nothing are simply absent. */
  async findByCodes(codes: readonly string[], scope: AdminScope): Promise<Map<string, UserGroupRecord>> {
    if (codes.length === 0) return new Map();
    const p = new SqlParams();
    const rows = await this.db.query(
      `${SELECT} WHERE lower(g.code) = ANY(${p.add(codes.map((c) => c.toLowerCase()))}::text[]) AND ${scopeCondition(scope, 'g.agency_id', (v) => p.add(v))}`,
      p.values,
    );
    return new Map(rows.map((r: Record<string, unknown>) => [(r.code as string).toLowerCase(), toRecord(r)]));
  }

  async list(filter: UserGroupFilter, scope: AdminScope, page: { limit: number; offset: number }): Promise<{ items: UserGroupRecord[]; total: number }> {
    const p = new SqlParams();
    const where = [scopeCondition(scope, 'g.agency_id', (v) => p.add(v))];
    if (filter.q) {
      const pattern = p.add(likePattern(filter.q));
      where.push(`(g.code ILIKE ${pattern} OR g.name ILIKE ${pattern})`);
    }
    if (filter.agency !== undefined) where.push(`lower(a.code) = lower(${p.add(filter.agency)})`);
    if (filter.disabled !== undefined) where.push(`g.disabled = ${p.add(filter.disabled)}`);
    const condition = where.join(' AND ');
    const [{ total }] = await this.db.query(
      `SELECT count(*)::int AS total FROM user_group g LEFT JOIN agency a ON a.id = g.agency_id WHERE ${condition}`,
      p.values,
    );
    const rows = await this.db.query(`${SELECT} WHERE ${condition} ORDER BY lower(g.code) LIMIT ${p.add(page.limit)} OFFSET ${p.add(page.offset)}`, p.values);
    return { items: rows.map(toRecord), total };
  }

  async insert(values: { code: string; name: string; agencyId: string | null; disabled: boolean }): Promise<string> {
    const [row] = await this.db.query(`INSERT INTO user_group (code, name, agency_id, disabled) VALUES ($1, $2, $3, $4) RETURNING id`, [
      values.code,
      values.name,
      values.agencyId,
      values.disabled,
    ]);
    return row.id as string;
  }

  async update(id: string, changes: { name?: string; agencyId?: string | null; disabled?: boolean }): Promise<void> {
    const p = new SqlParams();
    const sets = ['updated_at = now()'];
    if (changes.name !== undefined) sets.push(`name = ${p.add(changes.name)}`);
    if (changes.agencyId !== undefined) sets.push(`agency_id = ${p.add(changes.agencyId)}`);
    if (changes.disabled !== undefined) sets.push(`disabled = ${p.add(changes.disabled)}`);
    await this.db.query(`UPDATE user_group SET ${sets.join(', ')} WHERE id = ${p.add(id)}`, p.values);
  }

  async findById(id: string): Promise<UserGroupRecord> {
    const rows = await this.db.query(`${SELECT} WHERE g.id = $1`, [id]);
    return toRecord(rows[0]);
  }
}
