import { Type } from '@sinclair/typebox';
import { Key, Text } from '../bundle/schema/common.js';
import { isPlainObject } from '../util/objects.js';
import { defineFieldType, nullable } from './field-type.js';

/** The computed sum is stored beside the items under this key, so no item may use it. */
const TOTAL = 'total';

export const tallyField = defineFieldType({
  name: 'tally',
  widget: 'tally',
  extras: {
    items: Type.Array(Type.Object({ key: Key, label: Text }, { additionalProperties: false }), { minItems: 1 }),
  },
  checkDefinition(def, env) {
    const seen = new Set<string>();
    def.items.forEach((item, i) => {
      if (item.key === TOTAL) env.report(`/items/${i}/key`, 'reserved_key', '"total" is computed by the engine; name the item differently.');
      if (seen.has(item.key)) env.report(`/items/${i}/key`, 'duplicate_key', `Tally item "${item.key}" appears twice.`);
      seen.add(item.key);
    });
  },
  texts(def) {
    return def.items.map((item, i) => ({ suffix: `item.${item.key}`, pointer: `/items/${i}/label`, text: item.label }));
  },
  compile(def) {
    const keys = def.items.map((item) => item.key);
    const count = { type: 'integer', minimum: 0 };
    return {
      schema: {
        type: nullable('object'),
        properties: { ...Object.fromEntries(keys.map((key) => [key, count])), [TOTAL]: count },
        additionalProperties: false,
      },
      normalise: (value) => {
        if (!isPlainObject(value)) return value;
        // The total is always recomputed from the items: clients cannot make it disagree.
        let total = 0;
        for (const key of keys) {
          const n = value[key];
          if (typeof n === 'number' && Number.isInteger(n) && n > 0) total += n;
        }
        return { ...value, [TOTAL]: total };
      },
    };
  },
});
