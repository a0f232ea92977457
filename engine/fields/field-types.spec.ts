/** Every field type, valid and invalid values, through the full record pipeline. */
import { describe, expect, it } from '@jest/globals';
import { FIELD_TYPE_NAMES } from './index.js';
import { compileOrThrow, makeBundle, testContext } from '../testing/bundle-factory.js';

type Json = Record<string, unknown>;

const LOCATIONS = {
  adminLevels: [
    { level: 0, key: 'country', label: 'Country' },
    { level: 1, key: 'county', label: 'County' },
    { level: 2, key: 'district', label: 'District' },
  ],
  locations: [
    { code: 'XX', level: 0, name: 'Country' },
    { code: 'XX01', level: 1, parent: 'XX', name: 'County 1' },
    { code: 'XX0101', level: 2, parent: 'XX01', name: 'District 1' },
  ],
};

const LOOKUP = { key: 'colour', label: 'Colour', values: [{ value: 'red', label: 'Red' }, { value: 'non-blue', label: 'Not blue' }, { value: 'old', label: 'Old', disabled: true }] };

/** One field `f` of the given definition, compiled in a bundle with a lookup and locations. */
function processField(def: Json, value: unknown, ctx = testContext()) {
  const compiled = compileOrThrow(makeBundle({ fields: [{ key: 'f', label: 'F', ...def }], lookups: [LOOKUP], locations: { places: LOCATIONS } }));
  return compiled.recordType('m', 'case').process({ f: value }, ctx);
}

function codes(result: { issues: readonly { code: string; path: string }[] }): string[] {
  return result.issues.map((issue) => `${issue.code}@${issue.path}`);
}

interface Case {
  readonly name: string;
  readonly def: Json;
  readonly value: unknown;
  readonly issues: readonly string[];
  readonly stored?: unknown;
}

const choice = { options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] };

const CASES: readonly Case[] = [
  // text
  { name: 'text trims', def: { type: 'text' }, value: '  Amina  ', issues: [], stored: 'Amina' },
  { name: 'text blank becomes null', def: { type: 'text' }, value: '   ', issues: [], stored: null },
  { name: 'text wrong type', def: { type: 'text' }, value: 12, issues: ['invalid_type@/f'] },
  { name: 'text default maxLength 1000', def: { type: 'text' }, value: 'x'.repeat(1001), issues: ['too_long@/f'] },
  { name: 'text maxLength', def: { type: 'text', maxLength: 3 }, value: 'abcd', issues: ['too_long@/f'] },
  { name: 'text counts characters, not UTF-16 units', def: { type: 'text', maxLength: 3 }, value: '😀é😀', issues: [] },
  { name: 'text counts characters over the limit', def: { type: 'text', maxLength: 3 }, value: '😀😀😀😀', issues: ['too_long@/f'] },
  { name: 'text NUL (PostgreSQL cannot store it)', def: { type: 'text' }, value: 'a\u0000b', issues: ['invalid_character@/f'] },
  { name: 'text NUL over the limit', def: { type: 'text', maxLength: 3 }, value: 'abc\u0000', issues: ['too_long@/f', 'invalid_character@/f'] },
  { name: 'text unpaired surrogate', def: { type: 'text' }, value: 'a\ud800', issues: ['invalid_character@/f'] },
  { name: 'text right-to-left override is text', def: { type: 'text' }, value: 'a\u202eb', issues: [] },
  { name: 'textarea NUL', def: { type: 'textarea' }, value: 'line\n\u0000', issues: ['invalid_character@/f'] },
  { name: 'agency NUL', def: { type: 'agency' }, value: 'AG\u0000', issues: ['invalid_character@/f'] },
  { name: 'user unpaired surrogate', def: { type: 'user' }, value: 'u\udc00', issues: ['invalid_character@/f'] },
  { name: 'text pattern ok', def: { type: 'text', pattern: '^[A-Z]{3}$' }, value: 'ABC', issues: [] },
  { name: 'text pattern bad', def: { type: 'text', pattern: '^[A-Z]{3}$' }, value: 'abc', issues: ['invalid_format@/f'] },
  { name: 'text phone ok', def: { type: 'text', phone: true }, value: '+254 712 345-678', issues: [] },
  { name: 'text phone bad', def: { type: 'text', phone: true }, value: 'call me', issues: ['invalid_format@/f'] },
  // textarea
  { name: 'textarea ok', def: { type: 'textarea' }, value: 'x'.repeat(5000), issues: [] },
  { name: 'textarea too long', def: { type: 'textarea', maxLength: 10 }, value: 'x'.repeat(11), issues: ['too_long@/f'] },
  { name: 'textarea object', def: { type: 'textarea' }, value: { a: 1 }, issues: ['invalid_type@/f'] },
  // number
  { name: 'number ok', def: { type: 'number' }, value: 1.5, issues: [] },
  { name: 'number from numeric string', def: { type: 'number' }, value: ' 42 ', issues: [], stored: 42 },
  { name: 'number not numeric', def: { type: 'number' }, value: 'forty', issues: ['invalid_type@/f'] },
  { name: 'number integer', def: { type: 'number', integer: true }, value: 1.5, issues: ['invalid_type@/f'] },
  { name: 'number below min', def: { type: 'number', min: 0 }, value: -1, issues: ['too_small@/f'] },
  { name: 'number above max', def: { type: 'number', max: 120 }, value: 121, issues: ['too_large@/f'] },
  { name: 'number boolean', def: { type: 'number' }, value: true, issues: ['invalid_type@/f'] },
  // date
  { name: 'date ok', def: { type: 'date' }, value: '2026-02-28', issues: [] },
  { name: 'date impossible day', def: { type: 'date' }, value: '2026-02-30', issues: ['invalid_date@/f'] },
  { name: 'date wrong format', def: { type: 'date' }, value: '28/02/2026', issues: ['invalid_date@/f'] },
  { name: 'date not in future ok', def: { type: 'date', notInFuture: true }, value: '2026-06-15', issues: [] },
  { name: 'date in future', def: { type: 'date', notInFuture: true }, value: '2026-06-16', issues: ['date_in_future@/f'] },
  { name: 'date-time normalised to UTC', def: { type: 'date', includeTime: true }, value: '2026-06-15T10:00:00+02:00', issues: [], stored: '2026-06-15T08:00:00.000Z' },
  { name: 'date-time without zone', def: { type: 'date', includeTime: true }, value: '2026-06-15T10:00:00', issues: ['invalid_date@/f'] },
  { name: 'date-time in future', def: { type: 'date', includeTime: true, notInFuture: true }, value: '2026-06-15T12:00:01Z', issues: ['date_in_future@/f'] },
  // date_range
  { name: 'date_range ok', def: { type: 'date_range' }, value: { from: '2026-01-01', to: '2026-01-31' }, issues: [] },
  { name: 'date_range reversed', def: { type: 'date_range' }, value: { from: '2026-02-01', to: '2026-01-31' }, issues: ['invalid_range@/f/to'] },
  { name: 'date_range bad bound', def: { type: 'date_range' }, value: { from: 'soon' }, issues: ['invalid_date@/f/from'] },
  { name: 'date_range extra key', def: { type: 'date_range' }, value: { from: '2026-01-01', until: 'x' }, issues: ['unknown_field@/f/until'] },
  { name: 'date_range in future', def: { type: 'date_range', notInFuture: true }, value: { from: '2026-01-01', to: '2027-01-01' }, issues: ['date_in_future@/f/to'] },
  // yes_no / tick_box
  { name: 'yes_no ok', def: { type: 'yes_no' }, value: false, issues: [] },
  { name: 'yes_no from string', def: { type: 'yes_no' }, value: 'TRUE', issues: [], stored: true },
  { name: 'yes_no bad', def: { type: 'yes_no' }, value: 'yes', issues: ['invalid_type@/f'] },
  { name: 'tick_box ok', def: { type: 'tick_box', tickLabel: 'I agree' }, value: true, issues: [] },
  { name: 'tick_box bad', def: { type: 'tick_box' }, value: 1, issues: ['invalid_type@/f'] },
  // radio / select
  { name: 'radio ok', def: { type: 'radio', ...choice }, value: 'a', issues: [] },
  { name: 'radio not an option', def: { type: 'radio', ...choice }, value: 'c', issues: ['not_an_option@/f'] },
  { name: 'radio wrong type', def: { type: 'radio', ...choice }, value: 1, issues: ['invalid_type@/f'] },
  { name: 'select lookup ok', def: { type: 'select', lookup: 'colour' }, value: 'non-blue', issues: [] },
  { name: 'select disabled value stays valid', def: { type: 'select', lookup: 'colour' }, value: 'old', issues: [] },
  { name: 'select lookup not an option', def: { type: 'select', lookup: 'colour' }, value: 'green', issues: ['not_an_option@/f'] },
  // multi_select
  { name: 'multi_select ok', def: { type: 'multi_select', ...choice }, value: ['a', 'b'], issues: [] },
  { name: 'multi_select empty becomes null', def: { type: 'multi_select', ...choice }, value: [], issues: [], stored: null },
  { name: 'multi_select bad item', def: { type: 'multi_select', ...choice }, value: ['a', 'z'], issues: ['not_an_option@/f/1'] },
  { name: 'multi_select duplicate', def: { type: 'multi_select', ...choice }, value: ['a', 'a'], issues: ['not_unique@/f'] },
  { name: 'multi_select too many', def: { type: 'multi_select', ...choice, maxItems: 1 }, value: ['a', 'b'], issues: ['too_many@/f'] },
  { name: 'multi_select scalar', def: { type: 'multi_select', ...choice }, value: 'a', issues: ['invalid_type@/f'] },
  // tally
  { name: 'tally total computed', def: { type: 'tally', items: [{ key: 'boys', label: 'Boys' }, { key: 'girls', label: 'Girls' }] }, value: { boys: 2, girls: 3, total: 99 }, issues: [], stored: { boys: 2, girls: 3, total: 5 } },
  { name: 'tally negative', def: { type: 'tally', items: [{ key: 'boys', label: 'Boys' }] }, value: { boys: -1 }, issues: ['too_small@/f/boys'] },
  { name: 'tally unknown item', def: { type: 'tally', items: [{ key: 'boys', label: 'Boys' }] }, value: { men: 1 }, issues: ['unknown_field@/f/men'] },
  { name: 'tally fraction', def: { type: 'tally', items: [{ key: 'boys', label: 'Boys' }] }, value: { boys: 1.5 }, issues: ['invalid_type@/f/boys'] },
  // location
  { name: 'location ok', def: { type: 'location' }, value: 'XX0101', issues: [] },
  { name: 'location unknown', def: { type: 'location' }, value: 'YY', issues: ['unknown_location@/f'] },
  { name: 'location level allowed by key', def: { type: 'location', adminLevels: ['district'] }, value: 'XX0101', issues: [] },
  { name: 'location level not allowed', def: { type: 'location', adminLevels: [2] }, value: 'XX01', issues: ['location_level_not_allowed@/f'] },
  // agency / user
  { name: 'agency ok', def: { type: 'agency' }, value: 'unicef', issues: [] },
  { name: 'agency wrong type', def: { type: 'agency' }, value: ['unicef'], issues: ['invalid_type@/f'] },
  { name: 'user ok', def: { type: 'user' }, value: 'jdoe', issues: [] },
  { name: 'user multiple ok', def: { type: 'user', multiple: true }, value: ['jdoe', 'asmith'], issues: [] },
  { name: 'user multiple scalar', def: { type: 'user', multiple: true }, value: 'jdoe', issues: ['invalid_type@/f'] },
  { name: 'user multiple blank name', def: { type: 'user', multiple: true }, value: ['jdoe', ' '], issues: ['invalid_format@/f/1'] },
  { name: 'user too long', def: { type: 'user' }, value: 'u'.repeat(101), issues: ['too_long@/f'] },
  // separator
  { name: 'separator stores nothing', def: { type: 'separator' }, value: 'x', issues: ['unknown_field@/f'] },
  // subform
  { name: 'subform ok', def: { type: 'subform', fields: [{ key: 'n', type: 'number', label: 'N' }] }, value: [{ _id: 'r1', n: '3' }], issues: [], stored: [{ _id: 'r1', n: 3 }] },
  { name: 'subform row without _id', def: { type: 'subform', fields: [{ key: 'n', type: 'number', label: 'N' }] }, value: [{ n: 1 }], issues: ['required@/f/0/_id'] },
  { name: 'subform row id not an id', def: { type: 'subform', fields: [{ key: 'n', type: 'number', label: 'N' }] }, value: [{ _id: 'has space' }], issues: ['invalid_format@/f/0/_id'] },
  { name: 'subform row not an object', def: { type: 'subform', fields: [{ key: 'n', type: 'number', label: 'N' }] }, value: ['x'], issues: ['invalid_type@/f/0'] },
  { name: 'subform unknown row key', def: { type: 'subform', fields: [{ key: 'n', type: 'number', label: 'N' }] }, value: [{ _id: 'r', zz: 1 }], issues: ['unknown_field@/f/0/zz'] },
  { name: 'subform maxRows', def: { type: 'subform', maxRows: 1, fields: [{ key: 'n', type: 'number', label: 'N' }] }, value: [{ _id: 'a' }, { _id: 'b' }], issues: ['too_many@/f'] },
  { name: 'subform duplicate row ids', def: { type: 'subform', fields: [{ key: 'n', type: 'number', label: 'N' }] }, value: [{ _id: 'a' }, { _id: 'b' }, { _id: 'a', n: 1 }], issues: ['not_unique@/f/2/_id'] },
  // attachment
  { name: 'attachment ok', def: { type: 'attachment', kinds: ['photo'] }, value: [{ id: 'a1', fileName: 'p.jpg', contentType: 'image/jpeg', size: 10 }], issues: [] },
  { name: 'attachment NUL in its name and description', def: { type: 'attachment' }, value: [{ id: 'a1', fileName: 'p\u0000.jpg', contentType: 'image/jpeg', size: 10, description: '\ud800' }], issues: ['invalid_character@/f/0/fileName', 'invalid_character@/f/0/description'] },
  { name: 'attachment kind not allowed', def: { type: 'attachment', kinds: ['photo'] }, value: [{ id: 'a1', fileName: 'a.pdf', contentType: 'application/pdf', size: 10 }], issues: ['attachment_kind_not_allowed@/f/0/contentType'] },
  { name: 'attachment missing id', def: { type: 'attachment' }, value: [{ fileName: 'a.pdf', contentType: 'application/pdf', size: 10 }], issues: ['required@/f/0/id'] },
  { name: 'attachment too many', def: { type: 'attachment', maxFiles: 1 }, value: [{ id: 'a', fileName: 'a', contentType: 'text/plain', size: 1 }, { id: 'b', fileName: 'b', contentType: 'text/plain', size: 1 }], issues: ['too_many@/f'] },
  { name: 'attachment removed files do not count towards maxFiles', def: { type: 'attachment', maxFiles: 1 }, value: [{ id: 'a', fileName: 'a', contentType: 'text/plain', size: 1, removed: true }, { id: 'b', fileName: 'b', contentType: 'text/plain', size: 1 }], issues: [] },
  { name: 'attachment upload time', def: { type: 'attachment' }, value: [{ id: 'a', fileName: 'a.pdf', contentType: 'application/pdf', size: 1, description: null, uploadedAt: '2026-06-15T07:00:00.000Z' }], issues: [] },
  { name: 'attachment upload time not a date-time', def: { type: 'attachment' }, value: [{ id: 'a', fileName: 'a.pdf', contentType: 'application/pdf', size: 1, uploadedAt: 'yesterday' }], issues: ['invalid_date@/f/0/uploadedAt'] },
  // signature
  { name: 'signature ok', def: { type: 'signature' }, value: { attachmentId: 'a1', providedBy: 'survivor', signedAt: '2026-06-15T10:00:00+03:00' }, issues: [], stored: { attachmentId: 'a1', providedBy: 'survivor', signedAt: '2026-06-15T07:00:00.000Z' } },
  { name: 'signature NUL', def: { type: 'signature' }, value: { attachmentId: 'a1', providedBy: 'x\u0000', signedAt: '2026-06-15T10:00:00+03:00' }, issues: ['invalid_character@/f/providedBy'] },
  { name: 'signature incomplete', def: { type: 'signature' }, value: { attachmentId: 'a1', signedAt: 'yesterday' }, issues: ['required@/f/providedBy', 'invalid_date@/f/signedAt'] },
  // calculated
  { name: 'calculated computed value', def: { type: 'calculated', compute: { value: { '+': [1, 2] } } }, value: undefined, issues: [], stored: 3 },
  { name: 'calculated mismatch', def: { type: 'calculated', compute: { value: { '+': [1, 2] } } }, value: 4, issues: ['computed_mismatch@/f'], stored: 3 },
];

describe('field types', () => {
  it('covers every registered type', () => {
    const covered = new Set(CASES.map((c) => c.def['type']));
    expect(FIELD_TYPE_NAMES.filter((name) => !covered.has(name))).toEqual([]);
  });

  it.each(CASES)('$name', ({ def, value, issues, stored }) => {
    const result = processField(def, value);
    expect(codes(result).sort()).toEqual([...issues].sort());
    if (stored !== undefined) expect(result.data['f']).toEqual(stored);
  });
});

describe('optionsIf', () => {
  const def = {
    type: 'select',
    options: [{ value: 'adult', label: 'Adult' }, { value: 'child', label: 'Child', tags: ['minor'] }],
    optionsIf: { minor: { '<': [{ var: 'record.age' }, 18] } },
  };
  function run(data: Json) {
    const compiled = compileOrThrow(makeBundle({ fields: [{ key: 'f', label: 'F', ...def }, { key: 'age', label: 'Age', type: 'number' }] }));
    return codes(compiled.recordType('m', 'case').process(data, testContext()));
  }
  it.each([
    [{ f: 'child', age: 12 }, []],
    [{ f: 'child', age: 30 }, ['option_not_available@/f']],
    [{ f: 'adult', age: 30 }, []],
  ])('%j -> %j', (data, expected) => {
    expect(run(data)).toEqual(expected);
  });
});
