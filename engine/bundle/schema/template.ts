/**
 * JSON Schema of `templates/<key>.json` (docs/config-format.md, "Templates"): a notification e-mail for one
 * event, or a printable document. Each locale names a Handlebars source file `templates/<name>.hbs` of the same
 * bundle for the body, and (notifications) gives the subject inline. What the schema cannot say (the event
 * exists, the record types and forms exist, the locales are the bundle's, the base language is there, the
 * source files exist) is checked in `check/check-templates.ts`; that the sources compile is checked by the
 * server, which owns the Handlebars runtime.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Key, LocaleCode, StringEnum, Text } from './common.js';

const strict = { additionalProperties: false } as const;

export const TEMPLATE_KINDS = ['notification', 'document'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/**
 * Events a notification template can answer (the server's notification outbox uses the same keys). Stable:
 * templates and clients key on them; add new ones, never rename.
 */
export const NOTIFICATION_EVENTS = [
  'approval_requested',
  'approval_decided',
  'assignment',
  'referral_received',
  'referral_accepted',
  'referral_declined',
  'referral_revoked',
  'referral_done',
  'transfer_received',
  'transfer_accepted',
  'transfer_rejected',
  'transfer_revoked',
  'transfer_requested',
  'transition',
] as const;
export type NotificationEventKey = (typeof NOTIFICATION_EVENTS)[number];

/**
 * Which forms a document prints: `readable` = every form the reader may read on the record, in form order;
 * `referral` = only the forms a referral shares (printing needs the referral). `formKeys` narrows either further.
 */
export const DOCUMENT_FORM_SOURCES = ['readable', 'referral'] as const;
export type DocumentFormSource = (typeof DOCUMENT_FORM_SOURCES)[number];

/** A Handlebars source file of the bundle's `templates/` folder, by its file name. */
export const TEMPLATE_SOURCE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*\\.hbs$';

/** `<module>.<recordType>`. */
const RECORD_TYPE_REF_PATTERN = '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$';

export const TemplateLocaleSchema = Type.Object(
  {
    /** Inline Handlebars: the e-mail subject and in-app title (notifications), the page title (documents). */
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    /** File name of the body's Handlebars source in `templates/` (plain text for e-mails, HTML for documents). */
    body: Type.String({ pattern: TEMPLATE_SOURCE_PATTERN }),
  },
  strict,
);
export type TemplateLocale = Static<typeof TemplateLocaleSchema>;

export const TemplateSchema = Type.Object(
  {
    key: Key,
    kind: StringEnum(TEMPLATE_KINDS),
    label: Text,
    description: Type.Optional(Type.String()),
    /** Notifications: the event answered. */
    event: Type.Optional(StringEnum(NOTIFICATION_EVENTS)),
    /** Record types it applies to (`<module>.<recordType>`); absent = every record type. */
    recordTypes: Type.Optional(Type.Array(Type.String({ pattern: RECORD_TYPE_REF_PATTERN }), { minItems: 1, uniqueItems: true })),
    /** Documents: which forms are printed (default `readable`). */
    forms: Type.Optional(StringEnum(DOCUMENT_FORM_SOURCES)),
    /** Documents: only these forms (still cut down to what the reader may read, in form order). */
    formKeys: Type.Optional(Type.Array(Key, { minItems: 1, uniqueItems: true })),
    /** Sources per locale; the bundle's base language is required. */
    locales: Type.Record(LocaleCode, TemplateLocaleSchema, { minProperties: 1 }),
  },
  strict,
);
export type TemplateDefinition = Static<typeof TemplateSchema>;
