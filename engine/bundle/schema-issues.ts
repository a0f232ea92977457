/** Turns AJV errors on a bundle file into BundleIssues with stable codes. */
import { essentialErrors, errorPointer, type ErrorObject } from '../util/ajv.js';
import type { BundleIssueCode } from './issue-codes.js';
import { KEY_PATTERN } from './schema/common.js';
import type { BundleIssue } from './types.js';

function codeOf(error: ErrorObject): BundleIssueCode {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'missing_property';
    case 'additionalProperties':
      return 'unknown_property';
    case 'type':
      return 'invalid_type';
    case 'pattern':
    case 'format':
    case 'propertyNames':
      return 'invalid_format';
    case 'enum':
    case 'const':
      return 'invalid_value';
    case 'minLength':
      return 'too_short';
    case 'maxLength':
      return 'too_long';
    case 'minimum':
    case 'exclusiveMinimum':
      return 'too_small';
    case 'maximum':
    case 'exclusiveMaximum':
      return 'too_large';
    case 'minItems':
      return 'too_few';
    case 'maxItems':
      return 'too_many';
    case 'uniqueItems':
      return 'not_unique';
    case 'discriminator':
      // Subform rows may hold any type but `subform`: nesting shows up as an unmapped tag there.
      return params['tagValue'] === 'subform' ? 'nested_subform' : 'unknown_field_type';
    default:
      return 'schema_violation';
  }
}

function messageOf(error: ErrorObject, code: BundleIssueCode): string {
  const params = error.params as Record<string, unknown>;
  switch (code) {
    case 'missing_property':
      return `Missing required property "${String(params['missingProperty'])}".`;
    case 'unknown_property':
      return `Unknown property "${String(params['additionalProperty'])}".`;
    case 'unknown_field_type':
      return params['error'] === 'tag'
        ? 'A field needs a string `type`.'
        : `Unknown field type "${String(params['tagValue'])}".`;
    case 'nested_subform':
      return 'A subform cannot contain another subform.';
    case 'invalid_value':
      return error.keyword === 'enum'
        ? `Must be one of: ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`
        : `Must be ${JSON.stringify(params['allowedValue'])}.`;
    case 'invalid_format':
      if (params['pattern'] === KEY_PATTERN) return 'Keys are snake_case: lowercase letters, digits and "_", starting with a letter.';
      return typeof params['pattern'] === 'string' ? `Must match the pattern ${params['pattern']}.` : sentence(error.message);
    default:
      return sentence(error.message);
  }
}

/** AJV messages ("must be string") as sentences ("Must be string."). */
function sentence(message: string | undefined): string {
  const text = message ?? 'invalid value';
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

export function schemaIssues(file: string, errors: readonly ErrorObject[] | null | undefined): BundleIssue[] {
  const issues: BundleIssue[] = [];
  const seen = new Set<string>();
  for (const error of essentialErrors(errors ?? [])) {
    const code = codeOf(error);
    const pointer = errorPointer(error);
    // One issue per place: a missing `type` also fails the discriminator, a bad key both pattern and length…
    if (seen.has(pointer)) continue;
    seen.add(pointer);
    issues.push({ file, pointer, code, message: messageOf(error, code) });
  }
  return issues;
}
