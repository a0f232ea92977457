import { Type } from '@sinclair/typebox';
import { KEY_PATTERN } from '../bundle/schema/common.js';
import { defineFieldType, nullable } from './field-type.js';
import { trimToNull } from './support/normalise.js';

export const locationField = defineFieldType({
  name: 'location',
  widget: 'location',
  extras: {
    /** Allowed admin levels, by number (`2`) or key (`"county"`); default: every level. */
    adminLevels: Type.Optional(
      Type.Array(Type.Unsafe<number | string>({ type: ['integer', 'string'], minimum: 0, pattern: KEY_PATTERN }), { minItems: 1 }),
    ),
  },
  checkDefinition(def, env) {
    def.adminLevels?.forEach((level, i) => {
      if (env.hasAdminLevel(level) === false) {
        env.report(`/adminLevels/${i}`, 'unknown_admin_level', `Admin level "${level}" is not declared by any locations file.`);
      }
    });
  },
  compile(def, env) {
    const { nodes } = env.locations;
    const allowed =
      def.adminLevels === undefined
        ? undefined
        : new Set(def.adminLevels.flatMap((level) => {
            const n = env.locations.levelNumber(level);
            return n === undefined ? [] : [n];
          }));
    return {
      // No length limit needed: only codes of the hierarchy pass the check below.
      schema: { type: nullable('string') },
      normalise: trimToNull,
      check: (value, path, ctx) => {
        if (typeof value !== 'string') return;
        const node = nodes.get(value);
        if (node === undefined) {
          ctx.report(path, 'unknown_location', `"${value}" is not a known location.`, { value });
        } else if (allowed !== undefined && !allowed.has(node.level)) {
          ctx.report(path, 'location_level_not_allowed', `A ${node.levelKey} cannot be chosen here.`, { level: node.levelKey });
        }
      },
    };
  },
});
