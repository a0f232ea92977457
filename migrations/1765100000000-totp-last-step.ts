import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The last TOTP time step (`floor(unix seconds / 30)`) a user's code was accepted for: a code is accepted only for a
 * later step, so a code seen once (over a shoulder, in a proxy's log) cannot sign in again within its window.
 */
export class TotpLastStep1765100000000 implements MigrationInterface {
  name = 'TotpLastStep1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE app_user ADD COLUMN totp_last_step bigint');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE app_user DROP COLUMN totp_last_step');
  }
}
