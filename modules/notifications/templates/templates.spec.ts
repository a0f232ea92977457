/** Shipped templates and the rules of the Handlebars environment (no database). */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { compileBundles, loadBundles, NOTIFICATION_EVENTS, type CompiledConfig, type LoadedBundle } from '../../../engine/index.js';
import { readBundleDir } from '../../config/bundle-files.js';
import { render, sourceProblem, TemplateRenderError, templateSourceIssues } from './handlebars-env.js';
import { templateHelpers } from './helpers.js';
import { renderNotification, type StoredNotification } from './render-notification.js';
import { documentTemplate, localeSources, notificationTemplate } from './template-catalog.js';

let bundles: readonly LoadedBundle[];
let config: CompiledConfig;

beforeAll(async () => {
  const result = loadBundles(await Promise.all(['configs/core', 'configs/gbv', 'configs/cp'].map((dir) => readBundleDir(dir))));
  expect(result.issues).toEqual([]);
  bundles = result.bundles!;
  config = compileBundles(bundles);
});

const notification = (event: string, details: Record<string, unknown> = {}): StoredNotification => ({
  id: '1',
  userId: 'u',
  event,
  recordId: 'r',
  actorId: null,
  details,
  createdAt: new Date('2026-11-20T10:00:00Z'),
  readAt: null,
});
const record = { id: '7d1c5f5e-2b7a-4c36-9a8b-0c1d2e3f4a5b', displayId: 'GBV-ABC1234', module: 'gbv', recordType: 'case' };

describe('shipped templates', () => {
  it('compile under the template rules', () => {
    expect(templateSourceIssues(bundles)).toEqual([]);
  });

  it('answer every event in every locale of the core bundle, naming only the display id', () => {
    const core = bundles.find((b) => b.key === 'core')!;
    for (const event of NOTIFICATION_EVENTS) {
      const template = notificationTemplate(config, event, record);
      expect(template?.def.event).toBe(event);
      for (const locale of core.manifest.locales) {
        expect(Object.keys(template!.def.locales)).toContain(locale);
        const out = renderNotification(config, notification(event, { approvalType: 'action_plan', decision: 'approved', service: 'health_medical_service', comment: 'Survivor Amina asked' }), record, locale, 'https://haven.example.org');
        expect(out?.locale).toBe(locale);
        expect(out?.subject).toContain('GBV-ABC1234');
        expect(out?.body).toContain(`https://haven.example.org/records/gbv/case/${record.id}`);
        // Free text of the event never reaches a message.
        expect(`${out?.subject}\n${out?.body}`).not.toContain('Amina');
      }
    }
  });

  it('word the event in the recipient locale and label keys from the bundle', () => {
    const fr = renderNotification(config, notification('referral_received', { service: 'health_medical_service' }), record, 'fr');
    expect(fr?.subject).toMatch(/^Nouveau référencement : .+ — GBV-ABC1234$/);
    const ar = renderNotification(config, notification('approval_decided', { decision: 'rejected', approvalType: 'action_plan' }), record, 'ar-IQ');
    expect(ar?.locale).toBe('ar');
    expect(ar?.subject).toContain('لم تتم الموافقة');
    const en = renderNotification(config, notification('referral_received', { service: 'health_medical_service' }), record, 'en');
    expect(en?.subject).toBe('New referral: Health/Medical Service — GBV-ABC1234');
  });

  it('leave the record out when the recipient may not read it', () => {
    const out = renderNotification(config, notification('referral_received', { service: 'health_medical_service' }), undefined, 'en', 'https://haven.example.org');
    expect(out?.subject).toBe('New referral: Health/Medical Service');
    expect(out?.body).not.toContain('/records/');
    expect(out?.body).toContain('Sign in to Haven');
  });

  it('provide case_summary and referral_letter documents for GBV and CP cases in every bundle locale', () => {
    for (const [module, locales] of [['gbv', ['en', 'fr', 'ar']], ['cp', ['en', 'fr']]] as const) {
      for (const key of ['case_summary', 'referral_letter']) {
        const template = documentTemplate(config, key, module, 'case');
        expect(template).toBeDefined();
        for (const locale of locales) expect(localeSources(template!, locale).locale).toBe(locale);
      }
    }
    expect(documentTemplate(config, 'referral_letter', 'gbv', 'case')?.def.forms).toBe('referral');
  });
});

describe('template rules', () => {
  it.each([
    ['triple-stash', '<p>{{{record.name}}}</p>', /unescaped output/],
    ['ampersand', '<p>{{& record.name}}</p>', /unescaped output/],
    ['partial', '{{> header}}', /partials are not available/],
    ['log helper', '{{log record}}', /log helper is not available/],
    ['unknown helper', '{{json record}}', /unknown helper json/],
    ['syntax error', '{{#if x}}', /Parse error|doesn't match/],
    ['helperMissing (throws when called)', '{{helperMissing}}', /helperMissing helper is not available/],
    ['blockHelperMissing', '{{#blockHelperMissing x}}y{{/blockHelperMissing}}', /blockHelperMissing helper is not available/],
    ['loops nested five deep', '{{#each a}}{{#each b}}{{#if c}}{{#each d}}{{#each e}}{{#each f}}x{{/each}}{{/each}}{{/each}}{{/if}}{{/each}}{{/each}}', /loops \(each\) nest at most 4 deep/],
    ['a source over 200,000 characters', 'x'.repeat(200_001), /at most 200000 characters/],
  ])('refuses %s', (_name, source, problem) => {
    expect(sourceProblem(source, 'html')).toMatch(problem);
  });

  it('accepts the fixed helpers and built-in blocks', () => {
    expect(sourceProblem('{{#each forms}}{{#if (eq kind "bool")}}{{formatDate at}}{{/if}}{{fieldLabel "x"}}{{lookupLabel "sex" v}}{{/each}}', 'html')).toBeUndefined();
  });

  it('escapes values in HTML documents and reaches no prototype', () => {
    const helpers = templateHelpers(config, 'en');
    const html = render('<p>{{name}}</p><p>{{constructor.name}}</p><p>{{__proto__}}</p>', 'html', { name: '<script>alert(1)</script>' }, helpers);
    expect(html).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p></p><p></p>');
  });

  it('stops a render that loops more than 500,000 times in all', () => {
    const helpers = templateHelpers(config, 'en');
    const items = Array.from({ length: 100 }, (_, i) => i);
    const source = '{{#each @root.a}}{{#each @root.a}}{{#each @root.a}}.{{/each}}{{/each}}{{/each}}';
    expect(sourceProblem(source, 'text')).toBeUndefined();
    expect(render(source, 'text', { a: items.slice(0, 40) }, helpers)).toHaveLength(64_000);
    expect(() => render(source, 'text', { a: items }, helpers)).toThrow(TemplateRenderError);
  });

  it('fails a render of a source that breaks the rules (stored before a rule was added) like any failed render', () => {
    const helpers = templateHelpers(config, 'en');
    expect(() => render('{{helperMissing}}', 'text', {}, helpers)).toThrow(TemplateRenderError);
  });

  it('formats dates in the reader locale', () => {
    const helpers = templateHelpers(config, 'fr');
    expect(render('{{formatDate d}}', 'text', { d: '2026-03-01' }, helpers)).toBe('1 mars 2026');
  });
});
