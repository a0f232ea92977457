/** Which paths a bundle may contain, and the schema each kind of file must match. */
import type { TSchema } from '@sinclair/typebox';
import type { FileKind } from '../types.js';
import {
  LocalesSchema,
  LocationsSchema,
  LookupSchema,
  ManifestSchema,
  ModuleSchema,
  RecordTypeSchema,
  RulesFileSchema,
  SettingsSchema,
  TranslationsSchema,
} from './definitions.js';
import { ExportMappingSchema } from './export.js';
import { FormSchema } from './form.js';
import { ReportSchema } from './report.js';
import { RoleSchema } from './role.js';
import { TemplateSchema } from './template.js';
import { WorkflowSchema } from './workflow.js';

export interface FileKindSpec {
  readonly kind: FileKind;
  readonly path: RegExp;
  /** Absent for non-JSON files (Handlebars sources). */
  readonly schema?: TSchema;
  /** The name part of the path (group 1), e.g. `gbv.incident.gbv_incident_form` or a locale. */
  readonly describes: string;
}

const NAME = '([^/]+)';

export const FILE_KINDS: readonly FileKindSpec[] = [
  { kind: 'manifest', path: /^bundle\.json$/, schema: ManifestSchema, describes: 'the manifest' },
  { kind: 'settings', path: /^settings\.json$/, schema: SettingsSchema, describes: 'system settings' },
  { kind: 'locales', path: /^locales\.json$/, schema: LocalesSchema, describes: 'the locale catalogue' },
  { kind: 'module', path: new RegExp(`^modules/${NAME}\\.json$`), schema: ModuleSchema, describes: '<module>' },
  { kind: 'recordType', path: new RegExp(`^record-types/${NAME}\\.json$`), schema: RecordTypeSchema, describes: '<module>.<key>' },
  { kind: 'form', path: new RegExp(`^forms/${NAME}\\.json$`), schema: FormSchema, describes: '<module>.<recordType>.<key>' },
  { kind: 'lookup', path: new RegExp(`^lookups/${NAME}\\.json$`), schema: LookupSchema, describes: '<key>' },
  { kind: 'locations', path: new RegExp(`^locations/${NAME}\\.json$`), schema: LocationsSchema, describes: 'any name' },
  { kind: 'rules', path: new RegExp(`^rules/${NAME}\\.json$`), schema: RulesFileSchema, describes: '<module>.<recordType>' },
  { kind: 'role', path: new RegExp(`^roles/${NAME}\\.json$`), schema: RoleSchema, describes: '<key>' },
  { kind: 'workflow', path: new RegExp(`^workflows/${NAME}\\.json$`), schema: WorkflowSchema, describes: '<module>.<recordType>' },
  { kind: 'export', path: new RegExp(`^exports/${NAME}\\.json$`), schema: ExportMappingSchema, describes: '<key>' },
  { kind: 'report', path: new RegExp(`^reports/${NAME}\\.json$`), schema: ReportSchema, describes: '<key>' },
  { kind: 'template', path: new RegExp(`^templates/${NAME}\\.json$`), schema: TemplateSchema, describes: '<key>' },
  { kind: 'templateSource', path: new RegExp(`^templates/${NAME}\\.hbs$`), describes: 'any name' },
  { kind: 'translations', path: new RegExp(`^translations/${NAME}\\.json$`), schema: TranslationsSchema, describes: '<locale>' },
  // Documentation for people reading the bundle folder: hashed like every file, never interpreted.
  { kind: 'readme', path: /^README\.md$/, describes: 'README.md' },
];

export function classifyPath(path: string): { spec: FileKindSpec; name: string } | undefined {
  for (const spec of FILE_KINDS) {
    const match = spec.path.exec(path);
    if (match) return { spec, name: match[1] ?? '' };
  }
  return undefined;
}

/** The file name each keyed kind must have, given its content; undefined when any name is fine. */
export function expectedFileName(kind: FileKind, def: Readonly<Record<string, unknown>>): string | undefined {
  const key = def['key'];
  switch (kind) {
    case 'module':
    case 'lookup':
    case 'role':
    case 'export':
    case 'template':
    case 'report':
      return typeof key === 'string' ? key : undefined;
    case 'recordType':
      return `${String(def['module'])}.${String(key)}`;
    case 'form':
      return `${String(def['module'])}.${String(def['recordType'])}.${String(key)}`;
    case 'rules':
    case 'workflow':
      return `${String(def['module'])}.${String(def['recordType'])}`;
    default:
      return undefined;
  }
}
