/**
 * The one walker over JSON Logic written in bundles. Bundle checking uses it to refuse unknown
 * operators and variables; the compiler uses it to learn which fields a rule reads (compute order).
 * It knows what each place may see: `record`, `row` (inside a subform or a per-row condition),
 * `user`, `today`, `now`, and, inside `map`/`filter`/`all`/`none`/`some`/`reduce`, the element.
 */
import type { LookupResolution } from '../fields/field-type.js';
import { escapePointerToken } from '../util/json-pointer.js';
import {
  ALLOWED_OPERATORS,
  CUSTOM_ARITY,
  DATE_PARTS,
  ELEMENT_SCOPED_OPERATORS,
  ROW_SCOPED_OPERATORS,
  USER_PROPERTIES,
  type CustomOperator,
} from './operators.js';

/** Path segments that would reach into JavaScript internals through `var`. */
const UNSAFE_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface RowScope {
  /** The subform whose row `row` is; undefined when unknown (e.g. rows from a computed array). */
  readonly subform: string | undefined;
  /** Its field keys; undefined when unknown (then `row.*` is not checked). */
  readonly fields: ReadonlySet<string> | undefined;
}

export interface LogicEnv {
  /** Field keys of the record type; undefined when the namespace is unknown (nothing to check against). */
  readonly recordFields: ReadonlySet<string> | undefined;
  /** Row fields of a subform of the record type, undefined when `key` is not a subform. */
  subformFields(key: string): ReadonlySet<string> | undefined;
  resolveLookup(key: string): LookupResolution;
}

export type LogicReporter = (pointer: string, code: LogicIssueCode, message: string) => void;
export type LogicIssueCode =
  | 'unknown_operator' | 'invalid_logic' | 'invalid_var_path' | 'unsafe_var_path'
  | 'unknown_var_field' | 'row_outside_subform' | 'unknown_lookup';

/** A field a rule reads: `record.<field>` or `row.<field>` of a subform's row. */
export type FieldRef = { readonly subform?: string; readonly field: string };

type Scope =
  | { readonly kind: 'context'; readonly row: RowScope | undefined }
  | { readonly kind: 'element'; readonly fields: ReadonlySet<string> | undefined }
  | { readonly kind: 'reduce' };

interface Walk {
  readonly env: LogicEnv;
  readonly report: LogicReporter;
  readonly refs: FieldRef[];
}

/**
 * Checks `logic` standing at `at` (a JSON pointer into its file), with `row` in scope or not.
 * Returns the fields it reads.
 */
export function walkLogic(logic: unknown, at: string, env: LogicEnv, row: RowScope | undefined, report: LogicReporter): FieldRef[] {
  const walk: Walk = { env, report, refs: [] };
  node(walk, logic, at, { kind: 'context', row });
  return walk.refs;
}

function node(walk: Walk, logic: unknown, at: string, scope: Scope): void {
  if (Array.isArray(logic)) {
    logic.forEach((item, i) => node(walk, item, `${at}/${i}`, scope));
    return;
  }
  if (typeof logic !== 'object' || logic === null) return;
  const keys = Object.keys(logic);
  if (keys.length !== 1) {
    walk.report(at, 'invalid_logic', 'A JSON Logic object has exactly one key, its operator.');
    return;
  }
  const op = keys[0] as string;
  const raw = (logic as Record<string, unknown>)[op];
  const opAt = `${at}/${escapePointerToken(op)}`;
  if (!ALLOWED_OPERATORS.has(op)) {
    walk.report(opAt, 'unknown_operator', `Operator "${op}" is not allowed.`);
    return;
  }
  const args = Array.isArray(raw) ? raw : [raw];
  const argAt = (i: number): string => (Array.isArray(raw) ? `${opAt}/${i}` : opAt);

  if (op in CUSTOM_ARITY) {
    const [min, max] = CUSTOM_ARITY[op as CustomOperator];
    if (args.length < min || args.length > max) {
      walk.report(opAt, 'invalid_logic', `"${op}" takes ${min === max ? min : `${min} to ${max}`} argument(s).`);
      return;
    }
  }

  switch (op) {
    case 'var':
      return varNode(walk, args, argAt, scope);
    case 'missing':
      return args.forEach((arg, i) => (typeof arg === 'string' ? path(walk, arg, argAt(i), scope) : node(walk, arg, argAt(i), scope)));
    case 'missing_some': {
      node(walk, args[0], argAt(0), scope);
      const list = args[1];
      if (Array.isArray(list)) list.forEach((arg, i) => (typeof arg === 'string' ? path(walk, arg, `${argAt(1)}/${i}`, scope) : node(walk, arg, `${argAt(1)}/${i}`, scope)));
      else node(walk, list, argAt(1), scope);
      return;
    }
    case 'reduce':
      node(walk, args[0], argAt(0), scope);
      node(walk, args[1], argAt(1), { kind: 'reduce' });
      if (args.length > 2) node(walk, args[2], argAt(2), scope);
      return;
    case 'in_lookup':
      node(walk, args[0], argAt(0), scope);
      if (typeof args[1] !== 'string') {
        walk.report(argAt(1), 'invalid_logic', '"in_lookup" names its lookup with a literal key.');
      } else {
        const found = walk.env.resolveLookup(args[1]);
        if (found.status === 'missing') walk.report(argAt(1), 'unknown_lookup', found.message);
      }
      return;
    case 'sum_of': {
      node(walk, args[0], argAt(0), scope);
      const fields = rowsSource(walk, args[0], scope)?.fields;
      if (typeof args[1] !== 'string') walk.report(argAt(1), 'invalid_logic', '"sum_of" names its field with a literal key.');
      else if (fields !== undefined && !fields.has(args[1])) walk.report(argAt(1), 'unknown_var_field', `"${args[1]}" is not a field of these rows.`);
      return;
    }
    case 'date_part':
      node(walk, args[0], argAt(0), scope);
      if (typeof args[1] === 'string' && !DATE_PARTS.has(args[1])) walk.report(argAt(1), 'invalid_logic', 'date_part takes "year", "month" or "quarter".');
      else node(walk, args[1], argAt(1), scope);
      return;
  }

  if (ELEMENT_SCOPED_OPERATORS.has(op)) {
    node(walk, args[0], argAt(0), scope);
    const fields = rowsSource(walk, args[0], scope)?.fields;
    args.slice(1).forEach((arg, i) => node(walk, arg, argAt(i + 1), { kind: 'element', fields }));
    return;
  }
  if (ROW_SCOPED_OPERATORS.has(op)) {
    node(walk, args[0], argAt(0), scope);
    const rows = rowsSource(walk, args[0], scope) ?? { subform: undefined, fields: undefined };
    const inner: Scope = scope.kind === 'context' ? { kind: 'context', row: rows } : scope;
    args.slice(1).forEach((arg, i) => node(walk, arg, argAt(i + 1), inner));
    return;
  }
  args.forEach((arg, i) => node(walk, arg, argAt(i), scope));
}

/** When an array argument is `{"var": "record.<subform>"}`, the rows it iterates are known. */
function rowsSource(walk: Walk, arg: unknown, scope: Scope): RowScope | undefined {
  if (scope.kind !== 'context' || typeof arg !== 'object' || arg === null || Array.isArray(arg)) return undefined;
  const raw = (arg as Record<string, unknown>)['var'];
  const varPath = Array.isArray(raw) ? raw[0] : raw;
  if (Object.keys(arg).length !== 1 || typeof varPath !== 'string') return undefined;
  const segments = varPath.split('.');
  if (segments.length !== 2 || segments[0] !== 'record') return undefined;
  const subform = segments[1] as string;
  const fields = walk.env.subformFields(subform);
  return fields === undefined ? undefined : { subform, fields };
}

function varNode(walk: Walk, args: readonly unknown[], argAt: (i: number) => string, scope: Scope): void {
  const target = args[0];
  if (args.length > 1) node(walk, args[1], argAt(1), scope);
  if (typeof target === 'string') return path(walk, target, argAt(0), scope);
  if (typeof target === 'number' && scope.kind !== 'context') return;
  walk.report(argAt(0), 'invalid_logic', '`var` takes a literal path (computed paths cannot be checked).');
}

function path(walk: Walk, value: string, at: string, scope: Scope): void {
  const segments = value.split('.');
  if (segments.some((segment) => UNSAFE_SEGMENTS.has(segment))) {
    walk.report(at, 'unsafe_var_path', `"${value}" reaches into JavaScript internals.`);
    return;
  }
  if (scope.kind === 'reduce') {
    if (segments[0] !== 'current' && segments[0] !== 'accumulator') {
      walk.report(at, 'invalid_var_path', 'Inside `reduce`, paths start with `current` or `accumulator`.');
    }
    return;
  }
  if (scope.kind === 'element') {
    // The element itself (`""`) or one of its properties; known subform rows name their fields.
    if (value !== '' && scope.fields !== undefined && !scope.fields.has(segments[0] as string)) {
      walk.report(at, 'unknown_var_field', `"${segments[0]}" is not a field of these rows.`);
    }
    return;
  }
  const [root, field] = segments;
  switch (root) {
    case 'today':
    case 'now':
      if (segments.length !== 1) walk.report(at, 'invalid_var_path', `"${root}" is a value, not an object.`);
      return;
    case 'user':
      if (field === undefined || !USER_PROPERTIES.has(field)) {
        walk.report(at, 'invalid_var_path', 'A rule sees user.id, user.agency, user.roles and user.groups.');
      }
      return;
    case 'record': {
      if (field === undefined || field === '') {
        walk.report(at, 'invalid_var_path', 'Name a field: `record.<field>`.');
        return;
      }
      const known = walk.env.recordFields;
      if (known !== undefined && !known.has(field)) {
        walk.report(at, 'unknown_var_field', `"${field}" is not a field of this record type.`);
        return;
      }
      walk.refs.push({ field });
      return;
    }
    case 'row': {
      if (scope.row === undefined) {
        walk.report(at, 'row_outside_subform', '`row` exists only inside a subform or a per-row condition.');
        return;
      }
      if (field === undefined || field === '') {
        walk.report(at, 'invalid_var_path', 'Name a field: `row.<field>`.');
        return;
      }
      const known = scope.row.fields;
      if (known !== undefined && !known.has(field)) {
        walk.report(at, 'unknown_var_field', `"${field}" is not a field of the subform row.`);
        return;
      }
      if (scope.row.subform !== undefined) walk.refs.push({ subform: scope.row.subform, field });
      return;
    }
    default:
      walk.report(at, 'invalid_var_path', 'Paths start with record., row., user., today or now.');
  }
}
