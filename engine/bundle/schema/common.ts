/** Building blocks shared by the schemas of every bundle file kind (see docs/config-format.md). */
import { Type, type Static, type TUnsafe } from '@sinclair/typebox';

/** Definition keys: stable snake_case identifiers. */
export const KEY_PATTERN = '^[a-z][a-z0-9_]*$';
/** Option values keep GBVIMS spellings such as `non-gbv` or `61+`. */
export const OPTION_VALUE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.+-]*$';
/** BCP 47-ish locale codes: `en`, `fr`, `ar`, `pt-BR`. */
export const LOCALE_PATTERN = '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$';
/** Location codes (P-codes such as `KE047`). */
export const LOCATION_CODE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';

/** A string from a fixed list, as one JSON Schema `enum` (one clear error instead of one per literal). */
export function StringEnum<const T extends readonly string[]>(values: T): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
}

export const Key = Type.String({ pattern: KEY_PATTERN });
export const OptionValue = Type.String({ pattern: OPTION_VALUE_PATTERN });
export const LocaleCode = Type.String({ pattern: LOCALE_PATTERN });
export const LocationCode = Type.String({ pattern: LOCATION_CODE_PATTERN });
/** A base-language text (label, help, message): never empty. */
export const Text = Type.String({ minLength: 1 });

/**
 * A JSON Logic expression. Any JSON value is syntactically acceptable; the cross-reference checker
 * decides which operators and variables it may use, with the context (record, row, …) where it stands.
 */
export const Logic = Type.Unknown();
export type Logic = unknown;

export const InlineOption = Type.Object(
  {
    value: OptionValue,
    label: Text,
    tags: Type.Optional(Type.Array(Key)),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type InlineOption = Static<typeof InlineOption>;

export const Compute = Type.Object({ value: Logic, when: Type.Optional(Logic) }, { additionalProperties: false });
export type Compute = Static<typeof Compute>;

/** Properties every field has, whatever its type. */
export const FieldCommonProperties = {
  key: Key,
  label: Text,
  help: Type.Optional(Text),
  required: Type.Optional(Type.Boolean()),
  visibleIf: Type.Optional(Logic),
  identifying: Type.Optional(Type.Boolean()),
  searchable: Type.Optional(Type.Boolean()),
  readOnly: Type.Optional(Type.Boolean()),
  compute: Type.Optional(Compute),
  aliases: Type.Optional(Type.Array(Key)),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
};
export type FieldCommonProperties = typeof FieldCommonProperties;
