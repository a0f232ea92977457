/**
 * The one json-logic-js instance the engine configures. json-logic-js keeps its operations in module
 * state, so the operation set is fixed here, once, at module load: `method` and `log` removed, Haven's
 * operations added, `var` replaced by an equivalent that caches path splits. Nothing else in the
 * engine calls `add_operation`.
 *
 * Record processing runs rules compiled by compile-logic.ts; this instance is the reference those
 * compiled rules are tested against, and what `applyJsonLogic` exposes.
 */
import jsonLogic from 'json-logic-js';
import type { RuleData } from './context.js';
import { customOperations } from './custom-ops.js';
import { LocationLevel, LookupLabels, LookupValueSet, RowCondition } from './prepared-args.js';
import type { PrepareEnv } from './prepare-env.js';
import { readVar } from './semantics.js';

export { jsonLogicTruthy, readVar } from './semantics.js';

jsonLogic.rm_operation('method');
jsonLogic.rm_operation('log');
jsonLogic.add_operation('var', function (this: unknown, path: unknown, fallback: unknown) {
  return readVar(this, path, fallback);
});
for (const [name, operation] of Object.entries(customOperations())) jsonLogic.add_operation(name, operation);

type ApplyLogic = Parameters<typeof jsonLogic.apply>[0];

/** Rewrites logic for json-logic-js: per-row conditions and lookup keys become prepared arguments. */
export function prepareForJsonLogic(node: unknown, env: PrepareEnv): unknown {
  if (Array.isArray(node)) return node.map((item) => prepareForJsonLogic(item, env));
  if (typeof node !== 'object' || node === null) return node;
  const keys = Object.keys(node);
  if (keys.length !== 1) return node;
  const op = keys[0] as string;
  const raw = (node as Record<string, unknown>)[op];
  const args = Array.isArray(raw) ? raw : [raw];
  if ((op === 'count' || op === 'any_row') && args.length === 2) {
    const condition = prepareForJsonLogic(args[1], env);
    const row = new RowCondition((data) => jsonLogic.apply(condition as ApplyLogic, data));
    return { [op]: [prepareForJsonLogic(args[0], env), row] };
  }
  if (op === 'first_row' && args.length === 3) {
    const condition = prepareForJsonLogic(args[1], env);
    const row = new RowCondition((data) => jsonLogic.apply(condition as ApplyLogic, data));
    return { [op]: [prepareForJsonLogic(args[0], env), row, prepareForJsonLogic(args[2], env)] };
  }
  if (op === 'lookup_label' && args.length >= 2 && typeof args[1] === 'string') {
    const labels = new LookupLabels(args[1], env.lookupLabels?.(args[1]));
    return { [op]: [prepareForJsonLogic(args[0], env), labels, ...args.slice(2).map((arg) => prepareForJsonLogic(arg, env))] };
  }
  if (op === 'location_ancestor' && args.length >= 2 && (typeof args[1] === 'string' || typeof args[1] === 'number')) {
    const level = new LocationLevel(args[1], env.locationAncestor?.(args[1]));
    return { [op]: [prepareForJsonLogic(args[0], env), level, ...args.slice(2).map((arg) => prepareForJsonLogic(arg, env))] };
  }
  if (op === 'in_lookup' && args.length === 2 && typeof args[1] === 'string') {
    return { [op]: [prepareForJsonLogic(args[0], env), new LookupValueSet(args[1], env.lookupValues(args[1]) ?? [])] };
  }
  return { [op]: Array.isArray(raw) ? args.map((arg) => prepareForJsonLogic(arg, env)) : prepareForJsonLogic(raw, env) };
}

/** Evaluates logic prepared by prepareForJsonLogic with json-logic-js itself. May throw. */
export function applyJsonLogic(prepared: unknown, data: RuleData): unknown {
  return jsonLogic.apply(prepared as ApplyLogic, data);
}
