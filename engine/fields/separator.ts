import { defineFieldType } from './field-type.js';

/** Layout only: no schema, so a value sent for a separator is an unknown field. */
export const separatorField = defineFieldType({
  name: 'separator',
  widget: 'separator',
  extras: {},
  compile() {
    return {};
  },
});
