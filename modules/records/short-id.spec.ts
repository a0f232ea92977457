import { describe, expect, it } from '@jest/globals';
import { formatDisplayId, newShortId, SHORT_ID_ALPHABET, SHORT_ID_LENGTH } from './short-id.js';

describe('short ids', () => {
  it('are 7 characters from an alphabet without look-alikes (0/O, 1/I/L)', () => {
    expect(SHORT_ID_ALPHABET).not.toMatch(/[01OIL]/);
    const ids = Array.from({ length: 2000 }, newShortId);
    for (const id of ids) expect(id).toMatch(new RegExp(`^[${SHORT_ID_ALPHABET}]{${SHORT_ID_LENGTH}}$`));
    expect(new Set(ids).size).toBe(ids.length);
    // Every character turns up (no bias that leaves some out).
    expect(new Set(ids.join('')).size).toBe(SHORT_ID_ALPHABET.length);
  });

  it.each([
    [{ prefix: 'INC', pattern: '{prefix}-{shortId}' }, 'INC-7KQ2M9X'],
    [{ prefix: 'GBV', pattern: '{prefix}/{shortId}/{prefix}' }, 'GBV/7KQ2M9X/GBV'],
    [{ prefix: 'CP' }, 'CP-7KQ2M9X'],
    [undefined, '7KQ2M9X'],
  ])('display id %j', (format, expected) => {
    expect(formatDisplayId(format, '7KQ2M9X')).toBe(expected);
  });
});
