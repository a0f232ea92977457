import { defineFieldType, nullable } from './field-type.js';
import { toBoolean } from './support/normalise.js';

export const yesNoField = defineFieldType({
  name: 'yes_no',
  widget: 'yes_no',
  extras: {},
  compile() {
    return { schema: { type: nullable('boolean') }, normalise: toBoolean };
  },
});
