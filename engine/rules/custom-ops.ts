/**
 * Haven's custom JSON Logic operations. Each receives already-evaluated arguments and `this` bound to
 * the rule data (json-logic-js's calling convention). They never throw: bad input yields null/false/0.
 */
import { ageOn, daysBetween, parseCalendarDate } from '../util/dates.js';
import { isPlainObject } from '../util/objects.js';
import { jsonLogicTruthy as truthy } from './semantics.js';
import type { RuleData } from './context.js';
import type { CustomOperator } from './operators.js';
import { LookupValueSet, RowCondition } from './prepared-args.js';

type Operation = (this: RuleData, ...args: unknown[]) => unknown;

function rowsOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The operations, registered with json-logic-js and used by the compiler alike. */
export function customOperations(): Record<CustomOperator, Operation> {
  function rowMatches(data: RuleData, row: unknown, condition: RowCondition): boolean {
    // A row that is not an object cannot match anything.
    if (!isPlainObject(row)) return false;
    return truthy(condition.evaluate(data, row));
  }

  return {
    days_between(a, b) {
      return daysBetween(a, b) ?? null;
    },
    age_on(dob, date) {
      return ageOn(dob, date) ?? null;
    },
    count(this: RuleData, rows, condition) {
      const list = rowsOf(rows);
      if (!(condition instanceof RowCondition)) return list.length;
      let n = 0;
      for (const row of list) if (rowMatches(this, row, condition)) n += 1;
      return n;
    },
    sum_of(rows, field) {
      if (typeof field !== 'string') return 0;
      let total = 0;
      for (const row of rowsOf(rows)) {
        if (!isPlainObject(row) || !Object.prototype.hasOwnProperty.call(row, field)) continue;
        const value = row[field];
        if (typeof value === 'number' && Number.isFinite(value)) total += value;
      }
      return total;
    },
    any_row(this: RuleData, rows, condition) {
      if (!(condition instanceof RowCondition)) return false;
      for (const row of rowsOf(rows)) if (rowMatches(this, row, condition)) return true;
      return false;
    },
    in_lookup(value, lookup) {
      // Unprepared rules (a lookup key as a plain string) cannot know the lookup: they never match.
      return lookup instanceof LookupValueSet ? lookup.has(value) : false;
    },
    is_empty(value) {
      // Shallow, as documented: `{ "a": null }` is not empty, `{}` is.
      if (Array.isArray(value)) return value.length === 0;
      if (isPlainObject(value)) return Object.keys(value).length === 0;
      return value === null || value === undefined || value === '';
    },
    date_part(date, part) {
      const parsed = parseCalendarDate(date);
      if (!parsed) return null;
      if (part === 'year') return parsed.year;
      if (part === 'month') return parsed.month;
      if (part === 'quarter') return Math.ceil(parsed.month / 3);
      return null;
    },
  };
}
