import { Type } from '@sinclair/typebox';
import { defineFieldType, nullable } from './field-type.js';
import { toNumber } from './support/normalise.js';

export const numberField = defineFieldType({
  name: 'number',
  widget: 'number',
  extras: {
    integer: Type.Optional(Type.Boolean()),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
  },
  checkDefinition(def, env) {
    if (def.min !== undefined && def.max !== undefined && def.min > def.max) {
      env.report('/min', 'invalid_range', `min (${def.min}) is above max (${def.max}).`);
    }
  },
  compile(def) {
    return {
      schema: {
        type: nullable(def.integer === true ? 'integer' : 'number'),
        ...(def.min === undefined ? {} : { minimum: def.min }),
        ...(def.max === undefined ? {} : { maximum: def.max }),
      },
      normalise: toNumber,
    };
  },
});
