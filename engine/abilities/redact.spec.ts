/** redactRecordData: only readable keys and subform children survive; the input is never touched. */
import { describe, expect, it } from '@jest/globals';
import { deepFreeze } from '../util/objects.js';
import { redactionNeeded, redactRecordData } from './redact.js';

const DATA = deepFreeze({
  name: 'Amina',
  age: 24,
  tally: { adults: 2, total: 2 },
  attachments: [{ id: 'a1', fileName: 'photo.jpg' }],
  perps: [
    { _id: 'r1', psex: 'male', pname: 'X' },
    { _id: 'r2', psex: 'female' },
  ],
  contacts: [{ _id: 'c1', phone: '123' }],
});

describe('redactRecordData', () => {
  it.each<[string, string[], Record<string, unknown>]>([
    ['nothing readable', [], {}],
    ['top-level keys only', ['age', 'tally'], { age: 24, tally: { adults: 2, total: 2 } }],
    ['a subform with one readable child', ['perps', 'perps.psex'], { perps: [{ _id: 'r1', psex: 'male' }, { _id: 'r2', psex: 'female' }] }],
    ['children without their subform', ['perps.psex', 'contacts.phone'], {}],
    ['a key listed without children is kept whole', ['attachments', 'contacts'], { attachments: [{ id: 'a1', fileName: 'photo.jpg' }], contacts: [{ _id: 'c1', phone: '123' }] }],
    ['every path', ['name', 'age', 'tally', 'attachments', 'perps', 'perps.psex', 'perps.pname', 'contacts', 'contacts.phone'], DATA],
    ['paths of fields the data lacks', ['age', 'notes', 'notes.x'], { age: 24 }],
  ])('%s', (_name, readable, expected) => {
    expect(redactRecordData(DATA, new Set(readable))).toEqual(expected);
  });

  it('never mutates its input (frozen data does not throw) and returns new rows', () => {
    const out = redactRecordData(DATA, new Set(['perps', 'perps.pname']));
    expect(out).toEqual({ perps: [{ _id: 'r1', pname: 'X' }, { _id: 'r2' }] });
    expect(out['perps']).not.toBe(DATA.perps);
    expect(DATA.perps[0]).toEqual({ _id: 'r1', psex: 'male', pname: 'X' });
  });

  it('drops subform rows that are not objects instead of showing them', () => {
    expect(redactRecordData({ perps: [{ _id: 'r1', psex: 'm' }, 'junk', null, ['x']] }, new Set(['perps', 'perps.psex']))).toEqual({ perps: [{ _id: 'r1', psex: 'm' }] });
  });

  it('keeps a non-array value of a subform key as it is (the schema would have refused it)', () => {
    expect(redactRecordData({ perps: null }, new Set(['perps', 'perps.psex']))).toEqual({ perps: null });
  });

  it('ignores inherited and prototype keys', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "age": 3}') as Record<string, unknown>;
    const out = redactRecordData(data, new Set(['age', '__proto__', 'constructor']));
    expect(out).toEqual({ age: 3 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

describe('redactionNeeded', () => {
  const ALL = ['name', 'age', 'tally', 'attachments', 'perps', 'perps.psex', 'perps.pname', 'contacts', 'contacts.phone'];
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['every path readable', DATA, ALL],
    ['more paths readable than the data has', { age: 1 }, [...ALL, 'notes']],
    ['a top-level key not readable', DATA, ALL.filter((p) => p !== 'name')],
    ['a subform child not readable', DATA, ALL.filter((p) => p !== 'perps.pname')],
    ['a subform without any readable child listed is kept whole', DATA, ALL.filter((p) => !p.startsWith('perps.'))],
    ['a subform row that is not an object', { perps: [{ _id: 'r1' }, 'junk'] }, ['perps', 'perps.psex']],
    ['a non-array value of a subform key', { perps: null }, ['perps', 'perps.psex']],
    ['an own __proto__ key', JSON.parse('{"__proto__": 1, "age": 3}') as Record<string, unknown>, ['age', '__proto__']],
    ['an own __proto__ key in a subform row', JSON.parse('{"perps": [{"_id": "r1", "__proto__": 1}]}') as Record<string, unknown>, ['perps', 'perps.__proto__']],
    ['nothing readable, no data', {}, []],
    ['nothing readable, some data', { age: 1 }, []],
  ];

  it.each(cases)('is false exactly when the redacted copy equals the data: %s', (_name, data, readable) => {
    const set = new Set(readable);
    const copy = redactRecordData(data, set);
    const equal = JSON.stringify(copy) === JSON.stringify(data) && Object.keys(copy).length === Object.keys(data).length;
    expect(redactionNeeded(data, set)).toBe(!equal);
  });
});
