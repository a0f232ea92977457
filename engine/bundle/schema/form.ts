/** JSON Schema of `forms/<module>.<recordType>.<key>.json`. Field branches come from the field type registry. */
import { Type, type Static } from '@sinclair/typebox';
import { FieldSchema } from '../../fields/index.js';
import { Key, Logic, Text } from './common.js';

export const FormSchema = Type.Object(
  {
    key: Key,
    module: Key,
    recordType: Key,
    label: Text,
    help: Type.Optional(Text),
    group: Type.Optional(Key),
    order: Type.Optional(Type.Number()),
    visibleIf: Type.Optional(Logic),
    fields: Type.Array(FieldSchema),
  },
  { additionalProperties: false },
);
export type FormDefinition = Static<typeof FormSchema>;
