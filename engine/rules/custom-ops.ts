/**
 * Haven's custom JSON Logic operations. Each receives already-evaluated arguments and `this` bound to
 * the rule data (json-logic-js's calling convention). They never throw: bad input yields null/false/0.
 */
import { ageOn, daysBetween, parseCalendarDate } from '../util/dates.js';
import { isPlainObject } from '../util/objects.js';
import { jsonLogicTruthy as truthy } from './semantics.js';
import type { RuleData } from './context.js';
import type { CustomOperator } from './operators.js';
import { LocationLevel, LookupLabels, LookupValueSet, RecodeTable, RowCondition } from './prepared-args.js';

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
    first_row(this: RuleData, rows, condition, field) {
      // The field of the first matching row (null when that row lacks it): never a later row's value.
      if (!(condition instanceof RowCondition) || typeof field !== 'string') return null;
      for (const row of rowsOf(rows)) {
        if (!rowMatches(this, row, condition)) continue;
        const value = Object.prototype.hasOwnProperty.call(row, field) ? (row as Record<string, unknown>)[field] : undefined;
        return value === undefined ? null : value;
      }
      return null;
    },
    year_of(date) {
      return parseCalendarDate(date)?.year ?? null;
    },
    band(value, bounds, labels) {
      // Ascending inclusive upper bounds; labels has one more entry, for values above the last bound.
      if (typeof value !== 'number' || !Number.isFinite(value) || !Array.isArray(bounds) || !Array.isArray(labels)) return null;
      let i = 0;
      while (i < bounds.length && !(value <= (bounds[i] as number))) i += 1;
      const label: unknown = labels[i];
      return label === undefined ? null : label;
    },
    recode(value, table, fallback) {
      const otherwise = fallback === undefined ? null : fallback;
      if (table instanceof RecodeTable) return table.has(value) ? table.get(value) : otherwise;
      // Unprepared (json-logic-js reference): the literal pairs, scanned in order.
      for (const pair of rowsOf(table)) if (Array.isArray(pair) && pair[0] === value) return pair[1] === undefined ? null : pair[1];
      return otherwise;
    },
    text_before(text, separator) {
      if (typeof text !== 'string') return null;
      const at = typeof separator === 'string' && separator !== '' ? text.indexOf(separator) : -1;
      return (at < 0 ? text : text.slice(0, at)).trim();
    },
    lookup_label(value, labels, separator) {
      // Unprepared rules (a lookup key as a plain string) know no labels: null.
      if (!(labels instanceof LookupLabels)) return null;
      if (!Array.isArray(value)) return labels.label(value);
      const parts: string[] = [];
      for (const item of value) {
        const label = labels.label(item);
        if (label !== null) parts.push(label);
      }
      return parts.length === 0 ? null : parts.join(typeof separator === 'string' ? separator : ', ');
    },
    location_ancestor(code, level, part) {
      if (!(level instanceof LocationLevel) || typeof code !== 'string') return null;
      const place = level.ancestor(code);
      if (place === undefined) return null;
      return part === 'code' ? place.code : place.name;
    },
  };
}
