/**
 * The registry index: every field type that can stand anywhere, including inside a subform row.
 * Adding a type = one file in this folder + one line here. (`subform`, the one container, is added in
 * index.ts because its own schema embeds this list.)
 */
import { agencyField } from './agency.js';
import { attachmentField } from './attachment.js';
import { calculatedField } from './calculated.js';
import { dateRangeField } from './date-range.js';
import { dateField } from './date.js';
import { fieldDefinitionSchema, fieldUnionSchema, type FieldDef, type FieldType } from './field-type.js';
import { locationField } from './location.js';
import { multiSelectField } from './multi-select.js';
import { numberField } from './number.js';
import { radioField } from './radio.js';
import { selectField } from './select.js';
import { separatorField } from './separator.js';
import { signatureField } from './signature.js';
import { tallyField } from './tally.js';
import { textField } from './text.js';
import { textareaField } from './textarea.js';
import { tickBoxField } from './tick-box.js';
import { userField } from './user.js';
import { yesNoField } from './yes-no.js';

export const LEAF_FIELD_TYPES = [
  textField,
  textareaField,
  numberField,
  dateField,
  dateRangeField,
  yesNoField,
  radioField,
  selectField,
  multiSelectField,
  tickBoxField,
  tallyField,
  locationField,
  agencyField,
  userField,
  separatorField,
  attachmentField,
  signatureField,
  calculatedField,
] as const;

/** The definition type of one field type. */
export type DefinitionOf<T> = T extends FieldType<infer N, infer P> ? FieldDef<N, P> : never;

/** Any field that is not a container: a discriminated union on `type`. */
export type LeafFieldDefinition = DefinitionOf<(typeof LEAF_FIELD_TYPES)[number]>;

export const LeafFieldSchema = fieldUnionSchema<LeafFieldDefinition>(LEAF_FIELD_TYPES.map((type) => fieldDefinitionSchema(type)));
