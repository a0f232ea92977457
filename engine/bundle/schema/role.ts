/** JSON Schema of `roles/<key>.json` (docs/config-format.md, "Roles"; meanings in docs/permissions.md). */
import { Type, type Static } from '@sinclair/typebox';
import { Key, StringEnum, Text } from './common.js';
import { ADMIN_SCOPES, ADMIN_SUBJECTS, FORM_ACCESS, RECORD_SCOPES } from './role-catalogue.js';

const strict = { additionalProperties: false } as const;

/**
 * Actions are checked against the catalogue by the cross-reference checker (the allowed set depends on
 * the grant: records or one admin subject), so the schema only fixes their spelling.
 */
const Action = Type.String({ pattern: '^[a-z][a-z0-9_]*$' });
const Actions = Type.Array(Action, { minItems: 1, uniqueItems: true });

/** `@identifying`, a top-level field key, or `<subform>.<field>`. */
export const EXCLUDE_FIELD_PATTERN = '^(@[a-z][a-z0-9_]*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?)$';

export const RecordGrantSchema = Type.Object(
  {
    module: Key,
    recordTypes: Type.Array(Key, { minItems: 1, uniqueItems: true }),
    scope: StringEnum(Object.keys(RECORD_SCOPES) as (keyof typeof RECORD_SCOPES)[]),
    actions: Actions,
    /** Form key (or `*` for every other form of the record types) -> access. */
    forms: Type.Record(Type.String({ pattern: '^(\\*|[a-z][a-z0-9_]*)$' }), StringEnum(FORM_ACCESS), { minProperties: 1 }),
    excludeFields: Type.Optional(Type.Array(Type.String({ pattern: EXCLUDE_FIELD_PATTERN }), { uniqueItems: true })),
  },
  strict,
);
export type RecordGrant = Static<typeof RecordGrantSchema>;

export const AdminGrantSchema = Type.Object(
  {
    subject: StringEnum(ADMIN_SUBJECTS),
    actions: Actions,
    /** Default `all`. `agency` limits the grant to objects of the user's own agency. */
    scope: Type.Optional(StringEnum(ADMIN_SCOPES)),
  },
  strict,
);
export type AdminGrant = Static<typeof AdminGrantSchema>;

export const RoleSchema = Type.Object(
  {
    key: Key,
    label: Text,
    description: Type.Optional(Type.String()),
    /** Default `optional`. */
    secondFactor: Type.Optional(StringEnum(['optional', 'required'])),
    records: Type.Optional(Type.Array(RecordGrantSchema)),
    admin: Type.Optional(Type.Array(AdminGrantSchema)),
    reports: Type.Optional(Type.Object({ aggregate: Type.Optional(Type.Boolean()) }, strict)),
  },
  strict,
);
export type RoleDefinition = Static<typeof RoleSchema>;
