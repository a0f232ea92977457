/** Field type registry: the types, the field definition union and its bundle schema. */
import type { TProperties } from '@sinclair/typebox';
import { fieldDefinitionSchema, fieldUnionSchema, type FieldType } from './field-type.js';
import { LEAF_FIELD_TYPES, type DefinitionOf, type LeafFieldDefinition } from './leaf-types.js';
import { subformField } from './subform.js';

export const FIELD_TYPES = [...LEAF_FIELD_TYPES, subformField] as const;

export type SubformFieldDefinition = DefinitionOf<typeof subformField>;
/** Any field definition, discriminated on `type`. */
export type FieldDefinition = LeafFieldDefinition | SubformFieldDefinition;
export type { LeafFieldDefinition };

export const FieldSchema = fieldUnionSchema<FieldDefinition>(FIELD_TYPES.map((type) => fieldDefinitionSchema(type)));

const BY_NAME: ReadonlyMap<string, FieldType<string, TProperties>> = new Map(
  FIELD_TYPES.map((type) => [type.name, type as FieldType<string, TProperties>]),
);

export function fieldType(name: string): FieldType<string, TProperties> | undefined {
  return BY_NAME.get(name);
}

export const FIELD_TYPE_NAMES: readonly string[] = FIELD_TYPES.map((type) => type.name);

export function isSubform(def: { readonly type: string }): def is SubformFieldDefinition {
  return def.type === subformField.name;
}

/** The child fields of a container field (empty for every other type). */
export function childFields(def: FieldDefinition): readonly LeafFieldDefinition[] {
  return isSubform(def) ? def.fields : [];
}
