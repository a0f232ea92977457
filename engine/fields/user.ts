import { Type } from '@sinclair/typebox';
import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';

/** Usernames are managed by the server; the engine checks shape only. */
export const userField = defineFieldType({
  name: 'user',
  widget: 'user',
  extras: {
    multiple: Type.Optional(Type.Boolean()),
  },
  compile(def) {
    const username = { type: 'string', minLength: 1, maxLength: 100 };
    if (def.multiple === true) {
      return {
        schema: { type: nullable('array'), items: username, uniqueItems: true },
        normalise: (value) => (Array.isArray(value) && value.length === 0 ? null : value),
      };
    }
    return { schema: { ...username, type: nullable('string') }, normalise: trimToNull };
  },
});
