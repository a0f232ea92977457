import { Type } from '@sinclair/typebox';
import { defineFieldType, nullable } from './field-type.js';
import { checkGate, checkOption, checkOptionsDefinition, OptionsExtras, optionSet, optionTexts, prepareOptionGates, resolveOptions } from './support/options.js';

export const multiSelectField = defineFieldType({
  name: 'multi_select',
  widget: 'multi_select',
  extras: {
    ...OptionsExtras,
    maxItems: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  checkDefinition: checkOptionsDefinition,
  texts: optionTexts,
  compile(def, env) {
    const options = resolveOptions(def, env);
    const values = optionSet(options);
    const gates = prepareOptionGates(def, options, env);
    return {
      schema: {
        type: nullable('array'),
        items: { type: 'string' },
        uniqueItems: true,
        ...(def.maxItems === undefined ? {} : { maxItems: def.maxItems }),
      },
      // An empty selection means "nothing chosen", like a blank text.
      normalise: (value) => (Array.isArray(value) && value.length === 0 ? null : value),
      options,
      check: (value, path, ctx) => {
        if (!Array.isArray(value)) return;
        value.forEach((item, i) => {
          if (checkOption(values, item, `${path}/${i}`, ctx) && gates.size > 0) checkGate(gates, item, `${path}/${i}`, ctx);
        });
      },
    };
  },
});
