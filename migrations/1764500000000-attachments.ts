import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Record attachments and links between records.
 *
 * `record_attachment` holds the bytes of files attached to a record's attachment fields (in the database, so a
 * backup is one consistent snapshot of records and their files). The record's `data` holds the metadata under the
 * field (`{ id, fileName, contentType, size, description, uploadedAt }`); the row here is the source of the bytes.
 * Removing an attachment sets `removed_at` (and `removed: true` in the record's data): the bytes are kept for
 * the record's history and audit but are never served again. Bytes are stored uncompressed (STORAGE EXTERNAL):
 * the allowed types (JPEG, PNG, WebP, PDF, audio, video) are compressed already.
 *
 * `record_link` relates two records (`kind` 'incident_from_case': `record_id` is the case, `linked_record_id` the
 * incident made from it). Links are never edited; rows stay when a record is disabled.
 */
export class Attachments1764500000000 implements MigrationInterface {
  name = 'Attachments1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE record_attachment (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        record_id uuid NOT NULL REFERENCES record (id),
        field text NOT NULL,
        file_name text NOT NULL,
        content_type text NOT NULL,
        size integer NOT NULL CHECK (size >= 0),
        sha256 char(64) NOT NULL,
        bytes bytea NOT NULL,
        description text,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by uuid REFERENCES app_user (id),
        removed_at timestamptz,
        removed_by uuid REFERENCES app_user (id),
        CHECK (octet_length(bytes) = size)
      )`);
    await q.query(`ALTER TABLE record_attachment ALTER COLUMN bytes SET STORAGE EXTERNAL`);
    await q.query(`CREATE INDEX record_attachment_record_idx ON record_attachment (record_id, field)`);
    await q.query(`
      CREATE TABLE record_link (
        record_id uuid NOT NULL REFERENCES record (id),
        linked_record_id uuid NOT NULL REFERENCES record (id),
        kind text NOT NULL CHECK (kind IN ('incident_from_case')),
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by uuid REFERENCES app_user (id),
        PRIMARY KEY (record_id, linked_record_id, kind),
        CHECK (record_id <> linked_record_id)
      )`);
    await q.query(`CREATE INDEX record_link_linked_idx ON record_link (linked_record_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE record_link`);
    await q.query(`DROP TABLE record_attachment`);
  }
}
