/** AJV errors on record data -> RecordIssues with stable codes and plain-English messages. */
import type { RecordIssueCode } from '../bundle/issue-codes.js';
import { essentialErrors, errorPointer, type ErrorObject } from '../util/ajv.js';
import type { RecordIssue } from './types.js';

function issueOf(error: ErrorObject): RecordIssue {
  const params = error.params as Record<string, unknown>;
  const path = errorPointer(error);
  const make = (code: RecordIssueCode, message: string, extra?: Record<string, unknown>): RecordIssue =>
    extra === undefined ? { code, path, message } : { code, path, message, params: extra };
  switch (error.keyword) {
    case 'required':
      return make('required', 'This value is required.');
    case 'additionalProperties':
      return make('unknown_field', 'Not a field of this form.');
    case 'type': {
      const expected = String(params['type']).split(',').filter((t) => t !== 'null');
      return make('invalid_type', `Must be ${expected.map(article).join(' or ')}.`, { expected });
    }
    case 'enum':
      return make('not_an_option', 'Not one of the options.');
    case 'maxLength':
      return make('too_long', `Must be at most ${String(params['limit'])} characters.`, { limit: params['limit'] });
    case 'minLength':
      return make('too_short', `Must be at least ${String(params['limit'])} characters.`, { limit: params['limit'] });
    case 'minimum':
    case 'exclusiveMinimum':
      return make('too_small', `Must be ${error.keyword === 'minimum' ? 'at least' : 'more than'} ${String(params['limit'])}.`, { limit: params['limit'] });
    case 'maximum':
    case 'exclusiveMaximum':
      return make('too_large', `Must be ${error.keyword === 'maximum' ? 'at most' : 'less than'} ${String(params['limit'])}.`, { limit: params['limit'] });
    case 'maxItems':
      return make('too_many', `At most ${String(params['limit'])} allowed.`, { limit: params['limit'] });
    case 'minItems':
      return make('too_few', `At least ${String(params['limit'])} required.`, { limit: params['limit'] });
    case 'uniqueItems':
      return make('not_unique', 'The same value is chosen twice.');
    case 'format':
      return params['format'] === 'date'
        ? make('invalid_date', 'Must be a date (YYYY-MM-DD).')
        : params['format'] === 'date-time'
          ? make('invalid_date', 'Must be a date and time with its zone (ISO 8601).')
          : make('invalid_format', 'Not in the expected format.', { format: params['format'] });
    case 'pattern':
      return make('invalid_format', 'Not in the expected format.');
    default:
      return make('invalid_value', `${error.message ?? 'Invalid value'}.`);
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

export function recordIssuesFromAjv(errors: readonly ErrorObject[] | null | undefined, into: RecordIssue[]): void {
  if (!errors) return;
  for (const error of essentialErrors(errors)) into.push(issueOf(error));
}
