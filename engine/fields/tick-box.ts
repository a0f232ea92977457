import { Type } from '@sinclair/typebox';
import { Text } from '../bundle/schema/common.js';
import { defineFieldType, nullable } from './field-type.js';
import { toBoolean } from './support/normalise.js';

export const tickBoxField = defineFieldType({
  name: 'tick_box',
  widget: 'checkbox',
  extras: {
    tickLabel: Type.Optional(Text),
  },
  texts(def) {
    return def.tickLabel === undefined ? [] : [{ suffix: 'tickLabel', pointer: '/tickLabel', text: def.tickLabel }];
  },
  compile() {
    return { schema: { type: nullable('boolean') }, normalise: toBoolean };
  },
});
