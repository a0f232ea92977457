/**
 * One-off evaluation of JSON Logic with Haven's operations (workflow guards, previews in the admin UI).
 * Record processing does not use this: it runs rules prepared at compile time.
 */
import type { RuleData } from './context.js';
import { RULE_ERROR, prepareRule } from './prepare.js';
import { walkLogic, type LogicIssueCode } from './logic-walk.js';

export interface LogicIssue {
  readonly pointer: string;
  readonly code: LogicIssueCode;
  readonly message: string;
}

export type RuleOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: 'invalid_logic'; readonly issues: readonly LogicIssue[] }
  | { readonly ok: false; readonly error: 'evaluation_failed' };

/**
 * Evaluates `logic` against `data`. The logic is checked first (allowed operators, safe `var` paths;
 * field names are not known here so they are not checked). `lookupValues` resolves `in_lookup`.
 */
export function evaluateRule(
  logic: unknown,
  data: RuleData,
  lookupValues: (key: string) => readonly string[] | undefined = () => undefined,
): RuleOutcome {
  const issues: LogicIssue[] = [];
  walkLogic(
    logic,
    '',
    { recordFields: undefined, subformFields: () => undefined, resolveLookup: () => ({ status: 'broken' }) },
    data.row === undefined ? undefined : { subform: undefined, fields: undefined },
    (pointer, code, message) => issues.push({ pointer, code, message }),
  );
  if (issues.length > 0) return { ok: false, error: 'invalid_logic', issues };
  const value = prepareRule(logic, { lookupValues }).evaluate(data);
  return value === RULE_ERROR ? { ok: false, error: 'evaluation_failed' } : { ok: true, value };
}
