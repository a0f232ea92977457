import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';
import { checkGate, checkOption, checkOptionsDefinition, OptionsExtras, optionSet, optionTexts, prepareOptionGates, resolveOptions } from './support/options.js';

export const selectField = defineFieldType({
  name: 'select',
  widget: 'select',
  extras: OptionsExtras,
  checkDefinition: checkOptionsDefinition,
  texts: optionTexts,
  compile(def, env) {
    const options = resolveOptions(def, env);
    const values = optionSet(options);
    const gates = prepareOptionGates(def, options, env);
    return {
      schema: { type: nullable('string') },
      normalise: trimToNull,
      options,
      check: (value, path, ctx) => {
        if (checkOption(values, value, path, ctx) && gates.size > 0) checkGate(gates, value, path, ctx);
      },
    };
  },
});
