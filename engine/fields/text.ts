import { Type } from '@sinclair/typebox';
import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';
import { maxLengthCheck } from './support/text-length.js';

/** Loose international phone format: digits with optional +, spaces, dots, dashes and brackets. */
const PHONE = /^\+?[0-9][0-9 ().-]{2,29}$/;

export const textField = defineFieldType({
  name: 'text',
  widget: 'text',
  extras: {
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    pattern: Type.Optional(Type.String({ minLength: 1 })),
    phone: Type.Optional(Type.Boolean()),
  },
  checkDefinition(def, env) {
    if (def.pattern === undefined) return;
    try {
      // AJV compiles patterns with the `u` flag; check them the same way so the bundle, not a save, fails.
      new RegExp(def.pattern, 'u');
    } catch (error) {
      env.report('/pattern', 'invalid_pattern', `Not a valid regular expression: ${(error as Error).message}`);
    }
  },
  compile(def) {
    const phone = def.phone === true;
    const checkLength = maxLengthCheck(def.maxLength ?? 1000);
    return {
      schema: {
        type: nullable('string'),
        ...(def.pattern === undefined ? {} : { pattern: def.pattern }),
      },
      normalise: trimToNull,
      check: phone
        ? (value, path, ctx) => {
            checkLength(value, path, ctx);
            if (typeof value === 'string' && !PHONE.test(value)) {
              ctx.report(path, 'invalid_format', 'Not a valid phone number.', { format: 'phone' });
            }
          }
        : checkLength,
    };
  },
});
