import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * lz4 instead of pglz for the large values PostgreSQL compresses out of line (TOAST), where the server was built with
 * lz4 (Debian's and most distributions' PostgreSQL 14+ are; the embedded binaries are not, and keep their defaults):
 *
 *  - `record.data` and `record.field_versions`, `record_history.changes`, `audit_log.details`: a GBV incident's data is
 *    about 3 KB of JSON, so most records are compressed. Measured on 100,000 demo incidents (docs/benchmarks.md,
 *    "TOAST compression"): writing them took 4.9 s instead of 8.1 s, reading a field of every record 0.33–0.35 s
 *    instead of 0.66 s, and their text 0.96–1.0 s instead of 1.15–1.47 s, for 5% more space.
 *  - `export_file.bytes` (stored EXTERNAL, uncompressed, until now, since pglz cost more than it saved): a 245 MB CSV
 *    export was stored in 0.98 s instead of 2.06 s, in 65 MB instead of 255 MB.
 *
 * Only values written from now on are compressed with lz4; older ones stay readable as they are (PostgreSQL records
 * the method per value). Nothing is rewritten, so the migration takes a moment whatever the table's size.
 */
export const LZ4_TOAST_SQL = `
  DO $$
  BEGIN
    ALTER TABLE record ALTER COLUMN data SET COMPRESSION lz4, ALTER COLUMN field_versions SET COMPRESSION lz4;
    ALTER TABLE record_history ALTER COLUMN changes SET COMPRESSION lz4;
    ALTER TABLE audit_log ALTER COLUMN details SET COMPRESSION lz4;
    ALTER TABLE export_file ALTER COLUMN bytes SET STORAGE EXTENDED, ALTER COLUMN bytes SET COMPRESSION lz4;
  EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'This PostgreSQL server was built without lz4: large values keep the default compression.';
  END
  $$`;

/**
 * Backups leave these settings out (`pg_dump --no-toast-compression`: an archive from a server with lz4 must restore
 * into one without, such as the embedded database), and a restore applies them again where the server can
 * (modules/backup/restore-backup.ts).
 */
export class Lz4Toast1765000000000 implements MigrationInterface {
  name = 'Lz4Toast1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(LZ4_TOAST_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE record ALTER COLUMN data SET COMPRESSION default, ALTER COLUMN field_versions SET COMPRESSION default;
      ALTER TABLE record_history ALTER COLUMN changes SET COMPRESSION default;
      ALTER TABLE audit_log ALTER COLUMN details SET COMPRESSION default;
      ALTER TABLE export_file ALTER COLUMN bytes SET COMPRESSION default, ALTER COLUMN bytes SET STORAGE EXTERNAL`);
  }
}
