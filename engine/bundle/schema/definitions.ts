/** JSON Schemas (TypeBox) of the bundle file kinds other than forms; TS types derive from them. */
import { Type, type Static } from '@sinclair/typebox';
import { Key, LocaleCode, LocationCode, Logic, OptionValue, StringEnum, Text } from './common.js';

const strict = { additionalProperties: false } as const;

export const ManifestSchema = Type.Object(
  {
    key: Key,
    version: Type.String({ minLength: 1, maxLength: 64 }),
    title: Text,
    description: Type.Optional(Type.String()),
    baseLanguage: LocaleCode,
    locales: Type.Array(LocaleCode, { minItems: 1, uniqueItems: true }),
    dependsOn: Type.Optional(Type.Array(Key, { uniqueItems: true })),
  },
  strict,
);
export type Manifest = Static<typeof ManifestSchema>;

/** System settings: owned by the core bundle and read by the server, so only the shape is fixed here. */
export const SettingsSchema = Type.Object({}, { additionalProperties: true });
export type Settings = Static<typeof SettingsSchema> & Readonly<Record<string, unknown>>;

export const LocalesSchema = Type.Object(
  {
    locales: Type.Array(
      Type.Object(
        { code: LocaleCode, name: Text, direction: StringEnum(['ltr', 'rtl']) },
        strict,
      ),
    ),
  },
  strict,
);
export type LocalesFile = Static<typeof LocalesSchema>;

/**
 * Consent a referral or transfer needs: `rule` (JSON Logic over `record.*`) must hold, and for a referral the
 * field `services` names for its service must be true too.
 */
export const ConsentSchema = Type.Object(
  {
    rule: Type.Optional(Logic),
    services: Type.Optional(Type.Record(OptionValue, Key)),
  },
  strict,
);
export type ConsentDefinition = Static<typeof ConsentSchema>;

export const ReferralSchema = Type.Object(
  {
    /** The lookup whose values are the services a record can be referred for. */
    serviceLookup: Key,
    /** The only forms a referral partner reads on the record. */
    sharedForms: Type.Array(Key, { minItems: 1, uniqueItems: true }),
    consent: Type.Optional(ConsentSchema),
  },
  strict,
);
export type ReferralDefinition = Static<typeof ReferralSchema>;

export const TransferSchema = Type.Object(
  {
    consent: Type.Optional(Type.Object({ rule: Logic }, strict)),
    /** Whether the previous owner keeps read access once the transfer is accepted (default false). */
    previousOwnerKeepsAccess: Type.Optional(Type.Boolean()),
  },
  strict,
);
export type TransferDefinition = Static<typeof TransferSchema>;

export const CrossModuleSchema = Type.Object(
  {
    /** Record type of this module that is referred (must have a `referrals` entry). */
    from: Key,
    /** Record type created in the receiving module. */
    recordType: Key,
    /** Fields copied from the referred record (never identifying ones). */
    fields: Type.Array(Type.Object({ source: Key, target: Key }, strict)),
    /** Fields of the new record set from JSON Logic over the referred record (`record.*`, `today`, `now`). */
    set: Type.Optional(Type.Array(Type.Object({ target: Key, value: Logic }, strict))),
  },
  strict,
);
export type CrossModuleDefinition = Static<typeof CrossModuleSchema>;

export const ModuleSchema = Type.Object(
  {
    key: Key,
    label: Text,
    description: Type.Optional(Type.String()),
    recordTypes: Type.Array(Key, { minItems: 1, uniqueItems: true }),
    /** `<from>_to_<to>` -> field pairs copied when one record type is created from another. */
    fieldMap: Type.Optional(
      Type.Record(Key, Type.Array(Type.Object({ source: Key, target: Key }, strict))),
    ),
    /** Record type -> how its records are referred for a service (docs/referrals.md). */
    referrals: Type.Optional(Type.Record(Key, ReferralSchema)),
    /** Record type -> how its records are transferred to another owner. */
    transfers: Type.Optional(Type.Record(Key, TransferSchema)),
    /** Receiving module -> the record a referral across modules creates there, and the fields that travel. */
    crossModule: Type.Optional(Type.Record(Key, CrossModuleSchema)),
  },
  strict,
);
export type ModuleDefinition = Static<typeof ModuleSchema>;

export const RecordTypeSchema = Type.Object(
  {
    key: Key,
    module: Key,
    label: Text,
    description: Type.Optional(Type.String()),
    displayId: Type.Optional(
      Type.Object({ prefix: Type.String({ minLength: 1, maxLength: 16 }), pattern: Type.String({ minLength: 1 }) }, strict),
    ),
    formGroups: Type.Array(Type.Object({ key: Key, label: Text }, strict)),
    listFields: Type.Optional(Type.Array(Key)),
    indexes: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Object({ field: Key }, strict),
          // A composite index over several fields (in this order), for a filter combination lists use together.
          Type.Object({ fields: Type.Array(Key, { minItems: 2, maxItems: 4, uniqueItems: true }) }, strict),
        ]),
      ),
    ),
  },
  strict,
);
export type RecordTypeDefinition = Static<typeof RecordTypeSchema>;

export const LookupSchema = Type.Object(
  {
    key: Key,
    label: Text,
    description: Type.Optional(Type.String()),
    localizable: Type.Optional(Type.Boolean()),
    values: Type.Array(
      Type.Object(
        {
          value: OptionValue,
          label: Text,
          tags: Type.Optional(Type.Array(Key)),
          disabled: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type LookupDefinition = Static<typeof LookupSchema>;

export const LocationsSchema = Type.Object(
  {
    localizable: Type.Optional(Type.Boolean()),
    adminLevels: Type.Array(Type.Object({ level: Type.Integer({ minimum: 0 }), key: Key, label: Text }, strict)),
    locations: Type.Array(
      Type.Object(
        {
          code: LocationCode,
          level: Type.Integer({ minimum: 0 }),
          name: Text,
          parent: Type.Optional(LocationCode),
          disabled: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type LocationsFile = Static<typeof LocationsSchema>;

export const RuleSchema = Type.Object(
  {
    key: Key,
    kind: Type.Literal('validation'),
    description: Type.Optional(Type.String()),
    subform: Type.Optional(Key),
    when: Type.Optional(Logic),
    assert: Logic,
    /** JSON pointer of the field the issue is reported on (inside the row for subform rules). */
    path: Type.String({ pattern: '^(/[^/]+)+$' }),
    message: Text,
  },
  strict,
);
export type RuleDefinition = Static<typeof RuleSchema>;

export const RulesFileSchema = Type.Object({ module: Key, recordType: Key, rules: Type.Array(RuleSchema) }, strict);
export type RulesFile = Static<typeof RulesFileSchema>;

export const TranslationsSchema = Type.Record(Type.String({ minLength: 1 }), Type.String());
export type Translations = Static<typeof TranslationsSchema>;

/**
 * Workflows, reports and template metadata: their own sections of the format are still being written,
 * so only a key and a label are fixed for now; other properties are free. (Roles: `role.ts`; export
 * mappings: `export.ts`.)
 */
export const KeyedDefinitionSchema = Type.Object(
  { key: Key, label: Type.Optional(Text) },
  { additionalProperties: true },
);
export type KeyedDefinition = Static<typeof KeyedDefinitionSchema> & Readonly<Record<string, unknown>>;
