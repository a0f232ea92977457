/**
 * The report subset of JSON Logic: `var`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `and`, `or`, `!`,
 * `missing`, and comparisons of dates (ISO `YYYY-MM-DD` literals). A condition is parsed once into a small
 * tree (every problem reported, nothing thrown), which compiles to a parameterised SQL predicate
 * (`conditionSql`) and evaluates in JS (`evaluateCondition`) with the same meaning:
 *
 * - comparisons are between one operand (`{"var": …}`) and literals; a value of another type than the
 *   literal (or a missing one) makes `==`, `<`, … false and `!=` true (`!=` is `!` of `==`);
 * - `{"in": [{"var": f}, [a, b]]}`: the value is one of the list; `{"in": ["a", {"var": multi}]}`: the
 *   multi-select holds "a";
 * - `{"missing": [names…]}`: some operand is absent, null, "" or an empty list (a deliberate widening of
 *   json-logic-js, where `[]` is not missing: an empty multi-select is "not recorded");
 * - a bare `{"var": f}` is allowed for yes/no fields and boolean pseudo-variables (true when true);
 * - every SQL predicate is two-valued (`coalesce(…, false)`), so `!` means "not" and never "unknown".
 */
import { isMissing, valueAs, type ConditionSubject, type Operand, type OperandScope, type ScalarKind, resolveOperand } from './operands.js';

export const REPORT_OPERATORS = ['var', '==', '!=', '<', '<=', '>', '>=', 'in', 'and', 'or', '!', 'missing'] as const;

type Literal = string | number | boolean;
type Cmp = '==' | '<' | '<=' | '>' | '>=';

export type CondNode =
  | { readonly op: 'const'; readonly value: boolean }
  | { readonly op: 'and' | 'or'; readonly args: readonly CondNode[] }
  | { readonly op: 'not'; readonly arg: CondNode }
  | { readonly op: 'truthy'; readonly operand: Operand }
  | { readonly op: 'cmp'; readonly cmp: Cmp; readonly operand: Operand; readonly kind: ScalarKind; readonly value: Literal }
  | { readonly op: 'in_list'; readonly operand: Operand; readonly kind: ScalarKind; readonly values: readonly Literal[] }
  | { readonly op: 'contains'; readonly operand: Operand; readonly value: string }
  | { readonly op: 'missing'; readonly operands: readonly Operand[] };

export type ConditionIssueCode =
  | 'report_unsupported_operator'
  | 'report_invalid_condition'
  | 'report_type_mismatch'
  | 'report_unknown_option'
  | 'unknown_field'
  | 'identifying_in_report'
  | 'row_outside_subform';

export interface ConditionIssue {
  readonly pointer: string;
  readonly code: ConditionIssueCode;
  readonly message: string;
}

export interface ParsedCondition {
  readonly node?: CondNode;
  readonly issues: readonly ConditionIssue[];
  /** Operands read (for checks such as "no identifying field"). */
  readonly operands: readonly Operand[];
}

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const FLIP: Readonly<Record<Cmp, Cmp>> = { '==': '==', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function isLiteral(value: unknown): value is Literal {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function single(logic: unknown): [string, unknown] | undefined {
  if (typeof logic !== 'object' || logic === null || Array.isArray(logic)) return undefined;
  const keys = Object.keys(logic);
  return keys.length === 1 ? [keys[0] as string, (logic as Record<string, unknown>)[keys[0] as string]] : undefined;
}

/** `{"var": "name"}` (or `{"var": ["name"]}`) → the name; undefined for anything else. */
function varName(logic: unknown): string | undefined {
  const entry = single(logic);
  if (entry === undefined || entry[0] !== 'var') return undefined;
  const arg = Array.isArray(entry[1]) && entry[1].length === 1 ? entry[1][0] : entry[1];
  return typeof arg === 'string' ? arg : undefined;
}

/**
 * Parses a condition. `param` binds values for pseudo-variables that need one (the SQL side); specs and the
 * checker may pass a throwaway binder.
 */
export function parseCondition(logic: unknown, scope: OperandScope, param: (value: unknown) => string, at = ''): ParsedCondition {
  const issues: ConditionIssue[] = [];
  const operands: Operand[] = [];
  const issue = (pointer: string, code: ConditionIssueCode, message: string): undefined => {
    issues.push({ pointer, code, message });
    return undefined;
  };

  const operand = (name: string, pointer: string): Operand | undefined => {
    const found = resolveOperand(name, scope, param);
    if (!found.ok) return issue(pointer, found.code, found.message);
    operands.push(found.operand);
    return found.operand;
  };

  /** The scalar kind a literal is compared in, checking it fits the operand (and its options). */
  const literalKind = (o: Operand, value: unknown, pointer: string): ScalarKind | undefined => {
    if (!isLiteral(value)) return issue(pointer, 'report_invalid_condition', 'Expected a string, number or boolean literal.');
    const kind = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : o.kind === 'date' ? 'date' : 'string';
    if (o.kind === 'multi') return issue(pointer, 'report_type_mismatch', `"${o.name}" is a multi-select: use {"in": ["<value>", {"var": "${o.name}"}]}.`);
    if (o.kind !== 'any' && o.kind !== kind) return issue(pointer, 'report_type_mismatch', `"${o.name}" holds ${o.kind} values; ${JSON.stringify(value)} is not one.`);
    if (kind === 'date' && !ISO_DATE.test(value as string)) return issue(pointer, 'report_type_mismatch', `${JSON.stringify(value)} is not a date (YYYY-MM-DD).`);
    const options = o.field?.options;
    if (kind === 'string' && options !== undefined && !options.includes(value as string)) {
      return issue(pointer, 'report_unknown_option', `${JSON.stringify(value)} is not an option of "${o.name}".`);
    }
    return kind;
  };

  const comparison = (cmp: Cmp, args: readonly unknown[], pointer: string): CondNode | undefined => {
    const names = args.map(varName);
    if (args.length === 3 && (cmp === '<' || cmp === '<=') && names[1] !== undefined && names[0] === undefined && names[2] === undefined) {
      // {"<": [low, var, high]}: low < v < high.
      const o = operand(names[1], `${pointer}/1`);
      if (o === undefined) return undefined;
      const lowKind = literalKind(o, args[0], `${pointer}/0`);
      const highKind = literalKind(o, args[2], `${pointer}/2`);
      if (lowKind === undefined || highKind === undefined) return undefined;
      if (lowKind === 'boolean' || lowKind === 'string') return issue(pointer, 'report_type_mismatch', `"${o.name}" cannot be ordered; only numbers and dates can.`);
      return {
        op: 'and',
        args: [
          { op: 'cmp', cmp: FLIP[cmp], operand: o, kind: lowKind, value: args[0] as Literal },
          { op: 'cmp', cmp, operand: o, kind: highKind, value: args[2] as Literal },
        ],
      };
    }
    if (args.length !== 2) return issue(pointer, 'report_invalid_condition', `"${cmp}" compares one {"var": …} with one literal.`);
    const varAt = names[0] !== undefined ? 0 : names[1] !== undefined ? 1 : -1;
    if (varAt === -1 || names[1 - varAt] !== undefined) return issue(pointer, 'report_invalid_condition', `"${cmp}" compares one {"var": …} with one literal.`);
    const o = operand(names[varAt] as string, `${pointer}/${varAt}`);
    if (o === undefined) return undefined;
    const literal = args[1 - varAt];
    const kind = literalKind(o, literal, `${pointer}/${1 - varAt}`);
    if (kind === undefined) return undefined;
    if (cmp !== '==' && (kind === 'boolean' || kind === 'string')) return issue(pointer, 'report_type_mismatch', `"${o.name}" cannot be ordered; only numbers and dates can.`);
    return { op: 'cmp', cmp: varAt === 0 ? cmp : FLIP[cmp], operand: o, kind, value: literal as Literal };
  };

  const walk = (logic: unknown, pointer: string): CondNode | undefined => {
    if (typeof logic === 'boolean') return { op: 'const', value: logic };
    const entry = single(logic);
    if (entry === undefined) return issue(pointer, 'report_invalid_condition', 'A condition is an object with exactly one operator, or true/false.');
    const [op, raw] = entry;
    const args: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
    const argsAt = Array.isArray(raw) ? (i: number) => `${pointer}/${op.replace(/~/g, '~0').replace(/\//g, '~1')}/${i}` : () => `${pointer}/${op.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const opAt = `${pointer}/${op.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    switch (op) {
      case 'and':
      case 'or': {
        if (!Array.isArray(raw) || raw.length === 0) return issue(opAt, 'report_invalid_condition', `"${op}" takes a non-empty list of conditions.`);
        const parts = raw.map((arg, i) => walk(arg, argsAt(i)));
        return parts.every((p) => p !== undefined) ? { op, args: parts as CondNode[] } : undefined;
      }
      case '!': {
        if (args.length !== 1) return issue(opAt, 'report_invalid_condition', '"!" takes one condition.');
        const inner = walk(args[0], argsAt(0));
        return inner === undefined ? undefined : { op: 'not', arg: inner };
      }
      case 'var': {
        const name = varName(logic);
        if (name === undefined) return issue(opAt, 'report_invalid_condition', '"var" takes one name.');
        const o = operand(name, opAt);
        if (o === undefined) return undefined;
        if (o.kind !== 'boolean' && o.kind !== 'any') return issue(opAt, 'report_type_mismatch', `"${name}" is not a yes/no value: compare it ("==") or test it with "missing".`);
        return { op: 'truthy', operand: o };
      }
      case '==':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return comparison(op, args, opAt);
      case '!=': {
        const eq = comparison('==', args, opAt);
        return eq === undefined ? undefined : { op: 'not', arg: eq };
      }
      case 'in': {
        if (args.length !== 2) return issue(opAt, 'report_invalid_condition', '"in" takes two arguments.');
        const first = varName(args[0]);
        const second = varName(args[1]);
        if (first !== undefined && Array.isArray(args[1])) {
          const o = operand(first, argsAt(0));
          if (o === undefined) return undefined;
          const list = args[1] as unknown[];
          if (list.length === 0) return issue(argsAt(1), 'report_invalid_condition', '"in" needs a non-empty list.');
          const kinds = list.map((value, i) => literalKind(o, value, `${argsAt(1)}/${i}`));
          if (kinds.some((k) => k === undefined)) return undefined;
          if (new Set(kinds).size !== 1) return issue(argsAt(1), 'report_type_mismatch', 'The values of an "in" list have one type.');
          return { op: 'in_list', operand: o, kind: kinds[0] as ScalarKind, values: list as Literal[] };
        }
        if (second !== undefined && first === undefined) {
          const o = operand(second, argsAt(1));
          if (o === undefined) return undefined;
          if (o.kind !== 'multi') return issue(argsAt(1), 'report_type_mismatch', `"${second}" is not a multi-select: use {"in": [{"var": "${second}"}, [values…]]}.`);
          if (typeof args[0] !== 'string') return issue(argsAt(0), 'report_type_mismatch', 'A multi-select holds strings.');
          const options = o.field?.options;
          if (options !== undefined && !options.includes(args[0])) return issue(argsAt(0), 'report_unknown_option', `${JSON.stringify(args[0])} is not an option of "${second}".`);
          return { op: 'contains', operand: o, value: args[0] };
        }
        return issue(opAt, 'report_invalid_condition', '"in" is {"in": [{"var": f}, [values…]]} or {"in": ["value", {"var": multi_select}]}.');
      }
      case 'missing': {
        if (args.length === 0) return issue(opAt, 'report_invalid_condition', '"missing" names at least one operand.');
        const found = args.map((name, i) => (typeof name === 'string' ? operand(name, argsAt(i)) : issue(argsAt(i), 'report_invalid_condition', '"missing" takes names.')));
        return found.every((o) => o !== undefined) ? { op: 'missing', operands: found as Operand[] } : undefined;
      }
      default:
        return issue(opAt, 'report_unsupported_operator', `"${op}" is not in the report subset of JSON Logic (${REPORT_OPERATORS.join(', ')}).`);
    }
  };

  const node = walk(logic, at);
  return { ...(issues.length === 0 && node !== undefined ? { node } : {}), issues, operands };
}

const PG_TYPE: Readonly<Record<ScalarKind, string>> = { string: 'text', number: 'numeric', boolean: 'boolean', date: 'text' };

/** The SQL predicate of a parsed condition; never NULL. Values are bound through `param`. */
export function conditionSql(node: CondNode, param: (value: unknown) => string): string {
  switch (node.op) {
    case 'const':
      return node.value ? 'true' : 'false';
    case 'and':
    case 'or':
      return `(${node.args.map((arg) => conditionSql(arg, param)).join(node.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${conditionSql(node.arg, param)})`;
    case 'truthy':
      return `coalesce(${node.operand.sql('boolean')} = true, false)`;
    case 'cmp': {
      const op = node.cmp === '==' ? '=' : node.cmp;
      const collate = node.kind === 'date' ? ' COLLATE "C"' : '';
      return `coalesce(${node.operand.sql(node.kind)}${collate} ${op} ${param(node.value)}::${PG_TYPE[node.kind]}, false)`;
    }
    case 'in_list':
      return `coalesce(${node.operand.sql(node.kind)} = ANY(${param(node.values)}::${PG_TYPE[node.kind]}[]), false)`;
    case 'contains':
      return `coalesce(jsonb_typeof(${node.operand.jsonSql ?? 'NULL'}) = 'array' AND ${node.operand.jsonSql ?? 'NULL'} @> ${param(JSON.stringify([node.value]))}::jsonb, false)`;
    case 'missing':
      return `(${node.operands.map((o) => o.missingSql).join(' OR ')})`;
  }
}

function compare(cmp: Cmp, a: string | number | boolean, b: Literal): boolean {
  switch (cmp) {
    case '==':
      return a === b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** The JS twin of `conditionSql`: the same answer for the same record. */
export function evaluateCondition(node: CondNode, subject: ConditionSubject): boolean {
  switch (node.op) {
    case 'const':
      return node.value;
    case 'and':
      return node.args.every((arg) => evaluateCondition(arg, subject));
    case 'or':
      return node.args.some((arg) => evaluateCondition(arg, subject));
    case 'not':
      return !evaluateCondition(node.arg, subject);
    case 'truthy':
      return valueAs('boolean', node.operand.read(subject)) === true;
    case 'cmp': {
      const value = valueAs(node.kind, node.operand.read(subject));
      return value !== null && compare(node.cmp, value, node.value);
    }
    case 'in_list': {
      const value = valueAs(node.kind, node.operand.read(subject));
      return value !== null && node.values.includes(value);
    }
    case 'contains': {
      const value = node.operand.read(subject);
      return Array.isArray(value) && value.includes(node.value);
    }
    case 'missing':
      return node.operands.some((o) => isMissing(o.read(subject)));
  }
}
