import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { HavenError, type Issue, pointerSegment } from './errors.js';

const CONSTRAINT_CODES: Record<string, string> = {
  whitelistValidation: 'unknown_field',
  isDefined: 'required',
  isNotEmpty: 'required',
  isString: 'invalid_type',
  isInt: 'invalid_type',
  isNumber: 'invalid_type',
  isBoolean: 'invalid_type',
  isArray: 'invalid_type',
  isObject: 'invalid_type',
  isIn: 'not_an_option',
  isEnum: 'not_an_option',
  min: 'too_small',
  max: 'too_large',
  minLength: 'too_short',
  maxLength: 'too_long',
  arrayMaxSize: 'too_many',
  arrayMinSize: 'too_few',
  matches: 'invalid_format',
  isEmail: 'invalid_format',
  isDateString: 'invalid_date',
  isIso8601: 'invalid_date',
};

/** Flattens class-validator's error tree into issues with JSON pointers from the body (or query) root. */
export function toIssues(errors: ValidationError[], parent = ''): Issue[] {
  const issues: Issue[] = [];
  for (const error of errors) {
    const path = `${parent}/${pointerSegment(error.property)}`;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      issues.push({ code: CONSTRAINT_CODES[constraint] ?? constraint.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), path, message });
    }
    if (error.children?.length) issues.push(...toIssues(error.children, path));
  }
  return issues;
}

/**
 * DTO validation at the HTTP edge: unknown properties are refused (never silently dropped, so mass assignment
 * is visible), every problem is listed at once.
 */
export function havenValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => HavenError.validation(toIssues(errors)),
  });
}
