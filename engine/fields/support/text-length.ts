/** The maxLength check of text types, done here rather than in AJV (see exceedsLength). */
import type { FieldBehaviour } from '../field-type.js';
import { exceedsLength } from './normalise.js';

export function maxLengthCheck(max: number): NonNullable<FieldBehaviour['check']> {
  return (value, path, ctx) => {
    if (typeof value === 'string' && exceedsLength(value, max)) {
      ctx.report(path, 'too_long', `Must be at most ${max} characters.`, { limit: max });
    }
  };
}
