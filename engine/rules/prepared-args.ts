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
  /**
   * Evaluates with `row` bound to the row and the rest of the context kept. The context is rebuilt with
   * a fixed shape rather than spread: this runs once per row of every per-row condition, and a spread of
   * an object of unknown shape was most of the cost of writing an export row. (`meta` is the export
   * mappings' context; record rules have none.)
   */
  evaluate(data: RuleData, row: Readonly<Record<string, unknown>>): unknown {
    const { record, user, today, now } = data;
    const meta = (data as { readonly meta?: unknown }).meta;
    return this.#evaluate({ record, row, user, today, now, meta } as RuleData);
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

/** Option labels of a lookup in one locale, resolved when an export mapping is compiled (`lookup_label`). */
export class LookupLabels {
  readonly #key: string;
  readonly #labels: ReadonlyMap<string, string>;
  constructor(key: string, labels: ReadonlyMap<string, string> | undefined) {
    this.#key = key;
    this.#labels = labels ?? new Map();
  }
  get key(): string {
    return this.#key;
  }
  /**
   * The label of an option value; a value the lookup does not have (a removed option) as itself.
   * Booleans (yes/no fields) are looked up as the options `yes` and `no`.
   */
  label(value: unknown): string | null {
    const option = typeof value === 'boolean' ? (value ? 'yes' : 'no') : value;
    if (typeof option === 'number' && Number.isFinite(option)) return this.#labels.get(String(option)) ?? String(option);
    if (typeof option !== 'string' || option === '') return null;
    return this.#labels.get(option) ?? option;
  }
}

/** A place and its localized name. */
export interface LocatedPlace {
  readonly code: string;
  readonly name: string;
}

/** An admin level of the location hierarchy, resolved when an export mapping is compiled (`location_ancestor`). */
export class LocationLevel {
  readonly #level: number | string;
  readonly #ancestor: (code: string) => LocatedPlace | undefined;
  constructor(level: number | string, ancestor: ((code: string) => LocatedPlace | undefined) | undefined) {
    this.#level = level;
    this.#ancestor = ancestor ?? (() => undefined);
  }
  get level(): number | string {
    return this.#level;
  }
  /** The place at this level that is `code` or one of its ancestors; undefined above the level or unknown. */
  ancestor(code: string): LocatedPlace | undefined {
    return this.#ancestor(code);
  }
}

/** The literal `[from, to]` pairs of `recode`, as a map built once. */
export class RecodeTable {
  readonly #pairs: ReadonlyMap<unknown, unknown>;
  constructor(pairs: readonly (readonly unknown[])[]) {
    const map = new Map<unknown, unknown>();
    // The first pair of a value wins, as in a scan of the list.
    for (const pair of pairs) if (!map.has(pair[0])) map.set(pair[0], pair[1] ?? null);
    this.#pairs = map;
  }
  has(value: unknown): boolean {
    return this.#pairs.has(value);
  }
  get(value: unknown): unknown {
    return this.#pairs.get(value);
  }
}

/** Whether `[[from, to], …]` is literal: pairs of strings, numbers, booleans or null. */
export function isLiteralPairs(value: unknown): value is readonly (readonly unknown[])[] {
  return Array.isArray(value) && value.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every(isScalar));
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}
