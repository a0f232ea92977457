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
  'first_row', 'year_of', 'band', 'recode', 'text_before', 'lookup_label', 'location_ancestor',
] as const;

export type CustomOperator = (typeof CUSTOM_OPERATORS)[number];

export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set<string>([...STANDARD_OPERATORS, ...CUSTOM_OPERATORS]);

/** Operators whose second argument is evaluated with the data rebound to each array element. */
export const ELEMENT_SCOPED_OPERATORS: ReadonlySet<string> = new Set(['map', 'filter', 'all', 'none', 'some']);

/** Operators whose second argument is evaluated with `row` bound to each row (the rest of the context kept). */
export const ROW_SCOPED_OPERATORS: ReadonlySet<string> = new Set(['count', 'any_row', 'first_row']);

/**
 * Operations that only export mappings may use: their value depends on the export's locale (labels,
 * place names), which records must never store.
 */
export const EXPORT_ONLY_OPERATORS: ReadonlySet<string> = new Set(['lookup_label', 'location_ancestor']);

/**
 * Operations marked `deidentifying: true`: what they return cannot identify a person even when their
 * argument can. An export column may read an identifying field only as a direct argument of one of
 * these (docs/config-format.md, "Export mappings"); the reason of each is its value here.
 */
export const DEIDENTIFYING_OPERATORS: Readonly<Record<string, string>> = {
  year_of: 'a year, never a day',
  band: 'one of a few literal labels',
  age_on: 'whole years',
  count: 'a number of rows',
  is_empty: 'whether there is a value',
  '!': 'a boolean',
  '!!': 'a boolean',
  missing: 'the names of empty fields, never their values',
  missing_some: 'the names of empty fields, never their values',
};

/**
 * Operations that read a subform's rows (their first argument) only through what their other arguments
 * select: the rows themselves never reach the output, so reading an identifying subform this way is not
 * an identifying read (what the other arguments read is checked on its own).
 */
export const ROW_SELECTING_OPERATORS: ReadonlySet<string> = new Set(['count', 'any_row', 'first_row', 'sum_of', 'map', 'all', 'none', 'some']);

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
  first_row: [3, 3],
  year_of: [1, 1],
  band: [3, 3],
  recode: [2, 3],
  text_before: [2, 2],
  lookup_label: [2, 3],
  location_ancestor: [2, 3],
};

/** What `location_ancestor` returns of the ancestor (default `name`). */
export const LOCATION_PARTS: ReadonlySet<string> = new Set(['name', 'code']);

export const DATE_PARTS: ReadonlySet<string> = new Set(['year', 'month', 'quarter']);

/** Roots a `var` path may start with, and what a rule sees under `user`. */
export const USER_PROPERTIES: ReadonlySet<string> = new Set(['id', 'agency', 'roles', 'groups']);

/** What export mappings see under `meta` (besides `record`): facts of the record kept outside its data. */
export const EXPORT_META_PATHS: ReadonlySet<string> = new Set([
  'meta.owner.username', 'meta.owner.code', 'meta.agency.code', 'meta.agency.name', 'meta.createdAt', 'meta.shortId', 'meta.displayId',
]);
