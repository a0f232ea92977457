/**
 * Templates (`templates/<key>.json`): unique keys, parts that fit the kind (a notification has an event and a
 * subject in every locale; a document has no event), record types and forms that exist, locales of the
 * bundle with its base language present, and body sources that exist in the same bundle. That the Handlebars
 * sources compile (with the fixed helper set, no partials, no unescaped output) is checked by the server,
 * which owns the Handlebars runtime, and reported in the same shape.
 */
import type { TemplateDefinition } from '../schema/template.js';
import type { ParsedBundle } from '../types.js';
import { indexUnique, type CheckContext, type Owned } from './context.js';

export function checkTemplates(ctx: CheckContext): void {
  const keys = new Map<string, Owned<TemplateDefinition>>();
  const formKeys = new Set(ctx.bundles.flatMap((b) => b.forms.map((f) => f.def.key)));
  /** `<event>|<sorted record types or *>` -> where first seen. */
  const answers = new Map<string, string>();
  for (const bundle of ctx.bundles) {
    for (const entry of bundle.templates) {
      // The schema of this kind is TemplateSchema (file-kinds.ts): the file matched it to be here.
      const def = entry.def as unknown as TemplateDefinition;
      if (!indexUnique(ctx, keys, def.key, { file: entry.file, def, bundle }, 'Template')) continue;
      new TemplateCheck(ctx, bundle, entry.file, def, formKeys).run();
      if (def.kind === 'notification' && def.event !== undefined) {
        const scope = def.recordTypes === undefined ? '*' : [...def.recordTypes].sort().join(',');
        const id = `${def.event}|${scope}`;
        const previous = answers.get(id);
        if (previous !== undefined) {
          ctx.report(bundle, entry.file, '/event', 'ambiguous_template', `Template ${previous} already answers "${def.event}" for the same record types.`);
        } else {
          answers.set(id, `${bundle.key}/${entry.file}`);
        }
      }
    }
  }
}

class TemplateCheck {
  constructor(
    private readonly ctx: CheckContext,
    private readonly bundle: ParsedBundle,
    private readonly file: string,
    private readonly def: TemplateDefinition,
    private readonly formKeys: ReadonlySet<string>,
  ) {}

  private report(pointer: string, code: Parameters<CheckContext['report']>[3], message: string): void {
    this.ctx.report(this.bundle, this.file, pointer, code, message);
  }

  run(): void {
    this.checkKind();
    this.checkRecordTypes();
    this.checkForms();
    this.checkLocales();
  }

  private checkKind(): void {
    const { def } = this;
    if (def.kind === 'notification') {
      if (def.event === undefined) this.report('/event', 'invalid_template', 'A notification template names the event it answers.');
      if (def.forms !== undefined) this.report('/forms', 'invalid_template', 'Only document templates print forms.');
      if (def.formKeys !== undefined) this.report('/formKeys', 'invalid_template', 'Only document templates print forms.');
      for (const [locale, source] of Object.entries(def.locales)) {
        if (source.subject === undefined) this.report(`/locales/${locale}/subject`, 'invalid_template', 'A notification template has a subject in every locale.');
      }
    } else if (def.event !== undefined) {
      this.report('/event', 'invalid_template', 'Only notification templates answer an event.');
    }
  }

  private checkRecordTypes(): void {
    const { ctx, bundle } = this;
    (this.def.recordTypes ?? []).forEach((ref, i) => {
      const [moduleKey, recordType] = ref.split('.') as [string, string];
      const module = ctx.modules.get(moduleKey);
      if (module === undefined || !ctx.sees(bundle, module.bundle)) {
        if (!ctx.isBroken('module', moduleKey)) this.report(`/recordTypes/${i}`, 'unknown_module', `There is no module "${moduleKey}" in this bundle or its dependencies.`);
      } else if (!module.def.recordTypes.includes(recordType)) {
        this.report(`/recordTypes/${i}`, 'unknown_record_type', `Module "${moduleKey}" does not list record type "${recordType}".`);
      }
    });
  }

  private checkForms(): void {
    const forms = this.def.formKeys;
    if (forms === undefined) return;
    const namespaces = this.def.recordTypes;
    const byKey = new Map(this.ctx.bundles.flatMap((b) => b.forms.map((f) => [f.def.key, f.def] as const)));
    forms.forEach((key, i) => {
      if (!this.formKeys.has(key)) {
        if (!this.ctx.isBroken('form', key)) this.report(`/formKeys/${i}`, 'unknown_form', `There is no form "${key}".`);
        return;
      }
      const form = byKey.get(key);
      if (form !== undefined && namespaces !== undefined && !namespaces.includes(`${form.module}.${form.recordType}`)) {
        this.report(`/formKeys/${i}`, 'unknown_form', `Form "${key}" belongs to ${form.module}.${form.recordType}, which the template's recordTypes do not list.`);
      }
    });
  }

  private checkLocales(): void {
    const { bundle, def } = this;
    const declared = bundle.manifest.locales;
    if (def.locales[bundle.manifest.baseLanguage] === undefined) {
      this.report('/locales', 'missing_template_locale', `The base language "${bundle.manifest.baseLanguage}" is missing: every other locale falls back to it.`);
    }
    for (const [locale, source] of Object.entries(def.locales)) {
      if (!declared.includes(locale)) {
        this.report(`/locales/${locale}`, 'unknown_locale', `"${locale}" is not one of the bundle's locales (${declared.join(', ')}).`);
      }
      if (bundle.templateSources[`templates/${source.body}`] === undefined && !this.brokenSource(source.body)) {
        this.report(`/locales/${locale}/body`, 'missing_template_source', `The bundle has no file templates/${source.body}.`);
      }
    }
  }

  private brokenSource(name: string): boolean {
    return this.bundle.broken.some((b) => b.file === `templates/${name}`);
  }
}
