import { Type } from '@sinclair/typebox';
import { Text } from '../bundle/schema/common.js';
import { normaliseDateTime } from '../util/dates.js';
import { isPlainObject } from '../util/objects.js';
import { defineFieldType, nullable } from './field-type.js';
import { storableTextCheck } from './support/text-length.js';

export const signatureField = defineFieldType({
  name: 'signature',
  widget: 'signature',
  extras: {
    providedByLabel: Type.Optional(Text),
  },
  texts(def) {
    return def.providedByLabel === undefined ? [] : [{ suffix: 'providedByLabel', pointer: '/providedByLabel', text: def.providedByLabel }];
  },
  compile() {
    return {
      schema: {
        type: nullable('object'),
        required: ['attachmentId', 'providedBy', 'signedAt'],
        properties: {
          attachmentId: { type: 'string', minLength: 1, maxLength: 100 },
          providedBy: { type: 'string', minLength: 1, maxLength: 200 },
          signedAt: { type: 'string', format: 'date-time' },
        },
        additionalProperties: false,
      },
      check: (value, path, ctx) => {
        if (!isPlainObject(value)) return;
        storableTextCheck(value['attachmentId'], `${path}/attachmentId`, ctx);
        storableTextCheck(value['providedBy'], `${path}/providedBy`, ctx);
      },
      normalise: (value) => {
        if (!isPlainObject(value) || typeof value['signedAt'] !== 'string') return value;
        return { ...value, signedAt: normaliseDateTime(value['signedAt'].trim()) };
      },
    };
  },
});
