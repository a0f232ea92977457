import { Type } from '@sinclair/typebox';
import { instant, isIsoDate, normaliseDateTime } from '../util/dates.js';
import { defineFieldType, nullable } from './field-type.js';

export const dateField = defineFieldType({
  name: 'date',
  widget: 'date',
  extras: {
    includeTime: Type.Optional(Type.Boolean()),
    notInFuture: Type.Optional(Type.Boolean()),
  },
  compile(def) {
    const withTime = def.includeTime === true;
    return {
      schema: { type: nullable('string'), format: withTime ? 'date-time' : 'date' },
      normalise: (value) => {
        if (typeof value !== 'string') return value;
        const trimmed = value.trim();
        if (trimmed === '') return null;
        return withTime ? normaliseDateTime(trimmed) : trimmed;
      },
      check:
        def.notInFuture !== true
          ? undefined
          : withTime
            ? (value, path, ctx) => {
                const ms = instant(value);
                if (ms !== undefined && ms > ctx.nowMs) ctx.report(path, 'date_in_future', 'The date cannot be in the future.');
              }
            : (value, path, ctx) => {
                // Valid ISO dates compare correctly as text.
                if (isIsoDate(value) && value > ctx.today) ctx.report(path, 'date_in_future', 'The date cannot be in the future.');
              },
    };
  },
});
