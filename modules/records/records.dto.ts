import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HavenError, type Issue, pointerSegment } from '../common/errors.js';
import { hasUnstorableCharacter } from '../../engine/index.js';

/**
 * Request bodies of the record write routes. The envelopes are checked here by hand (a few keys) rather than by
 * the global class-validator pipe, which would deep-copy `data` on every write; the configured fields inside
 * `data` are the engine's to validate. The classes describe the bodies for the API docs.
 */

export class CreateRecordBody {
  @ApiPropertyOptional({
    description: 'Module of the record type; required when several modules define it (`case`: gbv and cp).',
    example: 'gbv',
  })
  module?: string;

  @ApiProperty({ description: 'Configured fields (only fields you may write). Subform rows carry an `_id` (generated when missing).', example: { age: 16 } })
  data!: Record<string, unknown>;
}

export class UpdateRecordBody {
  @ApiPropertyOptional({ description: 'The version the change is based on (or send it as `If-Match: "<version>"`).', example: 3 })
  version?: number;

  @ApiProperty({
    description:
      'Changed fields only; null clears one. Subform rows are matched by `_id`: a known `_id` updates the fields sent, an unknown one adds a row, `{ "_id": "…", "_removed": true }` removes it; rows not mentioned stay.',
    example: { age: 17 },
  })
  data!: Record<string, unknown>;
}

export class DisableRecordBody {
  @ApiProperty({ description: 'Why the record is disabled (kept in the record history).', example: 'Duplicate of INC-7KQ2M9X' })
  reason!: string;
}

export class EnableRecordBody {
  @ApiPropertyOptional({ description: 'Why the record is enabled again (kept in the record history).' })
  reason?: string;
}

export interface CreateRecordInput {
  module?: string;
  data: Record<string, unknown>;
}

export interface UpdateRecordInput {
  baseVersion: number;
  data: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const MAX_REASON = 1000;

function envelope(body: unknown, allowed: readonly string[]): { body: Record<string, unknown>; issues: Issue[] } {
  if (!isObject(body)) return { body: {}, issues: [{ code: 'invalid_type', path: '', message: 'The body is a JSON object.' }] };
  const issues: Issue[] = [];
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) issues.push({ code: 'unknown_field', path: `/${pointerSegment(key)}`, message: `property ${key} should not exist` });
  }
  return { body, issues };
}

function dataOf(body: Record<string, unknown>, issues: Issue[]): Record<string, unknown> {
  const data = body.data;
  if (data === undefined || data === null) issues.push({ code: 'required', path: '/data', message: 'data is required.' });
  else if (!isObject(data)) issues.push({ code: 'invalid_type', path: '/data', message: 'data is an object of field values.' });
  return isObject(data) ? data : {};
}

function fail(issues: Issue[]): never {
  throw HavenError.validation(issues);
}

export function parseCreateBody(raw: unknown): CreateRecordInput {
  const { body, issues } = envelope(raw, ['module', 'data']);
  const data = dataOf(body, issues);
  const module = body.module;
  if (module !== undefined && module !== null && (typeof module !== 'string' || module.length === 0 || module.length > 64)) {
    issues.push({ code: 'invalid_type', path: '/module', message: 'module is the key of a module.' });
  }
  if (issues.length) fail(issues);
  return typeof module === 'string' ? { module, data } : { data };
}

/** `"3"`, `W/"3"` or `3` (from 1, quotes balanced); undefined when the header is absent. */
function ifMatchVersion(header: string | undefined, issues: Issue[]): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?(?:"([1-9]\d{0,8})"|([1-9]\d{0,8}))\s*$/.exec(header);
  if (!match) {
    issues.push({ code: 'invalid_format', path: '/version', message: 'If-Match carries the record version, e.g. "3".' });
    return undefined;
  }
  return Number(match[1] ?? match[2]);
}

export function parseUpdateBody(raw: unknown, ifMatch: string | undefined): UpdateRecordInput {
  const { body, issues } = envelope(raw, ['version', 'data']);
  const data = dataOf(body, issues);
  const fromHeader = ifMatchVersion(ifMatch, issues);
  const sent = body.version;
  let fromBody: number | undefined;
  if (sent !== undefined && sent !== null) {
    if (typeof sent === 'number' && Number.isInteger(sent) && sent >= 1 && sent <= 999_999_999) fromBody = sent;
    else issues.push({ code: 'invalid_type', path: '/version', message: 'version is a whole number from 1.' });
  }
  if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
    issues.push({ code: 'version_mismatch', path: '/version', message: 'The body version and the If-Match header disagree.' });
  }
  const baseVersion = fromBody ?? fromHeader;
  if (baseVersion === undefined && !issues.some((i) => i.path === '/version')) {
    issues.push({ code: 'required', path: '/version', message: 'Say which version the change is based on (body "version" or If-Match).' });
  }
  if (issues.length || baseVersion === undefined) fail(issues);
  return { baseVersion, data };
}

export function parseReason(raw: unknown, required: boolean): string | undefined {
  const { body, issues } = envelope(raw ?? {}, ['reason']);
  const reason = body.reason;
  if (reason === undefined || reason === null) {
    if (required) issues.push({ code: 'required', path: '/reason', message: 'reason is required.' });
  } else if (typeof reason !== 'string' || reason.trim().length === 0) {
    issues.push({ code: 'invalid_type', path: '/reason', message: 'reason is a non-empty text.' });
  } else if (reason.length > MAX_REASON) {
    issues.push({ code: 'too_long', path: '/reason', message: `reason must be shorter than or equal to ${MAX_REASON} characters` });
  } else if (hasUnstorableCharacter(reason)) {
    issues.push({ code: 'invalid_character', path: '/reason', message: 'reason cannot hold a NUL character or an unpaired surrogate.' });
  }
  if (issues.length) fail(issues);
  return typeof reason === 'string' ? reason.trim() : undefined;
}
