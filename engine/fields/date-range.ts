import { Type } from '@sinclair/typebox';
import { isIsoDate } from '../util/dates.js';
import { isPlainObject } from '../util/objects.js';
import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';

export const dateRangeField = defineFieldType({
  name: 'date_range',
  widget: 'date_range',
  extras: {
    notInFuture: Type.Optional(Type.Boolean()),
  },
  compile(def) {
    const notInFuture = def.notInFuture === true;
    const bound = { type: nullable('string'), format: 'date' };
    return {
      schema: { type: nullable('object'), properties: { from: bound, to: bound }, additionalProperties: false },
      normalise: (value) => {
        if (!isPlainObject(value)) return value;
        const out: Record<string, unknown> = { ...value };
        if ('from' in out) out['from'] = trimToNull(out['from']);
        if ('to' in out) out['to'] = trimToNull(out['to']);
        return out;
      },
      check: (value, path, ctx) => {
        if (!isPlainObject(value)) return;
        const from = value['from'];
        const to = value['to'];
        if (isIsoDate(from) && isIsoDate(to) && from > to) {
          ctx.report(`${path}/to`, 'invalid_range', 'The end of the range is before its start.');
        }
        if (!notInFuture) return;
        if (isIsoDate(from) && from > ctx.today) ctx.report(`${path}/from`, 'date_in_future', 'The date cannot be in the future.');
        if (isIsoDate(to) && to > ctx.today) ctx.report(`${path}/to`, 'date_in_future', 'The date cannot be in the future.');
      },
    };
  },
});
