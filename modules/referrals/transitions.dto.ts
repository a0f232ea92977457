import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HavenError, type Issue, pointerSegment } from '../common/errors.js';

/** Bodies of the referral and transfer routes: parsed by hand so that every problem is listed at once. */

const NOTE_MAX = 4000;
const USERNAME_MAX = 200;

export interface ReferralInput {
  toUser: string;
  service: string;
  notes: string | null;
  consentOverrideReason: string | null;
}

export interface TransferInput {
  toUser: string;
  notes: string | null;
  consentOverrideReason: string | null;
}

export interface NoteInput {
  notes: string | null;
}

export interface ReasonInput {
  reason: string | null;
  consentOverrideReason: string | null;
}

export class ReferralBody {
  @ApiProperty({ description: 'Username of the receiver (a user whose role receives referrals of this module or, across modules, of theirs).' })
  toUser!: string;
  @ApiProperty({ description: 'The service referred for: a value of the module’s service lookup (e.g. `health_medical_service`).' })
  service!: string;
  @ApiPropertyOptional({ description: 'Notes for the receiver (never field values of the record).' })
  notes?: string;
  @ApiPropertyOptional({ description: 'Why the referral goes ahead without the recorded consent (needs `consent_override`; audited).' })
  consentOverrideReason?: string;
}

export class TransferBody {
  @ApiProperty({ description: 'Username of the new owner (a user whose role receives transfers).' })
  toUser!: string;
  @ApiPropertyOptional()
  notes?: string;
  @ApiPropertyOptional({ description: 'Why the transfer goes ahead without the recorded consent (needs `consent_override`; audited).' })
  consentOverrideReason?: string;
}

export class NotesBody {
  @ApiPropertyOptional()
  notes?: string;
}

export class ReasonBody {
  @ApiPropertyOptional({ description: 'Why (required to decline a referral).' })
  reason?: string;
  @ApiPropertyOptional({ description: 'Accepting a transfer request: why the transfer goes ahead without the recorded consent.' })
  consentOverrideReason?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function object(raw: unknown, allowed: readonly string[], issues: Issue[]): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw HavenError.validation([{ code: 'invalid_type', path: '', message: 'The body is a JSON object.' }]);
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) issues.push({ code: 'unknown_field', path: `/${pointerSegment(key)}`, message: `property ${key} should not exist` });
  }
  return raw;
}

function text(body: Record<string, unknown>, key: string, issues: Issue[], options: { required?: string; max?: number } = {}): string | null {
  const value = body[key];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    if (options.required !== undefined) issues.push({ code: 'required', path: `/${key}`, message: options.required });
    return null;
  }
  if (typeof value !== 'string') {
    issues.push({ code: 'invalid_type', path: `/${key}`, message: `${key} is a string.` });
    return null;
  }
  const max = options.max ?? NOTE_MAX;
  if (value.length > max) issues.push({ code: 'too_long', path: `/${key}`, message: `${key} is at most ${max} characters.` });
  return value.trim();
}

function done<T>(issues: Issue[], value: T): T {
  if (issues.length > 0) throw HavenError.validation(issues);
  return value;
}

export function parseReferralBody(raw: unknown): ReferralInput {
  const issues: Issue[] = [];
  const body = object(raw ?? {}, ['toUser', 'service', 'notes', 'consentOverrideReason'], issues);
  const toUser = text(body, 'toUser', issues, { required: 'Name the user (username) who receives the referral.', max: USERNAME_MAX });
  const service = text(body, 'service', issues, { required: 'Name the service the referral is for.', max: 200 });
  const notes = text(body, 'notes', issues);
  const consentOverrideReason = text(body, 'consentOverrideReason', issues);
  return done(issues, { toUser: toUser ?? '', service: service ?? '', notes, consentOverrideReason });
}

export function parseTransferBody(raw: unknown): TransferInput {
  const issues: Issue[] = [];
  const body = object(raw ?? {}, ['toUser', 'notes', 'consentOverrideReason'], issues);
  const toUser = text(body, 'toUser', issues, { required: 'Name the user (username) the record is transferred to.', max: USERNAME_MAX });
  const notes = text(body, 'notes', issues);
  const consentOverrideReason = text(body, 'consentOverrideReason', issues);
  return done(issues, { toUser: toUser ?? '', notes, consentOverrideReason });
}

export function parseNotesBody(raw: unknown): NoteInput {
  const issues: Issue[] = [];
  const body = object(raw, ['notes'], issues);
  return done(issues, { notes: text(body, 'notes', issues) });
}

export function parseReasonBody(raw: unknown, required?: string): ReasonInput {
  const issues: Issue[] = [];
  const body = object(raw, ['reason', 'consentOverrideReason'], issues);
  const reason = text(body, 'reason', issues, required === undefined ? {} : { required });
  const consentOverrideReason = text(body, 'consentOverrideReason', issues);
  return done(issues, { reason, consentOverrideReason });
}

export class AcceptReferralBody {
  @ApiPropertyOptional({ description: 'Across modules only: further fields of the record created in your module, applied over the mapped ones.' })
  data?: Record<string, unknown>;
}

export function parseAcceptBody(raw: unknown): { data: Record<string, unknown> } {
  const issues: Issue[] = [];
  const body = object(raw, ['data'], issues);
  const data = body['data'];
  if (data !== undefined && data !== null && !isObject(data)) issues.push({ code: 'invalid_type', path: '/data', message: 'data is an object of field values.' });
  return done(issues, { data: isObject(data) ? data : {} });
}

export const TRANSITION_STATUSES = ['pending', 'accepted', 'declined', 'rejected', 'revoked', 'done'] as const;

export function parseListQuery(raw: Record<string, unknown>): { status: string | null; direction: 'incoming' | 'outgoing' | null } {
  const issues: Issue[] = [];
  const status = raw['status'];
  const direction = raw['direction'];
  if (status !== undefined && !(typeof status === 'string' && (TRANSITION_STATUSES as readonly string[]).includes(status))) {
    issues.push({ code: 'not_an_option', path: '/status', message: `status is one of ${TRANSITION_STATUSES.join(', ')}.` });
  }
  if (direction !== undefined && direction !== 'incoming' && direction !== 'outgoing') {
    issues.push({ code: 'not_an_option', path: '/direction', message: 'direction is incoming or outgoing.' });
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'status' && key !== 'direction') issues.push({ code: 'unknown_field', path: `/${pointerSegment(key)}`, message: `Unknown query parameter ${key}.` });
  }
  return done(issues, { status: (status as string | undefined) ?? null, direction: (direction as 'incoming' | 'outgoing' | undefined) ?? null });
}
