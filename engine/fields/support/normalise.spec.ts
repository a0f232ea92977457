import { describe, expect, it } from '@jest/globals';
import { hasUnstorableCharacter, toNumber } from './normalise.js';

describe('hasUnstorableCharacter', () => {
  it.each<[string, string, boolean]>([
    ['plain text', 'Amina', false],
    ['empty', '', false],
    ['Arabic and a bidi override', 'سارة \u202e', false],
    ['an emoji (a surrogate pair)', '\ud83d\ude00', false],
    ['tab, newline and other controls', '\t\n\u0001', false],
    ['NUL', 'a\u0000b', true],
    ['NUL alone', '\u0000', true],
    ['a lone high surrogate at the end', 'a\ud83d', true],
    ['a lone high surrogate before text', '\ud83da', true],
    ['a lone low surrogate', '\ude00', true],
    ['a reversed pair', '\ude00\ud83d', true],
  ])('%s -> %p', (_name, value, expected) => {
    expect(hasUnstorableCharacter(value)).toBe(expected);
  });
});

describe('toNumber', () => {
  it.each<[unknown, unknown]>([
    ['42', 42],
    [' -1.5 ', -1.5],
    ['+3', 3],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['', null],
    ['   ', null],
    [7, 7],
    // Not decimal numbers: left as they are (the schema then refuses them).
    ['0x10', '0x10'],
    ['0b101', '0b101'],
    ['0o17', '0o17'],
    ['1_000', '1_000'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['NaN', 'NaN'],
    ['1e400', '1e400'],
    ['12abc', '12abc'],
    ['1,5', '1,5'],
    ['e5', 'e5'],
  ])('%p -> %p', (input, expected) => {
    expect(toNumber(input)).toBe(expected);
  });
});
