import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A referral across modules (docs/referrals.md) creates a record in the receiving module, linked to the referred
 * one: `record_link` kind 'referral' (`record_id` is the referred record, `linked_record_id` the one created).
 */
export class ReferralLinks1764810000000 implements MigrationInterface {
  name = 'ReferralLinks1764810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE record_link DROP CONSTRAINT record_link_kind_check`);
    await q.query(`ALTER TABLE record_link ADD CONSTRAINT record_link_kind_check CHECK (kind IN ('incident_from_case', 'referral'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE record_link DROP CONSTRAINT record_link_kind_check`);
    await q.query(`ALTER TABLE record_link ADD CONSTRAINT record_link_kind_check CHECK (kind IN ('incident_from_case'))`);
  }
}
