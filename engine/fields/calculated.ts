import { defineFieldType, nullable } from './field-type.js';

/** A value only the engine writes, from `compute`. */
export const calculatedField = defineFieldType({
  name: 'calculated',
  widget: 'calculated',
  alwaysReadOnly: true,
  extras: {},
  checkDefinition(def, env) {
    if (def.compute === undefined) env.report('', 'compute_required', 'A calculated field needs `compute`.');
  },
  compile() {
    return { schema: { type: nullable(['number', 'string', 'boolean']) } };
  },
});
