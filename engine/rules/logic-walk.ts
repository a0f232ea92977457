/**
 * The one walker over JSON Logic written in bundles. Bundle checking uses it to refuse unknown
 * operators and variables; the compiler uses it to learn which fields a rule reads (compute order).
 * It knows what each place may see: `record`, `row` (inside a subform or a per-row condition),
 * `user`, `today`, `now` (`meta.*` instead of the last three in export mappings), and, inside
 * `map`/`filter`/`all`/`none`/`some`/`reduce`, the element. Export mappings also hear of every read
 * with the operation it is handed to (`onRead`), to refuse identifying fields written verbatim.
 */
import type { LookupResolution } from '../fields/field-type.js';
import { escapePointerToken } from '../util/json-pointer.js';
import {
  ALLOWED_OPERATORS,
  CUSTOM_ARITY,
  DATE_PARTS,
  ELEMENT_SCOPED_OPERATORS,
  EXPORT_META_PATHS,
  EXPORT_ONLY_OPERATORS,
  LOCATION_PARTS,
  ROW_SCOPED_OPERATORS,
  USER_PROPERTIES,
  type CustomOperator,
} from './operators.js';
import { isLiteralPairs } from './prepared-args.js';

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
  /**
   * Where the logic stands. `rule` (default): record rules, which see `record`, `row`, `user`, `today`
   * and `now`. `export`: export mappings, which see `record`, `row` and `meta.*` and may use the
   * export-only operations (`lookup_label`, `location_ancestor`).
   */
  readonly context?: 'rule' | 'export';
  /** Whether an admin level (number or key) exists; undefined when unknown. Checks `location_ancestor`. */
  hasAdminLevel?(level: number | string): boolean | undefined;
  /** Told of every field read, with the operation it is an argument of (export mappings' identifying check). */
  onRead?(read: FieldRead): void;
}

export type LogicReporter = (pointer: string, code: LogicIssueCode, message: string) => void;
export type LogicIssueCode =
  | 'unknown_operator' | 'invalid_logic' | 'invalid_var_path' | 'unsafe_var_path'
  | 'unknown_var_field' | 'row_outside_subform' | 'unknown_lookup' | 'unknown_admin_level';

/** A field a rule reads: `record.<field>` or `row.<field>` of a subform's row. */
export type FieldRef = { readonly subform?: string; readonly field: string };

/** The operation (and which of its arguments) a value stands in; undefined at the top of the logic. */
export type LogicParent = { readonly op: string; readonly arg: number } | undefined;

/**
 * A read of data, as `onRead` hears of it. `field` is a field of the record (no `subform`) or of the
 * rows of `subform`; without `field`, whole rows are read (`{"var": ""}` on a subform's rows). `rows`
 * is true when the rows are of an unknown array (then `subform` is undefined). `via` is the operation
 * the read value is handed to.
 */
export interface FieldRead {
  readonly subform?: string;
  readonly field?: string;
  readonly rows?: boolean;
  readonly via: LogicParent;
  readonly pointer: string;
}

type Scope =
  | { readonly kind: 'context'; readonly row: RowScope | undefined }
  | { readonly kind: 'element'; readonly subform: string | undefined; readonly fields: ReadonlySet<string> | undefined }
  | { readonly kind: 'reduce' };

interface Walk {
  readonly env: LogicEnv;
  readonly report: LogicReporter;
  readonly refs: FieldRef[];
  /** The operation whose argument is being walked. */
  parent: LogicParent;
}

/**
 * Checks `logic` standing at `at` (a JSON pointer into its file), with `row` in scope or not.
 * Returns the fields it reads.
 */
export function walkLogic(logic: unknown, at: string, env: LogicEnv, row: RowScope | undefined, report: LogicReporter): FieldRef[] {
  const walk: Walk = { env, report, refs: [], parent: undefined };
  node(walk, logic, at, { kind: 'context', row });
  return walk.refs;
}

/** Walks argument `arg` of `op` (so that reads inside know what they are handed to). */
function child(walk: Walk, op: string, arg: number, logic: unknown, at: string, scope: Scope): void {
  const saved = walk.parent;
  walk.parent = { op, arg };
  node(walk, logic, at, scope);
  walk.parent = saved;
}

function read(walk: Walk, read: Omit<FieldRead, 'via'>, via: LogicParent = walk.parent): void {
  walk.env.onRead?.({ ...read, via });
}

/** A literal array of finite numbers, ascending. */
function isAscendingNumbers(value: unknown): value is readonly number[] {
  return Array.isArray(value) && value.every((n, i) => typeof n === 'number' && Number.isFinite(n) && (i === 0 || n > (value[i - 1] as number)));
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
  if (EXPORT_ONLY_OPERATORS.has(op) && walk.env.context !== 'export') {
    walk.report(opAt, 'unknown_operator', `Operator "${op}" is allowed in export mappings only.`);
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

  const walkArg = (i: number, argScope: Scope = scope): void => child(walk, op, i, args[i], argAt(i), argScope);

  switch (op) {
    case 'var':
      return varNode(walk, args, argAt, scope);
    case 'missing':
      return args.forEach((arg, i) => (typeof arg === 'string' ? path(walk, arg, argAt(i), scope, { op, arg: i }) : walkArg(i)));
    case 'missing_some': {
      walkArg(0);
      const list = args[1];
      if (Array.isArray(list)) {
        list.forEach((arg, i) => (typeof arg === 'string' ? path(walk, arg, `${argAt(1)}/${i}`, scope, { op, arg: 1 }) : child(walk, op, 1, arg, `${argAt(1)}/${i}`, scope)));
      } else walkArg(1);
      return;
    }
    case 'reduce':
      walkArg(0);
      walkArg(1, { kind: 'reduce' });
      if (args.length > 2) walkArg(2);
      return;
    case 'in_lookup':
      walkArg(0);
      lookupArg(walk, op, args[1], argAt(1));
      return;
    case 'sum_of': {
      walkArg(0);
      const rows = rowsSource(walk, args[0], scope);
      if (typeof args[1] !== 'string') walk.report(argAt(1), 'invalid_logic', '"sum_of" names its field with a literal key.');
      else if (rows?.fields !== undefined && !rows.fields.has(args[1])) walk.report(argAt(1), 'unknown_var_field', `"${args[1]}" is not a field of these rows.`);
      else readRowField(walk, rows, args[1], argAt(1), { op, arg: 1 });
      return;
    }
    case 'first_row': {
      walkArg(0);
      const rows = rowsSource(walk, args[0], scope);
      const inner: Scope = scope.kind === 'context' ? { kind: 'context', row: rows ?? { subform: undefined, fields: undefined } } : scope;
      walkArg(1, inner);
      if (typeof args[2] !== 'string') walk.report(argAt(2), 'invalid_logic', '"first_row" names its field with a literal key.');
      else if (rows?.fields !== undefined && !rows.fields.has(args[2])) walk.report(argAt(2), 'unknown_var_field', `"${args[2]}" is not a field of these rows.`);
      else {
        if (rows?.subform !== undefined) walk.refs.push({ subform: rows.subform, field: args[2] });
        readRowField(walk, rows, args[2], argAt(2), { op, arg: 2 });
      }
      return;
    }
    case 'date_part':
      walkArg(0);
      if (typeof args[1] === 'string' && !DATE_PARTS.has(args[1])) walk.report(argAt(1), 'invalid_logic', 'date_part takes "year", "month" or "quarter".');
      else walkArg(1);
      return;
    case 'band':
      walkArg(0);
      if (!isAscendingNumbers(args[1])) walk.report(argAt(1), 'invalid_logic', '"band" takes its bounds as a literal list of ascending numbers.');
      else if (!Array.isArray(args[2]) || args[2].length !== args[1].length + 1 || !args[2].every((label) => label === null || typeof label === 'string' || typeof label === 'number')) {
        walk.report(argAt(2), 'invalid_logic', '"band" takes its labels as a literal list of texts, one more than its bounds.');
      }
      return;
    case 'recode':
      walkArg(0);
      if (!isLiteralPairs(args[1])) walk.report(argAt(1), 'invalid_logic', '"recode" takes a literal list of [from, to] pairs of texts, numbers, booleans or null.');
      if (args.length > 2) walkArg(2);
      return;
    case 'text_before':
      walkArg(0);
      if (typeof args[1] !== 'string' || args[1] === '') walk.report(argAt(1), 'invalid_logic', '"text_before" takes its separator as a literal, non-empty text.');
      return;
    case 'lookup_label':
      walkArg(0);
      lookupArg(walk, op, args[1], argAt(1));
      if (args.length > 2 && typeof args[2] !== 'string') walk.report(argAt(2), 'invalid_logic', '"lookup_label" takes its separator as a literal text.');
      return;
    case 'location_ancestor': {
      walkArg(0);
      const level = args[1];
      if (typeof level !== 'string' && !(typeof level === 'number' && Number.isInteger(level) && level >= 0)) {
        walk.report(argAt(1), 'invalid_logic', '"location_ancestor" names its admin level with a literal key or number.');
      } else if (walk.env.hasAdminLevel?.(level) === false) {
        walk.report(argAt(1), 'unknown_admin_level', `No location file declares the admin level ${JSON.stringify(level)}.`);
      }
      if (args.length > 2 && (typeof args[2] !== 'string' || !LOCATION_PARTS.has(args[2]))) {
        walk.report(argAt(2), 'invalid_logic', '"location_ancestor" returns the ancestor\'s "name" or "code".');
      }
      return;
    }
  }

  if (ELEMENT_SCOPED_OPERATORS.has(op)) {
    walkArg(0);
    const rows = rowsSource(walk, args[0], scope);
    args.slice(1).forEach((_, i) => walkArg(i + 1, { kind: 'element', subform: rows?.subform, fields: rows?.fields }));
    return;
  }
  if (ROW_SCOPED_OPERATORS.has(op)) {
    walkArg(0);
    const rows = rowsSource(walk, args[0], scope) ?? { subform: undefined, fields: undefined };
    const inner: Scope = scope.kind === 'context' ? { kind: 'context', row: rows } : scope;
    args.slice(1).forEach((_, i) => walkArg(i + 1, inner));
    return;
  }
  args.forEach((_, i) => walkArg(i));
}

/** A literal lookup key (`in_lookup`, `lookup_label`) naming a lookup the logic may use. */
function lookupArg(walk: Walk, op: string, key: unknown, at: string): void {
  if (typeof key !== 'string') {
    walk.report(at, 'invalid_logic', `"${op}" names its lookup with a literal key.`);
    return;
  }
  const found = walk.env.resolveLookup(key);
  if (found.status === 'missing') walk.report(at, 'unknown_lookup', found.message);
}

/** A row field named by a literal (`sum_of`, `first_row`). */
function readRowField(walk: Walk, rows: RowScope | undefined, field: string, at: string, via: LogicParent): void {
  read(walk, { ...(rows?.subform === undefined ? { rows: true } : { subform: rows.subform }), field, pointer: at }, via);
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
  const via = walk.parent;
  if (args.length > 1) child(walk, 'var', 1, args[1], argAt(1), scope);
  if (typeof target === 'string') return path(walk, target, argAt(0), scope, via);
  if (typeof target === 'number' && scope.kind !== 'context') return;
  walk.report(argAt(0), 'invalid_logic', '`var` takes a literal path (computed paths cannot be checked).');
}

function path(walk: Walk, value: string, at: string, scope: Scope, via: LogicParent): void {
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
      return;
    }
    const rows = scope.subform === undefined ? { rows: true } : { subform: scope.subform };
    read(walk, { ...rows, ...(value === '' ? {} : { field: segments[0] as string }), pointer: at }, via);
    return;
  }
  const [root, field] = segments;
  const exporting = walk.env.context === 'export';
  switch (root) {
    case 'today':
    case 'now':
      if (exporting) walk.report(at, 'invalid_var_path', 'An export sees record., row. and meta. paths only.');
      else if (segments.length !== 1) walk.report(at, 'invalid_var_path', `"${root}" is a value, not an object.`);
      return;
    case 'user':
      if (exporting) walk.report(at, 'invalid_var_path', 'An export sees record., row. and meta. paths only.');
      else if (field === undefined || !USER_PROPERTIES.has(field)) {
        walk.report(at, 'invalid_var_path', 'A rule sees user.id, user.agency, user.roles and user.groups.');
      }
      return;
    case 'meta':
      if (!exporting) walk.report(at, 'invalid_var_path', 'Paths start with record., row., user., today or now.');
      else if (!EXPORT_META_PATHS.has(value)) walk.report(at, 'invalid_var_path', `An export sees ${[...EXPORT_META_PATHS].join(', ')}.`);
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
      read(walk, { field, pointer: at }, via);
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
      read(walk, { ...(scope.row.subform === undefined ? { rows: true } : { subform: scope.row.subform }), field, pointer: at }, via);
      return;
    }
    default:
      walk.report(at, 'invalid_var_path', exporting ? 'Paths start with record., row. or meta.' : 'Paths start with record., row., user., today or now.');
  }
}
