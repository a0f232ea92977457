import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';

/** Admin codes (agency, group, caseworker) and usernames: letters, digits and . _ - @, starting with a letter or digit. */
export const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;
export const ROLE_KEY = /^[a-z][a-z0-9_]*$/;
export const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/**
 * Optional in a PATCH, but not nullable: `undefined` leaves the value alone, `null` is refused by the
 * validators that follow (class-validator's IsOptional would let null through).
 */
export const OptionalNotNull = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** `true`/`false` in a query string as booleans; anything else stays a string and fails IsBoolean. */
export const QueryBoolean = () =>
  Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

/** Trims surrounding spaces of a string value (names and codes pasted from spreadsheets). */
export const Trim = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** Names of the properties a body actually carries (DTO instances also hold declared-but-absent ones), sorted. */
export function presentFields(body: object, except: readonly string[] = []): string[] {
  return Object.entries(body)
    .filter(([key, value]) => value !== undefined && !except.includes(key))
    .map(([key]) => key)
    .sort();
}
