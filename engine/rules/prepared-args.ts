/**
 * Arguments that survive json-logic-js's eager evaluation. json-logic-js evaluates every argument
 * before it calls an operation, so a per-row condition would be evaluated once, against the wrong
 * data. At prepare time such arguments are replaced by these objects: they have no own enumerable
 * keys, so json-logic-js treats them as literals and hands them over untouched, and JSON cannot
 * forge them.
 */
import type { RuleData } from './context.js';

/** A condition to evaluate once per row (`count`, `any_row`), already prepared. */
export class RowCondition {
  readonly #evaluate: (data: RuleData) => unknown;
  constructor(evaluate: (data: RuleData) => unknown) {
    this.#evaluate = evaluate;
  }
  /** Evaluates with `row` bound to the row and the rest of the context kept. */
  evaluate(data: RuleData, row: Readonly<Record<string, unknown>>): unknown {
    return this.#evaluate({ ...data, row });
  }
}

/** The enabled values of a lookup, resolved when the rule is prepared (`in_lookup`). */
export class LookupValueSet {
  readonly #values: ReadonlySet<string>;
  readonly #key: string;
  constructor(key: string, values: Iterable<string>) {
    this.#key = key;
    this.#values = new Set(values);
  }
  get key(): string {
    return this.#key;
  }
  has(value: unknown): boolean {
    return typeof value === 'string' && this.#values.has(value);
  }
}
