import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the group scope of lists as `scopeSql` (modules/records/scope-sql.ts) writes it: the records of an
 * owner in exactly one group through the scalar key `(CASE WHEN cardinality(owner_groups) = 1 THEN owner_groups[1]
 * END)`, every other record (several groups or none) through the array. The key's expression must stay identical
 * to `ownerGroupKey('')` for the planner to match the index with the queries.
 *
 *  - record_type_group_key_idx: a team's records of one type (the group-scope counterpart of record_type_owner_idx;
 *    its statistics also tell the planner how many records each group key has). No created_at after the key: with
 *    a few dozen keys, btree deduplication keeps it at 7 MB for a million records (56 MB with created_at), and
 *    a bitmap of a whole team's records reads far fewer pages from it;
 *  - record_owner_groups_other_idx: GIN over the array, holding only the records without a single group, so that the
 *    group scope's other half reads a handful of entries instead of a whole team's;
 *  - record_shared_with_some_idx and shared_with_count_stats, for the sharing scope as `cardinality(shared_with) > 0
 *    AND shared_with @> ARRAY[user]`: GIN over the shared records only, and statistics that tell the planner how few
 *    they are (with no shared record at all, it assumed 0.5% of the table for any user and chose worse plans).
 */
const KEY = '(CASE WHEN cardinality(owner_groups) = 1 THEN owner_groups[1] END)';

export class ListScope1764900000000 implements MigrationInterface {
  name = 'ListScope1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX record_type_group_key_idx ON record (module, record_type, ${KEY})`);
    await q.query(`CREATE INDEX record_owner_groups_other_idx ON record USING gin (owner_groups) WHERE ${KEY} IS NULL`);
    await q.query('CREATE INDEX record_shared_with_some_idx ON record USING gin (shared_with) WHERE cardinality(shared_with) > 0');
    await q.query('CREATE STATISTICS shared_with_count_stats ON (cardinality(shared_with)) FROM record');
    await q.query('ANALYZE record');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP STATISTICS IF EXISTS shared_with_count_stats');
    await q.query('DROP INDEX IF EXISTS record_shared_with_some_idx');
    await q.query('DROP INDEX IF EXISTS record_owner_groups_other_idx');
    await q.query('DROP INDEX IF EXISTS record_type_group_key_idx');
  }
}
