import { Type } from '@sinclair/typebox';
import { Key, Logic } from '../bundle/schema/common.js';
import { isPlainObject } from '../util/objects.js';
import { defineFieldType, nullable, type FieldBehaviour, type JsonSchema } from './field-type.js';
import { LeafFieldSchema } from './leaf-types.js';

/** A UUID or a similar opaque id: letters, digits and `_.:-`, at most 100. */
export const ROW_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,100}$';

/**
 * Repeated rows (perpetrators, referrals). Rows are `{ "_id": "<uuid>", …child fields }`; their
 * visibility, required fields, computations and rules are applied per row by the record processor.
 */
export const subformField = defineFieldType({
  name: 'subform',
  widget: 'subform',
  extras: {
    fields: Type.Array(LeafFieldSchema, { minItems: 1 }),
    rowLabelFields: Type.Optional(Type.Array(Key, { minItems: 1 })),
    minRows: Type.Optional(Type.Integer({ minimum: 0 })),
    maxRows: Type.Optional(Type.Integer({ minimum: 1 })),
    rowVisibleIf: Type.Optional(Logic),
  },
  checkDefinition(def, env) {
    const keys = new Set(def.fields.map((field) => field.key));
    def.rowLabelFields?.forEach((key, i) => {
      if (!keys.has(key)) env.report(`/rowLabelFields/${i}`, 'unknown_field', `"${key}" is not a field of this subform.`);
    });
    if (def.minRows !== undefined && def.maxRows !== undefined && def.minRows > def.maxRows) {
      env.report('/minRows', 'invalid_range', `minRows (${def.minRows}) is above maxRows (${def.maxRows}).`);
    }
    if (def.rowVisibleIf !== undefined) env.checkLogic(def.rowVisibleIf, '/rowVisibleIf', 'rows');
  },
  compile(def, env) {
    const fields = def.fields.map((child) => ({ def: child, behaviour: env.compileChild(child) }));
    // Row ids are UUIDs (clients mint them, so rows keep their identity across edits and sync).
    const properties: Record<string, JsonSchema> = { _id: { type: 'string', pattern: ROW_ID_PATTERN } };
    for (const { def: child, behaviour } of fields) if (behaviour.schema) properties[child.key] = behaviour.schema;
    const behaviour: FieldBehaviour = {
      schema: {
        type: nullable('array'),
        items: { type: 'object', required: ['_id'], properties, additionalProperties: false },
        ...(def.maxRows === undefined ? {} : { maxItems: def.maxRows }),
      },
      // Rows are matched by `_id` (edits, history, sync): two rows with one id would be one row to all of them.
      check: (value, path, ctx) => {
        if (!Array.isArray(value)) return;
        const seen = new Set<string>();
        value.forEach((row: unknown, i) => {
          if (!isPlainObject(row) || typeof row['_id'] !== 'string') return;
          const id = row['_id'];
          if (seen.has(id)) ctx.report(`${path}/${i}/_id`, 'not_unique', 'Another row has the same _id.', { rowId: id });
          seen.add(id);
        });
      },
      rows: {
        fields,
        ...(def.rowVisibleIf === undefined ? {} : { rowVisibleIf: def.rowVisibleIf }),
        ...(def.minRows === undefined ? {} : { minRows: def.minRows }),
      },
    };
    return behaviour;
  },
});
