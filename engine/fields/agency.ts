import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';
import { maxLengthCheck } from './support/text-length.js';

/** Agencies are managed by the server (users module), not the bundle: the engine checks shape only. */
export const agencyField = defineFieldType({
  name: 'agency',
  widget: 'agency',
  extras: {},
  compile() {
    return { schema: { type: nullable('string') }, normalise: trimToNull, check: maxLengthCheck(100) };
  },
});
