/**
 * Rules ready to run: compiled once, at compile time, into closures (compile-logic.ts) with per-row
 * conditions and lookup values resolved, so evaluation does no lookups and no re-parsing.
 */
import { compileLogic, type Evaluator } from './compile-logic.js';
import type { RuleData } from './context.js';
import type { PrepareEnv } from './prepare-env.js';
import { jsonLogicTruthy } from './semantics.js';

export type { PrepareEnv };

/** Returned instead of a value when evaluation threw (e.g. on data of an unexpected shape). */
export const RULE_ERROR: unique symbol = Symbol('rule_error');

/** A rule ready to run. `source` is the logic as written in the bundle (for diagnostics and UIs). */
export class PreparedRule {
  readonly #evaluate: Evaluator;
  readonly source: unknown;
  /** Constant logic (e.g. `true`) needs no evaluation at all. */
  readonly isConstant: boolean;

  constructor(source: unknown, env: PrepareEnv) {
    this.source = source;
    this.#evaluate = compileLogic(source, env);
    this.isConstant = typeof source !== 'object' || source === null;
  }

  /** The value, or RULE_ERROR when evaluation threw. Never throws. */
  evaluate(data: RuleData): unknown {
    try {
      return this.#evaluate(data);
    } catch {
      return RULE_ERROR;
    }
  }

  /** JSON Logic truthiness; an evaluation error counts as false. */
  test(data: RuleData): boolean {
    const value = this.evaluate(data);
    return value !== RULE_ERROR && jsonLogicTruthy(value);
  }
}

export function prepareRule(logic: unknown, env: PrepareEnv): PreparedRule {
  return new PreparedRule(logic, env);
}
