import type { EntityManager } from 'typeorm';
import { type AdminScope, scopeCondition } from './admin-scope.js';
import { likePattern, returnedRows, SqlParams } from './sql.js';
import type { Logo } from './logo.js';

export interface AgencyRecord {
  id: string;
  code: string;
  name: string;
  disabled: boolean;
  hasLogo: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface AgencyFilter {
  q?: string;
  disabled?: boolean;
}

const COLUMNS = `a.id, a.code, a.name, a.disabled, a.logo IS NOT NULL AS has_logo, a.created_at, a.updated_at`;

function toRecord(row: Record<string, unknown>): AgencyRecord {
  return {
    id: row.id as string,
    code: row.code as string,
    name: row.name as string,
    disabled: row.disabled as boolean,
    hasLogo: row.has_logo as boolean,
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
  };
}

/** The public shape of an agency (the logo itself is served by its own route). */
export function agencyView(a: AgencyRecord) {
  return {
    id: a.id,
    code: a.code,
    name: a.name,
    disabled: a.disabled,
    logoUrl: a.hasLogo ? `/api/v1/agencies/${encodeURIComponent(a.code)}/logo` : null,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

/** SQL over `agency`. Codes are matched case-insensitively, as the unique index does. */
export class AgenciesRepository {
  constructor(private readonly db: EntityManager) {}

  async findByCode(code: string, scope: AdminScope, options: { forUpdate?: boolean } = {}): Promise<AgencyRecord | undefined> {
    const p = new SqlParams();
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM agency a
        WHERE lower(a.code) = lower(${p.add(code)}) AND ${scopeCondition(scope, 'a.id', (v) => p.add(v))}
        ${options.forUpdate ? 'FOR UPDATE' : ''}`,
      p.values,
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Agencies by code (lower-cased keys); codes that match nothing are simply absent. */
  async findByCodes(codes: readonly string[], scope: AdminScope): Promise<Map<string, AgencyRecord>> {
    if (codes.length === 0) return new Map();
    const p = new SqlParams();
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM agency a
        WHERE lower(a.code) = ANY(${p.add(codes.map((c) => c.toLowerCase()))}::text[]) AND ${scopeCondition(scope, 'a.id', (v) => p.add(v))}`,
      p.values,
    );
    return new Map(rows.map((r: Record<string, unknown>) => [(r.code as string).toLowerCase(), toRecord(r)]));
  }

  async list(filter: AgencyFilter, scope: AdminScope, page: { limit: number; offset: number }): Promise<{ items: AgencyRecord[]; total: number }> {
    const p = new SqlParams();
    const where = [scopeCondition(scope, 'a.id', (v) => p.add(v))];
    if (filter.q) {
      const pattern = p.add(likePattern(filter.q));
      where.push(`(a.code ILIKE ${pattern} OR a.name ILIKE ${pattern})`);
    }
    if (filter.disabled !== undefined) where.push(`a.disabled = ${p.add(filter.disabled)}`);
    const condition = where.join(' AND ');
    const [{ total }] = await this.db.query(`SELECT count(*)::int AS total FROM agency a WHERE ${condition}`, p.values);
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM agency a WHERE ${condition} ORDER BY lower(a.code) LIMIT ${p.add(page.limit)} OFFSET ${p.add(page.offset)}`,
      p.values,
    );
    return { items: rows.map(toRecord), total };
  }

  async insert(values: { code: string; name: string; disabled: boolean; logo?: Logo }): Promise<AgencyRecord> {
    const rows = await this.db.query(
      `INSERT INTO agency AS a (code, name, disabled, logo_content_type, logo) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [values.code, values.name, values.disabled, values.logo?.contentType ?? null, values.logo?.data ?? null],
    );
    return toRecord(rows[0]);
  }

  /** Applies the given changes (`logo: null` removes the logo) and returns the updated row. */
  async update(id: string, changes: { name?: string; disabled?: boolean; logo?: Logo | null }): Promise<AgencyRecord> {
    const p = new SqlParams();
    const sets = ['updated_at = now()'];
    if (changes.name !== undefined) sets.push(`name = ${p.add(changes.name)}`);
    if (changes.disabled !== undefined) sets.push(`disabled = ${p.add(changes.disabled)}`);
    if (changes.logo !== undefined) {
      sets.push(`logo_content_type = ${p.add(changes.logo?.contentType ?? null)}`, `logo = ${p.add(changes.logo?.data ?? null)}`);
    }
    const rows = await this.db.query(`UPDATE agency AS a SET ${sets.join(', ')} WHERE a.id = ${p.add(id)} RETURNING ${COLUMNS}`, p.values);
    return toRecord(returnedRows(rows)[0]);
  }

  async logo(id: string): Promise<Logo | undefined> {
    const rows = await this.db.query(`SELECT logo_content_type, logo FROM agency WHERE id = $1 AND logo IS NOT NULL`, [id]);
    return rows[0] ? { contentType: rows[0].logo_content_type, data: rows[0].logo } : undefined;
  }
}
