/**
 * Calendar helpers shared by field checks and JSON Logic operations. Dates are handled as calendar
 * days (`YYYY-MM-DD`), never as local-time instants, so results do not depend on the machine's zone.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0);
}

/** `YYYY-MM-DD` or an ISO date-time (its written calendar day) -> calendar date; anything else -> undefined. */
export function parseCalendarDate(value: unknown): CalendarDate | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DATE.exec(value) ?? DATE_TIME.exec(value);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  return validDay(year, month, day) ? { year, month, day } : undefined;
}

/** True for a real `YYYY-MM-DD` calendar date. */
export function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && DATE.test(value) && parseCalendarDate(value) !== undefined;
}

/** Days since 1970-01-01 of a calendar date. */
export function epochDay(date: CalendarDate): number {
  return Math.round(Date.UTC(date.year, date.month - 1, date.day) / 86_400_000);
}

/** Whole days from `a` to `b`, negative when `b` is earlier; undefined when either is not a date. */
export function daysBetween(a: unknown, b: unknown): number | undefined {
  const from = parseCalendarDate(a);
  const to = parseCalendarDate(b);
  if (!from || !to) return undefined;
  return epochDay(to) - epochDay(from);
}

/** Whole years completed between a date of birth and a date (negative if the date is before birth). */
export function ageOn(dob: unknown, on: unknown): number | undefined {
  const birth = parseCalendarDate(dob);
  const date = parseCalendarDate(on);
  if (!birth || !date) return undefined;
  let years = date.year - birth.year;
  if (date.month < birth.month || (date.month === birth.month && date.day < birth.day)) years -= 1;
  return years;
}

/**
 * Normalises an ISO date-time with an offset to UTC `YYYY-MM-DDTHH:mm:ss.sssZ`, so stored values sort
 * and compare as text. Values that are not date-times with an explicit zone are returned unchanged and
 * left for the schema to refuse.
 */
export function normaliseDateTime(value: string): string {
  const match = DATE_TIME.exec(value);
  if (!match || match[6] === undefined || parseCalendarDate(value) === undefined) return value;
  const ms = Date.parse(value.replace(' ', 'T'));
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/** Milliseconds since the epoch of an ISO date-time or date; undefined when unparseable. */
export function instant(value: unknown): number | undefined {
  if (typeof value !== 'string' || parseCalendarDate(value) === undefined) return undefined;
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(ms) ? undefined : ms;
}
