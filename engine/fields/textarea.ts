import { Type } from '@sinclair/typebox';
import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';
import { maxLengthCheck } from './support/text-length.js';

export const textareaField = defineFieldType({
  name: 'textarea',
  widget: 'textarea',
  extras: {
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  compile(def) {
    return {
      schema: { type: nullable('string') },
      normalise: trimToNull,
      check: maxLengthCheck(def.maxLength ?? 20_000),
    };
  },
});
