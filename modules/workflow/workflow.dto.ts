import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HavenError, pointerSegment, type Issue } from '../common/errors.js';
import { hasUnstorableCharacter } from '../../engine/index.js';

/**
 * Request bodies of the workflow routes, checked by hand (a few keys each) so that every problem is listed at once
 * with its JSON pointer; the classes describe the bodies for the API docs.
 */

export const TEXT_LIMIT = 2000;
const USERNAME = /^[A-Za-z0-9._@-]{1,100}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class FireTransitionBody {
  @ApiPropertyOptional({ description: 'The record version the action is based on; 409 version_conflict when the record moved on.', example: 4 })
  version?: number;

  @ApiPropertyOptional({ description: 'A note kept in the record history (never in the audit log).', example: 'Assessment done with the survivor.' })
  comment?: string;
}

export class ApprovalActionBody {
  @ApiProperty({ enum: ['request', 'approve', 'reject'], description: 'Ask for the approval, or decide a pending request.' })
  action!: 'request' | 'approve' | 'reject';

  @ApiPropertyOptional({ description: 'Comment; required to reject. Kept in the approval history and the record history.' })
  comment?: string;

  @ApiPropertyOptional({ description: 'The record version the action is based on.' })
  version?: number;
}

export class FlagBody {
  @ApiProperty({ description: 'Why the record is flagged.', example: 'Follow up on the safety plan' })
  reason!: string;

  @ApiPropertyOptional({ description: 'Flag until / review date, `YYYY-MM-DD`.', example: '2026-12-01' })
  date?: string;
}

export class UnflagBody {
  @ApiProperty({ description: 'Why the flag is resolved.', example: 'Safety plan reviewed' })
  reason!: string;
}

export class AssignBody {
  @ApiProperty({ description: 'Username of the new owner.', example: 'caseworker2' })
  toUser!: string;
}

export interface TransitionInput {
  version?: number;
  comment?: string;
}
export interface ApprovalInput {
  action: 'request' | 'approve' | 'reject';
  comment?: string;
  version?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function envelope(raw: unknown, allowed: readonly string[], optional: boolean): { body: Record<string, unknown>; issues: Issue[] } {
  if (raw === undefined || raw === null || (optional && isObject(raw) && Object.keys(raw).length === 0)) {
    return { body: {}, issues: optional ? [] : [{ code: 'invalid_type', path: '', message: 'The body is a JSON object.' }] };
  }
  if (!isObject(raw)) return { body: {}, issues: [{ code: 'invalid_type', path: '', message: 'The body is a JSON object.' }] };
  const issues: Issue[] = [];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) issues.push({ code: 'unknown_field', path: `/${pointerSegment(key)}`, message: `property ${key} should not exist` });
  }
  return { body: raw, issues };
}

function text(body: Record<string, unknown>, key: string, required: boolean, issues: Issue[]): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required) issues.push({ code: 'required', path: `/${key}`, message: `${key} is required.` });
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.push({ code: 'invalid_type', path: `/${key}`, message: `${key} is text.` });
    return undefined;
  }
  const trimmed = value.trim();
  if (trimmed === '') {
    if (required) issues.push({ code: 'required', path: `/${key}`, message: `${key} is required.` });
    return undefined;
  }
  if (trimmed.length > TEXT_LIMIT) issues.push({ code: 'too_long', path: `/${key}`, message: `At most ${TEXT_LIMIT} characters.` });
  // NUL cannot be stored in PostgreSQL text: refused here rather than failing in the database.
  // PostgreSQL text and jsonb refuse NUL and unpaired surrogates: refused here rather than failing in the database.
  if (hasUnstorableCharacter(trimmed)) issues.push({ code: 'invalid_character', path: `/${key}`, message: 'Text cannot hold a NUL character or an unpaired surrogate.' });
  return trimmed;
}

function version(body: Record<string, unknown>, issues: Issue[]): number | undefined {
  const value = body.version;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    issues.push({ code: 'invalid_type', path: '/version', message: 'version is a whole number from 1.' });
    return undefined;
  }
  return value;
}

function done<T>(issues: Issue[], value: T): T {
  if (issues.length > 0) throw HavenError.validation(issues);
  return value;
}

export function parseTransitionBody(raw: unknown): TransitionInput {
  const { body, issues } = envelope(raw, ['version', 'comment'], true);
  const v = version(body, issues);
  const comment = text(body, 'comment', false, issues);
  return done(issues, { ...(v === undefined ? {} : { version: v }), ...(comment === undefined ? {} : { comment }) });
}

export function parseApprovalBody(raw: unknown): ApprovalInput {
  const { body, issues } = envelope(raw, ['action', 'comment', 'version'], false);
  const action = body.action;
  if (action === undefined) issues.push({ code: 'required', path: '/action', message: 'action is required.' });
  else if (action !== 'request' && action !== 'approve' && action !== 'reject') {
    issues.push({ code: 'invalid_value', path: '/action', message: 'action is one of request, approve, reject.' });
  }
  const comment = text(body, 'comment', action === 'reject', issues);
  const v = version(body, issues);
  return done(issues, { action: action as ApprovalInput['action'], ...(comment === undefined ? {} : { comment }), ...(v === undefined ? {} : { version: v }) });
}

export function parseFlagBody(raw: unknown): { reason: string; date?: string } {
  const { body, issues } = envelope(raw, ['reason', 'date'], false);
  const reason = text(body, 'reason', true, issues);
  const date = body.date;
  let day: string | undefined;
  if (date !== undefined && date !== null) {
    if (typeof date !== 'string' || !DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
      issues.push({ code: 'invalid_date', path: '/date', message: 'date is a calendar date, YYYY-MM-DD.' });
    } else day = date;
  }
  return done(issues, { reason: reason as string, ...(day === undefined ? {} : { date: day }) });
}

export function parseUnflagBody(raw: unknown): { reason: string } {
  const { body, issues } = envelope(raw, ['reason'], false);
  const reason = text(body, 'reason', true, issues);
  return done(issues, { reason: reason as string });
}

export function parseAssignBody(raw: unknown): { toUser: string } {
  const { body, issues } = envelope(raw, ['toUser'], false);
  const toUser = body.toUser;
  if (toUser === undefined || toUser === null || toUser === '') issues.push({ code: 'required', path: '/toUser', message: 'toUser is required.' });
  else if (typeof toUser !== 'string' || !USERNAME.test(toUser)) issues.push({ code: 'invalid_value', path: '/toUser', message: 'toUser is a username.' });
  return done(issues, { toUser: toUser as string });
}
