import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { referralSettings, translationKeys, type CompiledConfig, type LocalizedForm, type RecordFacts } from '../../engine/index.js';
import { AuditService } from '../audit/audit.service.js';
import { HavenError } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { render, TemplateRenderError } from '../notifications/templates/handlebars-env.js';
import { lookupLabel, templateHelpers } from '../notifications/templates/helpers.js';
import { documentKeys, documentTemplate, localeSources } from '../notifications/templates/template-catalog.js';
import { RECORD_COLUMNS, factsOf, toRecordRow } from '../records/record.types.js';
import { RecordsReadService } from '../records/records-read.service.js';
import { TransitionSupport } from '../referrals/transition-support.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { documentDirection, printedForms } from './document-context.js';
import { PdfRenderer } from './pdf-renderer.js';
import type { PrintQuery } from './print.dto.js';
import { UUID } from '../common/uuid.js';

export type PrintFormat = 'html' | 'pdf';

export interface PrintedDocument {
  html: string;
  /** The same HTML rendered by Chromium, when PDF was asked for. */
  pdf?: Buffer;
  locale: string;
  /** Without extension. */
  filename: string;
}

interface ReferralRow {
  id: string;
  status: string;
  service: string | null;
  shared_forms: string[] | null;
  from_user: string | null;
  to_user: string | null;
  to_username: string | null;
  to_agency: string | null;
  created_at: string;
}

/**
 * Renders a document template for one record and one reader. The record is read through the records read path
 * (`RecordsReadService.get`: the reader's scope, a 404 like a missing record otherwise, data redacted by the
 * reader's ability on THIS record); forms are cut down to what the reader may read and what the template (or the
 * referral) prints. PDF is that same HTML rendered by Chromium (`PdfRenderer`). Audited as `record.print` with the
 * format, template key, locale and printed form keys, once the document exists.
 */
@Injectable()
export class PrintService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
    private readonly records: RecordsReadService,
    private readonly audit: AuditService,
    private readonly pdf: PdfRenderer,
  ) {}

  async print(actor: Actor, recordType: string, id: string, query: PrintQuery, format: PrintFormat = 'html'): Promise<PrintedDocument> {
    const config = this.config.current();
    const locale = query.locale ?? actor.principal.locale;
    if (query.locale !== undefined && !this.knownLocale(config, query.locale)) {
      throw HavenError.validation([{ code: 'unknown_locale', path: '/locale', message: `"${query.locale}" is not a locale of the configuration.` }]);
    }
    // Access first: nothing about the templates is said about a record the caller cannot read.
    const view = await this.records.get(actor, recordType, id, query.module);
    const template = documentTemplate(config, query.template, view.module, view.recordType);
    if (template === undefined) {
      const keys = documentKeys(config, view.module, view.recordType);
      throw HavenError.validation([{ code: 'unknown_template', path: '/template', message: `No document template "${query.template}" for this record type (available: ${keys.join(', ') || 'none'}).` }]);
    }
    const def = template.def;
    const source = def.forms ?? 'readable';
    let referral: ReferralRow | undefined;
    if (source === 'referral') {
      if (query.referral === undefined) {
        throw HavenError.validation([{ code: 'required', path: '/referral', message: `Template "${def.key}" prints a referral's shared forms: give referral=<id>.` }]);
      }
    }
    const facts = await this.facts(view.id);
    if (query.referral !== undefined && source === 'referral') {
      referral = await this.referral(view.id, query.referral);
      // As for GET /referrals/:id: a referral is printed by those who may read the record without their shares, or
      // by its sender or receiver; anyone else gets the answer of a missing one.
      const party = referral !== undefined && (referral.from_user === actor.principal.userId || referral.to_user === actor.principal.userId);
      if (referral === undefined || !(party || TransitionSupport.readsWithoutShares(actor.principal.ability, facts))) throw HavenError.notFound('No such referral.');
    }
    const readable = actor.principal.ability.readableFields(view.module, view.recordType, facts);
    const shared = new Set(referral?.shared_forms ?? []);
    const only = def.formKeys === undefined ? undefined : new Set(def.formKeys);
    const include = (form: LocalizedForm) => (only === undefined || only.has(form.key)) && (source !== 'referral' || shared.has(form.key));
    const sources = localeSources(template, locale);
    const forms = printedForms({ config, module: view.module, recordType: view.recordType, locale: sources.locale, data: view.data, readable, forms: include });
    const rt = config.recordType(view.module, view.recordType);
    const helpers = templateHelpers(config, sources.locale, { module: view.module, recordType: view.recordType });
    const context: Record<string, unknown> = {
      lang: sources.locale,
      dir: documentDirection(config, sources.locale),
      template: def.key,
      printedAt: new Date().toISOString(),
      printedBy: actor.principal.username,
      record: {
        displayId: view.displayId,
        shortId: view.shortId,
        recordType: view.recordType,
        recordTypeLabel: config.texts.text(translationKeys.recordTypeLabel(view.module, view.recordType), sources.locale) ?? rt.label,
        status: view.status,
        statusLabel: this.statusLabel(config, view.module, view.recordType, view.status, sources.locale),
        owner: view.owner,
        agency: view.agency,
        createdAt: view.createdAt,
        updatedAt: view.updatedAt,
      },
      forms,
      ...(referral === undefined ? {} : { referral: this.referralContext(config, view.module, view.recordType, referral, sources.locale) }),
    };
    // Without a subject the title is the label as it is (a label is text, not a template).
    let title: string;
    let html: string;
    try {
      title = (sources.subject === undefined ? def.label : render(sources.subject, 'text', context, helpers)).replace(/\s+/g, ' ').trim();
      html = render(sources.body, 'html', { ...context, title }, helpers);
    } catch (err) {
      if (!(err instanceof TemplateRenderError)) throw err;
      throw new HavenError('invalid_bundle', `The document template "${def.key}" cannot be printed: ${err.message}.`);
    }
    const pdf = format === 'pdf' ? await this.pdf.render(html) : undefined;
    await this.audit.record({
      ...auditActor(actor),
      action: 'record.print',
      objectType: 'record',
      objectId: view.id,
      details: { format, template: def.key, locale: sources.locale, forms: forms.map((f) => f.key), ...(referral ? { referral: referral.id } : {}) },
    });
    return { html, pdf, locale: sources.locale, filename: `${def.key}-${view.shortId}` };
  }

  private knownLocale(config: CompiledConfig, locale: string): boolean {
    const language = locale.split('-')[0];
    return config.locales.some((l) => l.code === locale || l.code === language);
  }

  /** The referral of this record (the shared forms, sender and receiver), whatever its state. */
  private async referral(recordId: string, referralId: string): Promise<ReferralRow | undefined> {
    if (!UUID.test(referralId)) return undefined;
    const rows: ReferralRow[] = await this.ds.query(
      `SELECT t.id, t.status, t.service, t.shared_forms, t.from_user, t.to_user, u.username AS to_username, t.to_agency, t.created_at
         FROM record_transition t LEFT JOIN app_user u ON u.id = t.to_user
        WHERE t.id = $1 AND t.record_id = $2 AND t.kind = 'referral'`,
      [referralId, recordId],
    );
    return rows[0];
  }

  private referralContext(config: CompiledConfig, module: string, recordType: string, r: ReferralRow, locale: string): Record<string, unknown> {
    const lookup = referralSettings(config).referral(module, recordType)?.serviceLookup ?? 'service_type';
    return {
      id: r.id,
      status: r.status,
      service: r.service,
      serviceLabel: r.service === null ? '' : lookupLabel(config, lookup, r.service, locale),
      toUser: r.to_username,
      toAgency: r.to_agency,
      createdAt: new Date(r.created_at).toISOString(),
      sharedForms: r.shared_forms ?? [],
    };
  }

  /** The record's facts as GET sees them: owner, agency, groups, shares and the forms referrals share. */
  private async facts(id: string): Promise<RecordFacts> {
    const [row] = await this.ds.query(`SELECT ${RECORD_COLUMNS} FROM record r JOIN app_user o ON o.id = r.owner_id WHERE r.id = $1`, [id]);
    return factsOf(toRecordRow(row));
  }

  /** The workflow state's label when the record type has a workflow, else the stored status. */
  private statusLabel(config: CompiledConfig, module: string, recordType: string, status: string, locale: string): string {
    for (const bundle of config.source) {
      for (const { def } of bundle.workflows) {
        const wf = def as unknown as { module?: string; recordType?: string; states?: { key: string; label: string }[] };
        if (wf.module !== module || wf.recordType !== recordType) continue;
        const state = wf.states?.find((s) => s.key === status);
        if (state) return config.texts.text(translationKeys.workflowText(module, recordType, 'state', status, 'label'), locale) ?? state.label;
      }
    }
    return config.lookups.has('case_status') ? lookupLabel(config, 'case_status', status, locale) : status;
  }
}
