/** JSON Logic checking bound to one bundle and one record type's namespace. */
import { walkLogic, type FieldRef, type LogicEnv, type RowScope } from '../../rules/logic-walk.js';
import type { ParsedBundle } from '../types.js';
import type { CheckContext, Namespace } from './context.js';

export function namespaceLogicEnv(ctx: CheckContext, bundle: ParsedBundle, ns: Namespace | undefined): LogicEnv {
  const recordFields = ns === undefined ? undefined : new Set([...ns.fields.keys(), ...ns.brokenFields.keys()]);
  const subforms = new Map<string, ReadonlySet<string>>();
  for (const [key, rows] of ns?.subforms ?? []) subforms.set(key, new Set([...rows.keys(), ...(ns?.brokenFields.get(key) ?? [])]));
  for (const [key, rows] of ns?.brokenFields ?? []) if (!subforms.has(key) && rows.size > 0) subforms.set(key, rows);
  return {
    recordFields,
    subformFields: (key) => subforms.get(key),
    resolveLookup: (key) => ctx.resolveLookup(bundle, key),
  };
}

/** The row scope of a subform of the namespace (its key and field keys). */
export function rowScope(env: LogicEnv, subform: string): RowScope {
  return { subform, fields: env.subformFields(subform) };
}

/** Checks logic at `pointer` of `file`, reporting into the context; returns the fields it reads. */
export function checkLogicAt(
  ctx: CheckContext,
  bundle: ParsedBundle,
  file: string,
  env: LogicEnv,
  logic: unknown,
  pointer: string,
  row: RowScope | undefined,
): FieldRef[] {
  return walkLogic(logic, pointer, env, row, (at, code, message) => ctx.report(bundle, file, at, code, message));
}
