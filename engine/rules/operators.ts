/**
 * The operators a bundle's JSON Logic may use. The checker refuses anything else, so at run time only
 * these ever reach json-logic-js.
 */

/**
 * json-logic-js's standard set, minus `method` (it calls arbitrary methods on data) and `log` (it
 * writes its argument, i.e. case data, to the server console: a confidentiality leak).
 */
export const STANDARD_OPERATORS = [
  'var', 'missing', 'missing_some',
  'if', '?:', 'and', 'or', '!', '!!',
  '==', '===', '!=', '!==', '>', '>=', '<', '<=',
  'max', 'min', '+', '-', '*', '/', '%',
  'map', 'filter', 'reduce', 'all', 'none', 'some', 'merge', 'in', 'cat', 'substr',
] as const;

/** Haven's registered operations (docs/config-format.md, "JSON Logic operations"). */
export const CUSTOM_OPERATORS = [
  'days_between', 'age_on', 'count', 'sum_of', 'any_row', 'in_lookup', 'is_empty', 'date_part',
] as const;

export type CustomOperator = (typeof CUSTOM_OPERATORS)[number];

export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set<string>([...STANDARD_OPERATORS, ...CUSTOM_OPERATORS]);

/** Operators whose second argument is evaluated with the data rebound to each array element. */
export const ELEMENT_SCOPED_OPERATORS: ReadonlySet<string> = new Set(['map', 'filter', 'all', 'none', 'some']);

/** Operators whose second argument is evaluated with `row` bound to each row (the rest of the context kept). */
export const ROW_SCOPED_OPERATORS: ReadonlySet<string> = new Set(['count', 'any_row']);

/** Accepted argument counts of the custom operations: [min, max]. */
export const CUSTOM_ARITY: Readonly<Record<CustomOperator, readonly [number, number]>> = {
  days_between: [2, 2],
  age_on: [2, 2],
  count: [1, 2],
  sum_of: [2, 2],
  any_row: [2, 2],
  in_lookup: [2, 2],
  is_empty: [1, 1],
  date_part: [2, 2],
};

export const DATE_PARTS: ReadonlySet<string> = new Set(['year', 'month', 'quarter']);

/** Roots a `var` path may start with, and what a rule sees under `user`. */
export const USER_PROPERTIES: ReadonlySet<string> = new Set(['id', 'agency', 'roles', 'groups']);
