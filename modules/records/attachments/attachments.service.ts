import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CompiledConfig, CompiledRecordType, FieldInfo, HavenAbility, RecordFacts } from '../../../engine/index.js';
import { AuditService } from '../../audit/audit.service.js';
import { HavenError, type Issue } from '../../common/errors.js';
import { ActiveConfigService } from '../../config/active-config.service.js';
import { systemSettings } from '../../config/system-settings.js';
import { auditActor, type Actor } from '../../users/request-actor.js';
import { diffData, nextFieldVersions } from '../merge.js';
import { factsOf, type RecordRow } from '../record.types.js';
import { RecordsRepository } from '../records.repository.js';
import { mergeShape } from '../write-access.js';
import { AttachmentsRepository, type StoredAttachment } from './attachments.repository.js';
import { cleanFileName } from './file-name.js';
import { checkUpload } from './sniff.js';
import type { UploadedBytes } from './upload.interceptor.js';
import { UUID } from '../../common/uuid.js';

/** The metadata of one file, as the record's data holds it under the attachment field. */
export interface AttachmentMeta {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  description: string | null;
  uploadedAt: string;
  removed?: true;
}

export interface UploadInput {
  /** The text parts of the multipart body (`field`, `description`). */
  body: Record<string, unknown>;
  file: UploadedBytes | undefined;
}

const MAX_DESCRIPTION = 1000;
const TEXT_PARTS = new Set(['field', 'description']);

const noRecord = () => HavenError.notFound('No such record.');
const noAttachment = () => HavenError.notFound('No such attachment.');

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fileList(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/**
 * Files attached to records (README "Attachments"). The bytes live in `record_attachment`; the record's data holds
 * their metadata under the attachment field, so the field's permissions, redaction, history and audit apply to
 * the files as to any value: adding or removing one needs `update` on the record and write access to the field
 * (and is a new record version with its history and audit rows, in one transaction); reading the bytes needs
 * read access to the field and is audited. A file removed is never served again; its bytes are kept.
 */
@Injectable()
export class AttachmentsService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly files: AttachmentsRepository,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
  ) {}

  async upload(recordType: string, id: string, input: UploadInput, actor: Actor): Promise<{ attachment: AttachmentMeta; version: number }> {
    const compiled = this.config.current();
    const settings = systemSettings(compiled).attachments;
    const issues: Issue[] = [];
    for (const key of Object.keys(input.body)) {
      if (!TEXT_PARTS.has(key)) issues.push({ code: 'unknown_field', path: `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: 'Not a part of an upload (file, field, description).' });
    }
    const field = input.body.field;
    if (field === undefined || field === '') issues.push({ code: 'required', path: '/field', message: 'Name the attachment field the file goes to.' });
    else if (typeof field !== 'string') issues.push({ code: 'invalid_type', path: '/field', message: 'field is the key of an attachment field.' });
    const rawDescription = input.body.description;
    let description: string | null = null;
    if (rawDescription !== undefined) {
      if (typeof rawDescription !== 'string') issues.push({ code: 'invalid_type', path: '/description', message: 'description is text.' });
      else if ([...rawDescription].length > MAX_DESCRIPTION) issues.push({ code: 'too_long', path: '/description', message: `At most ${MAX_DESCRIPTION} characters.`, params: { limit: MAX_DESCRIPTION } });
      else if (rawDescription.includes('\u0000')) issues.push({ code: 'invalid_character', path: '/description', message: 'Contains a character that cannot be stored.' });
      else description = rawDescription.trim() || null;
    }
    const file = input.file;
    let contentType: string | undefined;
    if (file === undefined) {
      issues.push({ code: 'required', path: '/file', message: 'Send the file in a part named `file`.' });
    } else {
      const check = checkUpload(file.buffer, file.mimetype, settings.allowedTypes);
      if (check.ok) contentType = check.contentType;
      else {
        const params = { ...(check.declared ? { declared: check.declared } : {}), ...(check.detected ? { detected: check.detected } : {}), allowed: settings.allowedTypes };
        issues.push({ code: check.code, path: '/file', message: check.message, params });
      }
      if (file.size > settings.maxBytes) {
        throw new HavenError('payload_too_large', `The file is larger than ${settings.maxBytes} bytes.`, [
          { code: 'too_large', path: '/file', message: `A file may be at most ${settings.maxBytes} bytes.`, params: { limit: settings.maxBytes } },
        ]);
      }
    }

    return this.records.transaction(async (tx) => {
      const { row, rt, ability, facts } = await this.lockForUpdate(tx, recordType, id, actor, compiled);
      const info = typeof field === 'string' && field !== '' ? this.attachmentField(rt, field, ability, facts, issues) : undefined;
      if (issues.length > 0 || info === undefined || file === undefined || contentType === undefined) {
        throw HavenError.validation(issues, 'The upload is not valid: nothing was stored.');
      }
      const now = new Date().toISOString();
      const meta: AttachmentMeta = {
        id: randomUUID(),
        fileName: cleanFileName(file.originalname, contentType),
        contentType,
        size: file.buffer.length,
        description,
        uploadedAt: now,
      };
      const data = { ...row.data, [info.key]: [...fileList(row.data[info.key]), meta] };
      this.checkField(rt, info, data, actor, fileList(row.data[info.key]).length);
      const version = await this.files.add(
        tx,
        this.write(rt, row, data, { field: info.key, attachmentId: meta.id, contentType, size: meta.size }),
        {
          id: meta.id,
          field: info.key,
          fileName: meta.fileName,
          contentType,
          size: meta.size,
          sha256: createHash('sha256').update(file.buffer).digest('hex'),
          bytes: file.buffer,
          description,
        },
        this.auditContext(actor),
      );
      return { attachment: meta, version };
    });
  }

  async remove(recordType: string, id: string, attachmentId: string, actor: Actor): Promise<{ attachment: AttachmentMeta; version: number }> {
    const compiled = this.config.current();
    return this.records.transaction(async (tx) => {
      const { row, rt, ability, facts } = await this.lockForUpdate(tx, recordType, id, actor, compiled);
      const found = this.findMeta(rt, row, attachmentId, ability.readableFields(row.module, row.recordType, facts));
      if (found === undefined || found.meta.removed === true) throw noAttachment();
      const { info, index } = found;
      if (!ability.writableFields(row.module, row.recordType, facts).has(info.key)) {
        throw new HavenError('forbidden', 'You may not change this field.', [{ code: 'field_not_writable', path: '', message: 'You may not write this field.' }]);
      }
      const files = fileList(row.data[info.key]);
      const removed = { ...(files[index] as Record<string, unknown>), removed: true } as unknown as AttachmentMeta;
      const data = { ...row.data, [info.key]: files.map((f, i) => (i === index ? removed : f)) };
      const version = await this.files.remove(tx, this.write(rt, row, data, { field: info.key, attachmentId }), attachmentId, this.auditContext(actor));
      return { attachment: removed, version };
    });
  }

  /** The bytes of a file the caller may read (404 otherwise, exactly like a missing one); the read is audited. */
  async download(recordType: string, id: string, attachmentId: string, actor: Actor): Promise<StoredAttachment> {
    const compiled = this.config.current();
    const { ability } = actor.principal;
    if (!UUID.test(id) || !UUID.test(attachmentId)) throw noAttachment();
    const row = await this.files.record(id, recordType);
    if (row === undefined) throw noAttachment();
    const facts = factsOf(row);
    const rt = compiled.findRecordType(row.module, row.recordType);
    if (rt === undefined || !ability.canRecord('read', row.module, row.recordType, facts)) throw noAttachment();
    if (row.disabled && !ability.canRecord('disable', row.module, row.recordType, facts)) throw noAttachment();
    const found = this.findMeta(rt, row, attachmentId, ability.readableFields(row.module, row.recordType, facts));
    if (found === undefined || found.meta.removed === true) throw noAttachment();
    const stored = await this.files.find(row.id, found.info.key, attachmentId);
    if (stored === undefined) throw noAttachment();
    await this.audit.record({
      ...auditActor(actor),
      action: 'record.attachment_read',
      objectType: 'record',
      objectId: row.id,
      details: {
        module: row.module,
        recordType: row.recordType,
        field: found.info.key,
        attachmentId,
        identifying: found.info.identifying,
        fields: [found.info.key],
      },
    });
    return stored;
  }

  /** Locks the record and checks `update` on it: 404 when the caller cannot read it (or it is missing), 403 when they can. */
  private async lockForUpdate(tx: EntityManager, recordType: string, id: string, actor: Actor, compiled: CompiledConfig) {
    const { ability } = actor.principal;
    const row = await this.records.lock(tx, id, recordType);
    if (row === undefined) throw noRecord();
    const facts = factsOf(row);
    const rt = compiled.findRecordType(row.module, row.recordType);
    if (rt === undefined) throw noRecord();
    if (!ability.canRecord('update', row.module, row.recordType, facts)) {
      if (ability.canRecord('read', row.module, row.recordType, facts) && !row.disabled) throw new HavenError('forbidden', 'You may not update this record.');
      throw noRecord();
    }
    if (row.disabled) throw new HavenError('conflict', 'This record is disabled: enable it before changing it.');
    return { row, rt, ability, facts };
  }

  /** The attachment field an upload names, or undefined with an issue (unknown and unreadable fields alike). */
  private attachmentField(rt: CompiledRecordType, key: string, ability: HavenAbility, facts: RecordFacts, issues: Issue[]): FieldInfo | undefined {
    const info = rt.field(key);
    const readable = ability.readableFields(facts.module, facts.recordType, facts);
    if (info === undefined || info.subform !== undefined || !readable.has(key)) {
      issues.push({ code: 'unknown_field', path: '/field', message: `"${key}" is not a field of this record type.` });
      return undefined;
    }
    if (info.type !== 'attachment') {
      issues.push({ code: 'not_an_attachment_field', path: '/field', message: `"${key}" is not an attachment field.` });
      return undefined;
    }
    if (!ability.writableFields(facts.module, facts.recordType, facts).has(key)) {
      issues.push({ code: 'field_not_writable', path: '/field', message: 'You may not write this field.' });
      return undefined;
    }
    return info;
  }

  /** The field's own rules (kinds, maxFiles) on its new value, as issues of the upload. */
  private checkField(rt: CompiledRecordType, info: FieldInfo, data: Record<string, unknown>, actor: Actor, newIndex: number): void {
    const p = actor.principal;
    const now = new Date().toISOString();
    const result = rt.process(data, { user: { id: p.userId, agency: p.agencyCode, roles: p.roles, groups: p.groupCodes }, today: now.slice(0, 10), now, locale: p.locale }, { supplied: [info.key] });
    const prefix = `/${info.key}`;
    const mine = result.issues.filter((i) => i.path === prefix || i.path.startsWith(`${prefix}/`));
    if (mine.length === 0) return;
    const ours = `${prefix}/${newIndex}`;
    throw HavenError.validation(
      mine.map((i) => ({
        code: i.code,
        path: i.path === prefix ? '/field' : i.path.startsWith(`${ours}/`) || i.path === ours ? '/file' : `/data${i.path}`,
        message: i.message,
        ...(i.params ? { params: { ...i.params } } : {}),
      })),
      'The upload is not valid: nothing was stored.',
    );
  }

  /** The metadata of `attachmentId` in a top-level attachment field the caller may read, with where it stands. */
  private findMeta(rt: CompiledRecordType, row: RecordRow, attachmentId: string, readable: ReadonlySet<string>) {
    for (const info of rt.fields) {
      if (info.type !== 'attachment' || info.subform !== undefined || !readable.has(info.key)) continue;
      const files = fileList(row.data[info.key]);
      const index = files.findIndex((f) => f.id === attachmentId);
      if (index >= 0) return { info, index, meta: files[index] as unknown as AttachmentMeta };
    }
    return undefined;
  }

  private write(rt: CompiledRecordType, row: RecordRow, data: Record<string, unknown>, details: Record<string, unknown>) {
    const changes = diffData(row.data, data, mergeShape(rt).subforms);
    return {
      recordId: row.id,
      expectedVersion: row.version,
      data,
      fieldVersions: nextFieldVersions(row.fieldVersions, changes, row.version + 1),
      changes,
      auditDetails: { module: row.module, recordType: row.recordType, fields: changes.map((c) => c.path), ...details },
    };
  }

  private auditContext(actor: Actor) {
    return { actorId: actor.principal.userId, actor: actor.principal.username, clientIp: actor.clientIp, requestId: actor.requestId };
  }
}
