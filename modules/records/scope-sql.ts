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
 * The owner's group when the record's owner is in exactly one group (the usual case), NULL otherwise: a scalar, so
 * that a btree index can hold it next to a list's filters and the group scope becomes an index condition there
 * (`owner_groups` is an array: only GIN can search it, and the planner can only AND a GIN bitmap of a whole team's
 * records with the filters' index afterwards). `alias` is `r.` in queries and empty in index definitions
 * (record-indexes.ts, the migrations): the text must be identical for the planner to match them.
 */
export function ownerGroupKey(alias = 'r.'): string {
  return `(CASE WHEN cardinality(${alias}owner_groups) = 1 THEN ${alias}owner_groups[1] END)`;
}

/**
 * The SQL alternatives of one condition (a conjunction). Usually one; a condition on the owner's groups gives two
 * disjoint ones, `owner_groups && groups` split so that each half has an index:
 *  - records whose owner is in one group: `ownerGroupKey() = ANY(groups)` (record_type_group_key_idx, and the composite
 *    per-bundle indexes, which carry the key after their fields);
 *  - every other record (several groups, or none): the array itself, through a GIN index holding only those
 *    records (record_owner_groups_other_idx, small: an owner is usually in one group).
 * Same rows as the plain overlap: a one-element array overlaps `groups` exactly when its element is in it, and the
 * second half is the exact complement of the first (the key is NULL for every record not in the first).
 * Sharing is written `cardinality(shared_with) > 0 AND shared_with @> ARRAY[user]` (the same rows): the first part
 * lets the planner use the GIN index of the shared records only (record_shared_with_some_idx) and, through the
 * statistics on it, know how few they are; without it, it assumes 0.5% of the table for any user.
 */
function conditionAlternatives(c: RecordCondition, params: SqlParams): string[] {
  const parts: string[] = [];
  if (c.ownerId !== undefined) parts.push(`r.owner_id = ${params.add(c.ownerId)}::uuid`);
  if (c.sharedWithUser !== undefined) parts.push(`cardinality(r.shared_with) > 0 AND r.shared_with @> ARRAY[${params.add(c.sharedWithUser)}::uuid]`);
  if (c.ownerAgency !== undefined) parts.push(`r.owner_agency = ${params.add(c.ownerAgency)}`);
  if (c.ownerGroupsAny !== undefined) {
    if (c.ownerGroupsAny.length === 0) return [];
    const groups = `${params.add([...c.ownerGroupsAny])}::text[]`;
    const key = ownerGroupKey();
    return [`${key} = ANY(${groups})`, `${key} IS NULL AND r.owner_groups && ${groups}`].map((half) => `(${[half, ...parts].join(' AND ')})`);
  }
  return [parts.length ? `(${parts.join(' AND ')})` : 'true'];
}

/**
 * An ability's record conditions as alternatives, any of which lets a record through: `[]` for no access, `['true']`
 * for every record. List counts run one scan per alternative (list-sql.ts), each on the index that fits it.
 */
export function scopeAlternatives(conditions: readonly RecordCondition[], params: SqlParams): string[] {
  const alternatives = conditions.flatMap((c) => conditionAlternatives(c, params));
  return alternatives.includes('true') ? ['true'] : alternatives;
}

/**
 * The SQL form of an ability's record conditions (a disjunction of conjunctions over the record's typed columns),
 * for alias `r`. Every list, search, count, export and report query ANDs this in; `[]` means no access and yields
 * a condition that matches nothing. Each alternative maps to an index: owner, shared_with (GIN), the owner's group
 * key or the other records' groups (GIN), owner_agency.
 */
export function scopeSql(conditions: readonly RecordCondition[], params: SqlParams): string {
  return orSql(scopeAlternatives(conditions, params));
}

/** Alternatives as one condition (`false` when there are none). */
export function orSql(alternatives: readonly string[]): string {
  if (alternatives.length === 0) return 'false';
  return alternatives.includes('true') ? 'true' : `(${alternatives.join(' OR ')})`;
}
