/**
 * The one catalogue of error codes Haven returns. Domain code raises `HavenError` with one of these codes;
 * the single exception filter (`error.filter.ts`) maps the code to an HTTP status. The same errors are used
 * by the CLI and background jobs, which is why nothing here knows about HTTP beyond the status table.
 */
export const ErrorCodes = {
  /** The request body or query failed validation; `issues` lists every problem with a JSON pointer. */
  validation_failed: 400,
  /** The body is not valid JSON. */
  malformed_json: 400,
  /** The request's Content-Type is not supported by this route (JSON routes take application/json). */
  unsupported_media_type: 415,
  /** The body exceeds the configured size limit. */
  payload_too_large: 413,
  /** No valid session token was presented. */
  unauthenticated: 401,
  /** The caller may see the object but may not perform this action on it. */
  forbidden: 403,
  /** The object does not exist, or the caller may not see it: the two are indistinguishable on purpose. */
  not_found: 404,
  /** The HTTP method is not allowed on this route. */
  method_not_allowed: 405,
  /** The route cannot answer in any of the formats the request accepts (e.g. PDF where no PDF renderer is installed). */
  not_acceptable: 406,
  /** The edit was based on an outdated version and touches fields changed since; nothing was written. */
  version_conflict: 409,
  /** The request conflicts with the current state (e.g. a duplicate unique key). */
  conflict: 409,
  /** Too many attempts; retry later. */
  rate_limited: 429,
  /** A configuration bundle failed validation. */
  invalid_bundle: 422,
  /** The server could not complete the request; nothing about the cause is disclosed. */
  internal_error: 500,
  /** The database or another dependency is unavailable. */
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** One problem in a request: a stable code, a JSON pointer from the body root and a readable message. */
export interface Issue {
  code: string;
  path: string;
  message: string;
  params?: Record<string, unknown>;
}

export class HavenError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: Issue[] = [],
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HavenError';
  }

  get status(): number {
    return ErrorCodes[this.code];
  }

  static validation(issues: Issue[], message = 'The request is not valid.'): HavenError {
    return new HavenError('validation_failed', message, issues);
  }

  static notFound(message = 'Not found.'): HavenError {
    return new HavenError('not_found', message);
  }
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...segments: Array<string | number>): string {
  return segments.map((s) => '/' + pointerSegment(s)).join('');
}
