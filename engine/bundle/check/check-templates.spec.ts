/** Templates: each case plants one mistake in an otherwise valid bundle with a notification and a document template. */
import { describe, expect, it } from '@jest/globals';
import { loadIssues, makeBundle } from '../../testing/bundle-factory.js';

type Json = Record<string, unknown>;

const FIELDS: Json[] = [{ key: 'name', type: 'text', label: 'Name', identifying: true }];
const NOTIFICATION: Json = {
  key: 'approval_requested',
  kind: 'notification',
  label: 'Approval requested',
  event: 'approval_requested',
  locales: { en: { subject: 'Approval requested for {{record.displayId}}', body: 'notification.en.hbs' } },
};
const DOCUMENT: Json = {
  key: 'summary',
  kind: 'document',
  label: 'Summary',
  recordTypes: ['m.case'],
  formKeys: ['main_form'],
  locales: { en: { subject: 'Summary', body: 'summary.en.hbs' } },
};
const SOURCES = { 'templates/notification.en.hbs': '{{subject}}', 'templates/summary.en.hbs': '<h1>{{title}}</h1>' };

function issuesOf(templates: Json[], extra: Json = {}): string[] {
  const files: Record<string, unknown> = { ...SOURCES, ...extra };
  for (const t of templates) files[`templates/${String(t['key'])}.json`] = t;
  return loadIssues(makeBundle({ fields: FIELDS, files })).map((i) => `${i.code} ${i.file}#${i.pointer}`);
}

const N = 'templates/approval_requested.json';
const D = 'templates/summary.json';

describe('template checks', () => {
  it('accepts valid notification and document templates', () => {
    expect(issuesOf([NOTIFICATION, DOCUMENT])).toEqual([]);
  });

  it.each<[string, Json[], string]>([
    ['unknown event', [{ ...NOTIFICATION, event: 'case_exploded' }], `invalid_value ${N}#/event`],
    ['notification without event', [{ ...NOTIFICATION, event: undefined }], `invalid_template ${N}#/event`],
    ['notification without subject', [{ ...NOTIFICATION, locales: { en: { body: 'notification.en.hbs' } } }], `invalid_template ${N}#/locales/en/subject`],
    ['notification printing forms', [{ ...NOTIFICATION, forms: 'readable' }], `invalid_template ${N}#/forms`],
    ['document with an event', [{ ...DOCUMENT, event: 'assignment' }], `invalid_template ${D}#/event`],
    ['missing base language', [{ ...DOCUMENT, locales: { fr: { body: 'summary.en.hbs' } } }], `missing_template_locale ${D}#/locales`],
    ['locale the bundle does not declare', [{ ...DOCUMENT, locales: { en: { body: 'summary.en.hbs' }, es: { body: 'summary.en.hbs' } } }], `unknown_locale ${D}#/locales/es`],
    ['missing source file', [{ ...DOCUMENT, locales: { en: { body: 'nowhere.en.hbs' } } }], `missing_template_source ${D}#/locales/en/body`],
    ['unknown record type', [{ ...DOCUMENT, recordTypes: ['m.incident'] }], `unknown_record_type ${D}#/recordTypes/0`],
    ['unknown module', [{ ...DOCUMENT, recordTypes: ['x.case'] }], `unknown_module ${D}#/recordTypes/0`],
    ['unknown form', [{ ...DOCUMENT, formKeys: ['other_form'] }], `unknown_form ${D}#/formKeys/0`],
    ['unknown form source', [{ ...DOCUMENT, forms: 'everything' }], `invalid_value ${D}#/forms`],
    ['body that is not a .hbs file', [{ ...DOCUMENT, locales: { en: { body: '../secrets' } } }], `invalid_format ${D}#/locales/en/body`],
  ])('%s', (_name, templates, expected) => {
    expect(issuesOf(templates)).toContain(expected);
  });

  it('reports a file name that does not match the key', () => {
    expect(issuesOf([], { 'templates/other.json': DOCUMENT })).toContain('file_name_mismatch templates/other.json#');
  });

  it('reports two templates answering one event for the same record types', () => {
    const second = { ...NOTIFICATION, key: 'approval_requested_again' };
    expect(issuesOf([NOTIFICATION, second])).toEqual([`ambiguous_template templates/approval_requested_again.json#/event`]);
  });

  it('lets a record-type specific template stand beside a generic one', () => {
    const specific = { ...NOTIFICATION, key: 'approval_requested_case', recordTypes: ['m.case'] };
    expect(issuesOf([NOTIFICATION, specific])).toEqual([]);
  });
});
