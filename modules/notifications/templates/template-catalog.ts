import type { CompiledConfig, LoadedBundle, TemplateDefinition } from '../../../engine/index.js';

/** A template of the active configuration with the bundle it came from (its base language, its sources). */
export interface CatalogTemplate {
  readonly def: TemplateDefinition;
  readonly bundle: LoadedBundle;
}

/** The sources of one template in one locale, resolved with fallback. */
export interface LocaleSources {
  readonly locale: string;
  readonly subject?: string;
  readonly body: string;
}

function templatesOf(config: CompiledConfig): CatalogTemplate[] {
  // The schema of the template kind is TemplateSchema: a loaded bundle's templates matched it.
  return config.source.flatMap((bundle) => bundle.templates.map((t) => ({ def: t.def as unknown as TemplateDefinition, bundle })));
}

const applies = (def: TemplateDefinition, module: string, recordType: string) =>
  def.recordTypes === undefined || def.recordTypes.includes(`${module}.${recordType}`);

/**
 * The template answering `event` for a record of `module`/`recordType` (or for no record): one that names the
 * record type wins over a generic one (the checker refuses two of the same specificity).
 */
export function notificationTemplate(config: CompiledConfig, event: string, record?: { module: string; recordType: string }): CatalogTemplate | undefined {
  const candidates = templatesOf(config).filter((t) => t.def.kind === 'notification' && t.def.event === event);
  if (record !== undefined) {
    const specific = candidates.find((t) => t.def.recordTypes !== undefined && applies(t.def, record.module, record.recordType));
    if (specific !== undefined) return specific;
  }
  return candidates.find((t) => t.def.recordTypes === undefined);
}

/** A document template by key, if it applies to the record type. */
export function documentTemplate(config: CompiledConfig, key: string, module: string, recordType: string): CatalogTemplate | undefined {
  return templatesOf(config).find((t) => t.def.kind === 'document' && t.def.key === key && applies(t.def, module, recordType));
}

/** Keys of the document templates that apply to a record type (for error messages and the API description). */
export function documentKeys(config: CompiledConfig, module: string, recordType: string): string[] {
  return templatesOf(config)
    .filter((t) => t.def.kind === 'document' && applies(t.def, module, recordType))
    .map((t) => t.def.key);
}

/** The sources for `locale`: the exact locale, then its language (`fr-CA` -> `fr`), then the bundle's base language. */
export function localeSources(template: CatalogTemplate, locale: string): LocaleSources {
  const { def, bundle } = template;
  const language = locale.split('-')[0] as string;
  const chosen = [locale, language, bundle.manifest.baseLanguage].find((l) => def.locales[l] !== undefined) ?? Object.keys(def.locales)[0];
  const entry = def.locales[chosen as string];
  if (entry === undefined) throw new Error(`template ${def.key} has no sources`);
  const body = bundle.templateSources[`templates/${entry.body}`];
  if (body === undefined) throw new Error(`template ${def.key}: templates/${entry.body} is missing`);
  return { locale: chosen as string, ...(entry.subject === undefined ? {} : { subject: entry.subject }), body };
}
