import { referralSettings, translationKeys, type CompiledConfig } from '../../../engine/index.js';
import { render, TemplateRenderError } from './handlebars-env.js';
import { lookupLabel, templateHelpers } from './helpers.js';
import { localeSources, notificationTemplate } from './template-catalog.js';

/** A notification row as stored. */
export interface StoredNotification {
  readonly id: string;
  readonly userId: string;
  readonly event: string;
  readonly recordId: string | null;
  readonly actorId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  readonly readAt: Date | null;
}

/** The notification's record, present only while the recipient may still read it. */
export interface VisibleRecord {
  readonly id: string;
  readonly displayId: string;
  readonly module: string;
  readonly recordType: string;
}

export interface RenderedNotification {
  readonly subject: string;
  readonly body: string;
  readonly locale: string;
  readonly template: string;
}

/**
 * Details a template may see: configuration keys only (approval type, decision, service, transition, states
 * `from`/`to`, target module),
 * never free text. Comments and notes stay out of e-mails and subjects entirely.
 */
const DETAIL_KEYS = ['approvalType', 'decision', 'service', 'transition', 'status', 'from', 'to', 'module', 'kind'] as const;
const KEY = /^[a-z][a-z0-9_]{0,62}$/;

export function safeDetails(details: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of DETAIL_KEYS) {
    const value = details[key];
    if (typeof value === 'string' && KEY.test(value)) out[key] = value;
  }
  return out;
}

type WorkflowPart = 'approval' | 'transition' | 'state';

/** The label of a workflow approval, transition or state of a record type in `locale` (the key when unknown). */
function workflowLabel(config: CompiledConfig, module: string, recordType: string, part: WorkflowPart, key: string, locale: string): string {
  for (const bundle of config.source) {
    for (const { def } of bundle.workflows) {
      const wf = def as unknown as { module?: string; recordType?: string; approvals?: { key: string; label: string }[]; transitions?: { key: string; label: string }[]; states?: { key: string; label: string }[] };
      if (wf.module !== module || wf.recordType !== recordType) continue;
      const list = part === 'approval' ? wf.approvals : part === 'transition' ? wf.transitions : wf.states;
      const found = list?.find((item) => item.key === key);
      if (found === undefined) return key;
      return config.texts.text(translationKeys.workflowText(module, recordType, part, key, 'label'), locale) ?? found.label;
    }
  }
  return key;
}

/** What a notification template sees: the event, the record's display id and link (when readable), and labelled keys. */
export function notificationContext(config: CompiledConfig, n: StoredNotification, record: VisibleRecord | undefined, locale: string, publicUrl?: string): Record<string, unknown> {
  const details: Record<string, string> = safeDetails(n.details);
  const labels: Record<string, string> = {};
  if (details.service !== undefined) {
    const lookup = (record && referralSettings(config).referral(record.module, record.recordType)?.serviceLookup) ?? 'service_type';
    labels.service = lookupLabel(config, lookup, details.service, locale);
  }
  if (record !== undefined) {
    const { module, recordType } = record;
    if (details.approvalType !== undefined) labels.approvalType = workflowLabel(config, module, recordType, 'approval', details.approvalType, locale);
    if (details.transition !== undefined) labels.transition = workflowLabel(config, module, recordType, 'transition', details.transition, locale);
    for (const key of ['status', 'from', 'to'] as const) {
      if (details[key] !== undefined) labels[key] = workflowLabel(config, module, recordType, 'state', details[key], locale);
    }
  }
  for (const [key, value] of Object.entries(details)) labels[key] ??= value;
  const link = record !== undefined && publicUrl !== undefined ? `${publicUrl}/records/${record.module}/${record.recordType}/${record.id}` : undefined;
  const rt = record === undefined ? undefined : config.findRecordType(record.module, record.recordType);
  return {
    event: n.event,
    details,
    labels,
    record:
      record === undefined
        ? null
        : {
            displayId: record.displayId,
            module: record.module,
            recordType: record.recordType,
            recordTypeLabel: rt === undefined ? record.recordType : (config.texts.text(translationKeys.recordTypeLabel(record.module, record.recordType), locale) ?? rt.label),
            ...(link === undefined ? {} : { link }),
          },
    ...(link === undefined ? {} : { link }),
    createdAt: n.createdAt.toISOString(),
  };
}

/** Subject and plain-text body in the recipient's locale; undefined when no template answers the event. */
export function renderNotification(config: CompiledConfig, n: StoredNotification, record: VisibleRecord | undefined, locale: string, publicUrl?: string): RenderedNotification | undefined {
  return renderParts(config, n, record, locale, publicUrl, true);
}

/** The subject alone (the in-app list). */
export function renderSubject(config: CompiledConfig, n: StoredNotification, record: VisibleRecord | undefined, locale: string): string | undefined {
  return renderParts(config, n, record, locale, undefined, false)?.subject;
}

function renderParts(config: CompiledConfig, n: StoredNotification, record: VisibleRecord | undefined, locale: string, publicUrl: string | undefined, withBody: boolean): RenderedNotification | undefined {
  const template = notificationTemplate(config, n.event, record);
  if (template === undefined) return undefined;
  const sources = localeSources(template, locale);
  const context = notificationContext(config, n, record, sources.locale, publicUrl);
  const helpers = templateHelpers(config, sources.locale, record);
  try {
    // Without a subject, the label as it is (a label is text, not a template).
    const subject = (sources.subject === undefined ? template.def.label : render(sources.subject, 'text', context, helpers)).replace(/\s+/g, ' ').trim();
    const body = withBody ? render(sources.body, 'text', { ...context, subject }, helpers) : '';
    return { subject, body, locale: sources.locale, template: template.def.key };
  } catch (err) {
    // A template that fails on this data is treated like a missing one (the event's own wording), never a failed request.
    if (err instanceof TemplateRenderError) return undefined;
    throw err;
  }
}
