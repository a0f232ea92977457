import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';
import { checkGate, checkOptionsDefinition, OptionsExtras, optionValues, optionTexts, prepareOptionGates, resolveOptions } from './support/options.js';

export const radioField = defineFieldType({
  name: 'radio',
  widget: 'radio',
  extras: OptionsExtras,
  checkDefinition: checkOptionsDefinition,
  texts: optionTexts,
  compile(def, env) {
    const options = resolveOptions(def, env);
    const gates = prepareOptionGates(def, options, env);
    return {
      schema: { type: nullable('string'), enum: [...optionValues(options), null] },
      normalise: trimToNull,
      options,
      check: gates.size === 0 ? undefined : (value, path, ctx) => checkGate(gates, value, path, ctx),
    };
  },
});
