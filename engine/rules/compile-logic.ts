/**
 * JSON Logic compiled to closures. json-logic-js interprets a rule tree on every evaluation (it
 * re-reads operator names with Object.keys, allocates argument arrays, splits `var` paths); record
 * processing evaluates hundreds of nodes per record, so rules are compiled once instead. Each
 * operation below reproduces json-logic-js 2.0.5 exactly (logic.js is the reference, and
 * compile-logic.spec.ts checks the two agree on a corpus of expressions and data).
 */
import type { RuleData } from './context.js';
import { customOperations } from './custom-ops.js';
import { jsonLogicTruthy as truthy, readVar } from './semantics.js';
import type { CustomOperator } from './operators.js';
import { isLiteralPairs, LocationLevel, LookupLabels, LookupValueSet, RecodeTable, RowCondition } from './prepared-args.js';
import type { PrepareEnv } from './prepare-env.js';

export type Evaluator = (data: unknown) => unknown;

type Operation = (this: unknown, ...args: unknown[]) => unknown;

function parse(value: unknown): number {
  return parseFloat(value as string);
}

/** The standard operations that receive evaluated arguments (json-logic-js `operations`). */
const STANDARD: Readonly<Record<string, Operation>> = {
  // JSON Logic's `==` and `!=` are JavaScript's loose comparisons, on purpose.
  '==': (a, b) => a == b,
  '===': (a, b) => a === b,
  '!=': (a, b) => a != b,
  '!==': (a, b) => a !== b,
  '>': (a, b) => (a as number) > (b as number),
  '>=': (a, b) => (a as number) >= (b as number),
  '<': (a, b, c) => (c === undefined ? (a as number) < (b as number) : (a as number) < (b as number) && (b as number) < (c as number)),
  '<=': (a, b, c) => (c === undefined ? (a as number) <= (b as number) : (a as number) <= (b as number) && (b as number) <= (c as number)),
  '!!': (a) => truthy(a),
  '!': (a) => !truthy(a),
  '%': (a, b) => (a as number) % (b as number),
  in: (a, b) => {
    if (!b || typeof (b as { indexOf?: unknown }).indexOf === 'undefined') return false;
    return (b as { indexOf(x: unknown): number }).indexOf(a) !== -1;
  },
  cat: (...args) => args.join(''),
  substr: (source, start, end) => {
    if ((end as number) < 0) {
      const temp = String(source).substr(start as number);
      return temp.substr(0, temp.length + (end as number));
    }
    return String(source).substr(start as number, end as number);
  },
  '+': (...args) => args.reduce<number>((a, b) => parse(a) + parse(b), 0),
  '*': (...args) => (args as unknown[]).reduce((a, b) => parse(a) * parse(b)),
  '-': (a, b) => (b === undefined ? -(a as number) : (a as number) - (b as number)),
  '/': (a, b) => (a as number) / (b as number),
  min: (...args) => Math.min(...(args as number[])),
  max: (...args) => Math.max(...(args as number[])),
  merge: (...args) => args.reduce<unknown[]>((a, b) => a.concat(b), []),
  var: function (this: unknown, path, fallback) {
    return readVar(this, path, fallback);
  },
  missing: function (this: unknown, ...args) {
    const keys = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    const missing: unknown[] = [];
    for (const key of keys) {
      // json-logic-js reads each key as `{"var": key}`, so a [path, fallback] pair is honoured too.
      const value = Array.isArray(key) ? readVar(this, key[0], key[1]) : readVar(this, key, undefined);
      if (value === null || value === '') missing.push(key);
    }
    return missing;
  },
  missing_some: function (this: unknown, needCount, options) {
    const list = options as unknown[];
    const areMissing = STANDARD['missing']?.apply(this, list) as unknown[];
    return list.length - areMissing.length >= (needCount as number) ? [] : areMissing;
  },
};

/** Custom operations; their per-row conditions are compiled like everything else. */
const CUSTOM: Readonly<Record<CustomOperator, Operation>> = customOperations() as Record<CustomOperator, Operation>;

function constant(value: unknown): Evaluator {
  return () => value;
}

function compileArray(items: readonly unknown[], env: PrepareEnv): Evaluator {
  const compiled = items.map((item) => compileNode(item, env));
  if (items.every((item) => typeof item !== 'object' || item === null)) {
    // A literal list: a fresh copy each time, as json-logic-js maps it, so no caller shares it.
    const copy = [...items];
    return () => copy.slice();
  }
  return (data) => compiled.map((evaluate) => evaluate(data));
}

function compileNode(logic: unknown, env: PrepareEnv): Evaluator {
  if (Array.isArray(logic)) return compileArray(logic, env);
  if (typeof logic !== 'object' || logic === null) return constant(logic);
  const keys = Object.keys(logic);
  // Not logic (json-logic-js `is_logic`): a literal, returned as is. The checker refuses these.
  if (keys.length !== 1) return constant(logic);
  const op = keys[0] as string;
  const raw = (logic as Record<string, unknown>)[op];
  const values = Array.isArray(raw) ? raw : [raw];
  const arg = (i: number): Evaluator => compileNode(values[i], env);

  switch (op) {
    case 'if':
    case '?:': {
      const parts = values.map((value) => compileNode(value, env));
      return (data) => {
        let i = 0;
        for (; i < parts.length - 1; i += 2) {
          if (truthy((parts[i] as Evaluator)(data))) return (parts[i + 1] as Evaluator)(data);
        }
        return parts.length === i + 1 ? (parts[i] as Evaluator)(data) : null;
      };
    }
    case 'and':
    case 'or': {
      const parts = values.map((value) => compileNode(value, env));
      const stopOn = op === 'or';
      return (data) => {
        let current: unknown;
        for (const part of parts) {
          current = part(data);
          if (truthy(current) === stopOn) return current;
        }
        return current;
      };
    }
    case 'filter':
    case 'map':
    case 'all':
    case 'none':
    case 'some': {
      const source = arg(0);
      const scoped = arg(1);
      return (data) => {
        const list = source(data);
        if (!Array.isArray(list)) return op === 'filter' || op === 'map' ? [] : op === 'none';
        if (op === 'filter') return list.filter((item) => truthy(scoped(item)));
        if (op === 'map') return list.map((item) => scoped(item));
        if (list.length === 0) return op === 'none';
        if (op === 'all') return list.every((item) => truthy(scoped(item)));
        if (op === 'none') return !list.some((item) => truthy(scoped(item)));
        return list.some((item) => truthy(scoped(item)));
      };
    }
    case 'reduce': {
      const source = arg(0);
      const scoped = arg(1);
      const initial = values[2] === undefined ? undefined : arg(2);
      return (data) => {
        const list = source(data);
        const start = initial === undefined ? null : initial(data);
        if (!Array.isArray(list)) return start;
        return list.reduce((accumulator: unknown, current: unknown) => scoped({ current, accumulator }), start);
      };
    }
    case 'count':
    case 'any_row':
      if (values.length === 2) {
        const condition = new RowCondition(compileNode(values[1], env) as (data: RuleData) => unknown);
        return call(op, CUSTOM[op], [arg(0), constant(condition)]);
      }
      break;
    case 'in_lookup':
      if (values.length === 2 && typeof values[1] === 'string') {
        const set = new LookupValueSet(values[1], env.lookupValues(values[1]) ?? []);
        return call(op, CUSTOM[op], [arg(0), constant(set)]);
      }
      break;
    case 'first_row':
      if (values.length === 3) {
        const condition = new RowCondition(compileNode(values[1], env) as (data: RuleData) => unknown);
        return call(op, CUSTOM[op], [arg(0), constant(condition), arg(2)]);
      }
      break;
    case 'recode':
      if (values.length >= 2 && isLiteralPairs(values[1])) {
        const table = new RecodeTable(values[1]);
        return call(op, CUSTOM[op], [arg(0), constant(table), ...(values.length > 2 ? [arg(2)] : [])]);
      }
      break;
    case 'lookup_label':
      if (values.length >= 2 && typeof values[1] === 'string') {
        const labels = new LookupLabels(values[1], env.lookupLabels?.(values[1]));
        return call(op, CUSTOM[op], [arg(0), constant(labels), ...(values.length > 2 ? [arg(2)] : [])]);
      }
      break;
    case 'location_ancestor':
      if (values.length >= 2 && (typeof values[1] === 'string' || typeof values[1] === 'number')) {
        const level = new LocationLevel(values[1], env.locationAncestor?.(values[1]));
        return call(op, CUSTOM[op], [arg(0), constant(level), ...(values.length > 2 ? [arg(2)] : [])]);
      }
      break;
  }
  const operation = STANDARD[op] ?? (Object.prototype.hasOwnProperty.call(CUSTOM, op) ? CUSTOM[op as CustomOperator] : undefined);
  return call(op, operation, values.map((_, i) => arg(i)));
}

function call(op: string, operation: Operation | undefined, args: readonly Evaluator[]): Evaluator {
  if (operation === undefined) {
    // Same failure as json-logic-js, at evaluation time (the rule evaluates to RULE_ERROR).
    return () => {
      throw new Error(`Unrecognized operation ${op}`);
    };
  }
  switch (args.length) {
    case 1: {
      const [a] = args as [Evaluator];
      return (data) => operation.call(data, a(data));
    }
    case 2: {
      const [a, b] = args as [Evaluator, Evaluator];
      return (data) => operation.call(data, a(data), b(data));
    }
    default:
      return (data) => operation.apply(data, args.map((evaluate) => evaluate(data)));
  }
}

/** Compiles checked JSON Logic. The evaluator may throw on exotic data; callers catch. */
export function compileLogic(logic: unknown, env: PrepareEnv): Evaluator {
  return compileNode(logic, env);
}
