import type { RecordCondition } from '../../engine/index.js';

/** Collects positional parameters for hand-written SQL. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The SQL form of an ability's record conditions (a disjunction of conjunctions over the record's typed columns),
 * for alias `r`. Every list, search, count, export and report query ANDs this in; `[]` means no access and yields
 * a condition that matches nothing. Each branch maps to an index: owner, shared_with (GIN), owner_groups (GIN),
 * owner_agency.
 */
export function scopeSql(conditions: readonly RecordCondition[], params: SqlParams): string {
  if (conditions.length === 0) return 'false';
  const branches = conditions.map((c) => {
    const parts: string[] = [];
    if (c.ownerId !== undefined) parts.push(`r.owner_id = ${params.add(c.ownerId)}::uuid`);
    if (c.sharedWithUser !== undefined) parts.push(`r.shared_with @> ARRAY[${params.add(c.sharedWithUser)}::uuid]`);
    if (c.ownerGroupsAny !== undefined) parts.push(c.ownerGroupsAny.length ? `r.owner_groups && ${params.add([...c.ownerGroupsAny])}::text[]` : 'false');
    if (c.ownerAgency !== undefined) parts.push(`r.owner_agency = ${params.add(c.ownerAgency)}`);
    return parts.length ? `(${parts.join(' AND ')})` : 'true';
  });
  return branches.includes('true') ? 'true' : `(${branches.join(' OR ')})`;
}
