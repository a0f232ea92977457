import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';
import { checkGate, checkOption, checkOptionsDefinition, OptionsExtras, optionSet, optionTexts, prepareOptionGates, resolveOptions } from './support/options.js';

/** A single choice among options (inline or from a lookup), stored as the option value. Radio and select differ by widget only. */
export function singleChoiceFieldType<N extends string>(name: N) {
  return defineFieldType({
    name,
    widget: name,
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
}

export const selectField = singleChoiceFieldType('select');
