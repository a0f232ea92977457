/**
 * The checks every free-text type shares (text, textarea, agency, user): maxLength, done here rather than in AJV
 * (see exceedsLength), and characters no record can store (NUL, unpaired surrogates: `invalid_character`).
 */
import type { FieldBehaviour, ValueCheckContext } from '../field-type.js';
import { exceedsLength, hasUnstorableCharacter } from './normalise.js';

export function maxLengthCheck(max: number): NonNullable<FieldBehaviour['check']> {
  return (value, path, ctx) => {
    if (typeof value !== 'string') return;
    if (exceedsLength(value, max)) ctx.report(path, 'too_long', `Must be at most ${max} characters.`, { limit: max });
    storableTextCheck(value, path, ctx);
  };
}

/** Reports `invalid_character` for text PostgreSQL cannot store (any input accepted: non-strings are left alone). */
export function storableTextCheck(value: unknown, path: string, ctx: ValueCheckContext): void {
  if (typeof value === 'string' && hasUnstorableCharacter(value)) {
    ctx.report(path, 'invalid_character', 'Contains a character that cannot be stored (NUL or an unpaired surrogate).');
  }
}
