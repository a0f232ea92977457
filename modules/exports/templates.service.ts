import { Injectable } from '@nestjs/common';
import { HavenError, pointer, type Issue } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { AuditService } from '../audit/audit.service.js';
import { templateVocabulary } from './columns.js';
import { ExportsRepository, type ExportTemplateRow } from './exports.repository.js';

const KEY = /^[a-z][a-z0-9_]{0,62}$/;
const TOP_LEVEL = new Set(['key', 'name', 'recordType', 'module', 'forms', 'fields']);

export interface ExportTemplateView extends Omit<ExportTemplateRow, 'createdAt'> {
  createdAt: string;
}

const view = (t: ExportTemplateRow): ExportTemplateView => ({ ...t, createdAt: t.createdAt.toISOString() });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Export templates: a user's named choice of forms and fields of one record type. Every key is checked when the
 * template is saved (a field the user may not read is refused exactly like one that does not exist); when an
 * export runs, the template only narrows the columns to what the requester may read at that moment.
 */
@Injectable()
export class ExportTemplatesService {
  constructor(
    private readonly repo: ExportsRepository,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, body: unknown): Promise<ExportTemplateView> {
    const issues: Issue[] = [];
    const b = isRecord(body) ? body : {};
    if (!isRecord(body)) issues.push({ code: 'invalid_type', path: '', message: 'Expected a JSON object.' });
    for (const key of Object.keys(b)) if (!TOP_LEVEL.has(key)) issues.push({ code: 'unknown_property', path: pointer(key), message: `Unknown property "${key.slice(0, 64)}".` });
    if (typeof b.key !== 'string' || !KEY.test(b.key)) issues.push({ code: 'invalid_value', path: '/key', message: 'Give a key: a lower-case letter, then letters, digits or _ (at most 63).' });
    if (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > 200) issues.push({ code: 'invalid_value', path: '/name', message: 'Give a name (at most 200 characters).' });
    if (b.module !== undefined && (typeof b.module !== 'string' || !KEY.test(b.module))) issues.push({ code: 'invalid_value', path: '/module', message: 'Expected a module key.' });
    const ability = actor.principal.ability;
    const types =
      typeof b.recordType === 'string' && KEY.test(b.recordType)
        ? this.config.current().recordTypes.filter((t) => t.key === b.recordType && (b.module === undefined || t.module === b.module) && ability.canRecord('export', t.module, t.key))
        : [];
    if (types.length === 0) issues.push({ code: 'not_found', path: '/recordType', message: 'Give a record type you can export.' });
    if (types.length > 1) issues.push({ code: 'module_required', path: '/module', message: `Several modules define "${String(b.recordType)}": give module.` });
    const list = (name: 'forms' | 'fields'): string[] => {
      const value = b[name];
      if (value === undefined) return [];
      if (!Array.isArray(value) || value.length > 500 || !value.every((v) => typeof v === 'string')) {
        issues.push({ code: 'invalid_type', path: `/${name}`, message: 'Expected a list of keys.' });
        return [];
      }
      return [...new Set(value as string[])];
    };
    const forms = list('forms');
    const fields = list('fields');
    if (types.length === 1) {
      const type = types[0];
      const vocabulary = templateVocabulary(type);
      const readable = ability.readableFields(type.module, type.key);
      forms.forEach((f, i) => {
        if (!vocabulary.forms.has(f)) issues.push({ code: 'unknown_form', path: `/forms/${i}`, message: `There is no form "${f.slice(0, 64)}".` });
      });
      fields.forEach((f, i) => {
        if (!vocabulary.fields.has(f) || !readable.has(f)) issues.push({ code: 'unknown_field', path: `/fields/${i}`, message: `There is no field "${f.slice(0, 64)}" you can export.` });
      });
      // A template narrows the columns: one that names nothing would export every column under a narrower name.
      if (forms.length === 0 && fields.length === 0) issues.push({ code: 'required', path: '/fields', message: 'Choose at least one form or field.' });
    }
    if (issues.length) throw HavenError.validation(issues, 'The export template is not valid.');
    const type = types[0];
    const saved = await this.repo.insertTemplate({ ownerId: actor.principal.userId, key: b.key as string, name: (b.name as string).trim(), module: type.module, recordType: type.key, forms, fields });
    if (!saved) throw new HavenError('conflict', `You already have an export template "${String(b.key)}".`, [{ code: 'duplicate', path: '/key', message: 'This key is taken.' }]);
    await this.audit.record({ ...auditActor(actor), action: 'export_template.create', objectType: 'export_template', objectId: saved.id, details: { key: saved.key, module: saved.module, recordType: saved.recordType } });
    return view(saved);
  }

  /** Deletes one of the caller's templates (404 when they have none with that key); exports queued with it fail `template_missing`. */
  async remove(actor: Actor, key: string): Promise<void> {
    const id = KEY.test(key) ? await this.repo.deleteTemplate(actor.principal.userId, key) : undefined;
    if (id === undefined) throw HavenError.notFound('You have no export template with this key.');
    await this.audit.record({ ...auditActor(actor), action: 'export_template.delete', objectType: 'export_template', objectId: id, details: { key } });
  }

  async list(actor: Actor): Promise<{ items: ExportTemplateView[] }> {
    return { items: (await this.repo.templates(actor.principal.userId)).map(view) };
  }
}
