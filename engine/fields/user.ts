import { Type } from '@sinclair/typebox';
import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';
import { maxLengthCheck } from './support/text-length.js';

/** Usernames are managed by the server; the engine checks shape only. */
export const userField = defineFieldType({
  name: 'user',
  widget: 'user',
  extras: {
    multiple: Type.Optional(Type.Boolean()),
  },
  compile(def) {
    const checkLength = maxLengthCheck(100);
    if (def.multiple === true) {
      return {
        schema: { type: nullable('array'), items: { type: 'string', pattern: '\\S' }, uniqueItems: true },
        normalise: (value) => (Array.isArray(value) && value.length === 0 ? null : value),
        check: (value, path, ctx) => {
          if (Array.isArray(value)) value.forEach((item, i) => checkLength(item, `${path}/${i}`, ctx));
        },
      };
    }
    return { schema: { type: nullable('string') }, normalise: trimToNull, check: checkLength };
  },
});
