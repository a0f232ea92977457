import { describe, expect, it } from '@jest/globals';
import { changedSince, diffData, type FieldChange, mergePatch, type MergeInput, type MergeShape, nextFieldVersions, type RecordData, sideEffectConflicts } from './merge.js';

const shape: MergeShape = {
  subforms: new Set(['perpetrators', 'referrals']),
  derived: new Set(['perpetrator_count', 'perpetrators.age_group']),
};

const p1 = { _id: 'p1', sex: 'male', age: 30, age_group: '26_40' };
const p2 = { _id: 'p2', sex: 'female', age: 20, age_group: '18_25' };
const stored: RecordData = { age: 16, sex: 'female', narrative: 'text', perpetrators: [p1, p2], perpetrator_count: 2 };
/** Version 5 of the record: `age` changed at 4, row p1's sex at 5, row p9 removed at 5, `sex` never since creation. */
const fieldVersions = { age: 4, 'perpetrators/p1/sex': 5, 'perpetrators/p9': 5 };

interface Case {
  name: string;
  base: number;
  patch: RecordData;
  data?: RecordData;
  changed?: string[];
  conflicts?: string[];
  issues?: [path: string, code: string][];
}

const cases: Case[] = [
  { name: 'a top-level field nobody changed since the base', base: 1, patch: { sex: 'male' }, data: { ...stored, sex: 'male' }, changed: ['sex'], conflicts: [] },
  { name: 'a top-level field changed after the base', base: 3, patch: { age: 17 }, changed: ['age'], conflicts: ['age'] },
  { name: 'a top-level field changed at the base itself', base: 4, patch: { age: 17 }, data: { ...stored, age: 17 }, changed: ['age'], conflicts: [] },
  { name: 'the stored value again (not a change, never a conflict)', base: 1, patch: { age: 16, sex: 'female' }, data: stored, changed: [], conflicts: [] },
  { name: 'null clears a field', base: 1, patch: { narrative: null }, data: { age: 16, sex: 'female', perpetrators: [p1, p2], perpetrator_count: 2 }, changed: ['narrative'] },
  { name: 'null on an absent field is no change', base: 1, patch: { missing: null }, data: stored, changed: [] },
  { name: 'a new top-level field', base: 1, patch: { occupation: 'farmer' }, data: { ...stored, occupation: 'farmer' }, changed: ['occupation'] },
  { name: 'an object value compared regardless of key order', base: 1, patch: { place: { b: 1, a: 2 } }, changed: ['place'] },
  { name: 'a derived field: carried for the engine, never a change or conflict', base: 1, patch: { perpetrator_count: 9 }, data: { ...stored, perpetrator_count: 9 }, changed: [], conflicts: [] },
  {
    name: 'a row field of another row than the one changed since',
    base: 1,
    patch: { perpetrators: [{ _id: 'p2', sex: 'male' }] },
    data: { ...stored, perpetrators: [{ _id: 'p1', sex: 'male', age: 30 }, { ...p2, sex: 'male', age_group: undefined }].map(clean) },
    changed: ['perpetrators/p2/sex'],
    conflicts: [],
  },
  { name: 'the row field changed since', base: 4, patch: { perpetrators: [{ _id: 'p1', sex: 'female' }] }, changed: ['perpetrators/p1/sex'], conflicts: ['perpetrators/p1/sex'] },
  { name: 'another field of the row changed since', base: 4, patch: { perpetrators: [{ _id: 'p1', age: 31 }] }, changed: ['perpetrators/p1/age'], conflicts: [] },
  {
    name: 'a row with an unknown id is added at the end',
    base: 1,
    patch: { perpetrators: [{ _id: 'p3', sex: 'male', note: null }] },
    data: { ...stored, perpetrators: [clean({ ...p1, age_group: undefined }), clean({ ...p2, age_group: undefined }), { _id: 'p3', sex: 'male' }] },
    changed: ['perpetrators/p3'],
    conflicts: [],
  },
  {
    name: 'a row removed; rows not mentioned stay',
    base: 1,
    patch: { perpetrators: [{ _id: 'p2', _removed: true }] },
    data: { ...stored, perpetrators: [clean({ ...p1, age_group: undefined })] },
    changed: ['perpetrators/p2'],
    conflicts: [],
  },
  { name: 'removing a row whose field changed since', base: 4, patch: { perpetrators: [{ _id: 'p1', _removed: true }] }, changed: ['perpetrators/p1'], conflicts: ['perpetrators/p1'] },
  {
    name: 'removing a row already gone: no change (derived row values left to the engine)',
    base: 1,
    patch: { perpetrators: [{ _id: 'p9', _removed: true }] },
    data: { ...stored, perpetrators: [p1, p2].map((row) => clean({ ...row, age_group: undefined })) },
    changed: [],
    conflicts: [],
  },
  { name: 'editing a row removed since', base: 4, patch: { perpetrators: [{ _id: 'p9', sex: 'male' }] }, changed: ['perpetrators/p9'], conflicts: ['perpetrators/p9'] },
  { name: 're-sending a row as stored: no change', base: 1, patch: { perpetrators: [{ _id: 'p1', sex: 'male', age: 30 }] }, changed: [], conflicts: [] },
  {
    name: 'a derived row field sent with the row is kept for the engine; other rows lose theirs',
    base: 1,
    patch: { perpetrators: [{ _id: 'p1', age_group: '26_40' }] },
    data: { ...stored, perpetrators: [p1, clean({ ...p2, age_group: undefined })] },
    changed: [],
  },
  { name: 'a subform on a record that has none yet', base: 1, patch: { referrals: [{ _id: 'r1', to: 'clinic' }] }, data: { ...stored, referrals: [{ _id: 'r1', to: 'clinic' }] }, changed: ['referrals/r1'] },
  {
    name: 'malformed rows',
    base: 1,
    patch: { perpetrators: [7, { sex: 'x' }, { _id: 3 }, { _id: 'p1', _removed: 'yes' }, { _id: 'p2' }, { _id: 'p2' }], referrals: {} },
    issues: [
      ['/perpetrators/0', 'invalid_type'],
      ['/perpetrators/1/_id', 'required'],
      ['/perpetrators/2/_id', 'invalid_type'],
      ['/perpetrators/3/_removed', 'invalid_type'],
      ['/perpetrators/5/_id', 'duplicate_row'],
      ['/referrals', 'invalid_type'],
    ],
  },
];

function clean(row: RecordData): RecordData {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined));
}

describe('mergePatch', () => {
  it.each(cases)('$name', ({ base, patch, data, changed, conflicts, issues }) => {
    const input: MergeInput = { stored, fieldVersions, baseVersion: base, patch };
    const result = mergePatch(input, shape);
    if (data !== undefined) expect(result.data).toEqual(data);
    if (changed !== undefined) expect(result.changed).toEqual(changed);
    if (conflicts !== undefined) expect(result.conflicts).toEqual(conflicts);
    expect(result.issues.map((i) => [i.path, i.code])).toEqual(issues ?? []);
  });

  it('never touches its inputs', () => {
    const before = JSON.stringify(stored);
    mergePatch({ stored, fieldVersions, baseVersion: 1, patch: { age: 1, perpetrators: [{ _id: 'p1', sex: 'x' }, { _id: 'p2', _removed: true }] } }, shape);
    expect(JSON.stringify(stored)).toBe(before);
  });
});

describe('diffData', () => {
  const table: [name: string, before: RecordData, after: RecordData, changes: FieldChange[]][] = [
    ['nothing', stored, { ...stored }, []],
    ['a field set, one cleared', { a: 1, b: 2 }, { a: 1, c: 3 }, [{ path: 'b', from: 2, to: null }, { path: 'c', from: null, to: 3 }]],
    ['null and absent are the same', { a: null }, {}, []],
    [
      'rows added, removed, changed; order ignored',
      { perpetrators: [p1, p2] },
      { perpetrators: [{ _id: 'p3', sex: 'x' }, { ...p1, age: 31 }] },
      [
        { path: 'perpetrators/p2', from: p2, to: null },
        { path: 'perpetrators/p3', from: null, to: { _id: 'p3', sex: 'x' } },
        { path: 'perpetrators/p1/age', from: 30, to: 31 },
      ],
    ],
    ['rows without ids compare as a whole', { perpetrators: [{ sex: 'x' }] }, { perpetrators: [] }, [{ path: 'perpetrators', from: [{ sex: 'x' }], to: [] }]],
  ];
  it.each(table)('%s', (_name, before, after, changes) => {
    expect(diffData(before, after, shape.subforms)).toEqual(changes);
  });
});

describe('nextFieldVersions', () => {
  it('stamps changed paths; a removed row keeps its stamp and forgets its fields', () => {
    const changes: FieldChange[] = [
      { path: 'age', from: 1, to: 2 },
      { path: 'perpetrators/p1', from: p1, to: null },
      { path: 'perpetrators/p2/sex', from: 'female', to: 'male' },
    ];
    expect(nextFieldVersions(fieldVersions, changes, 6)).toEqual({ age: 6, 'perpetrators/p1': 6, 'perpetrators/p2/sex': 6, 'perpetrators/p9': 5 });
  });
});

describe('a row removed and added again', () => {
  it('conflicts with an edit of its fields based on a version before that (the row\'s own stamp counts)', () => {
    // v2 removed p1 (its field stamps forgotten), v3 added a row with the same id again: only `perpetrators/p1` is stamped.
    const versions = nextFieldVersions(nextFieldVersions({}, [{ path: 'perpetrators/p1', from: p1, to: null }], 2), [{ path: 'perpetrators/p1', from: null, to: p1 }], 3);
    expect(versions).toEqual({ 'perpetrators/p1': 3 });
    const result = mergePatch({ stored, fieldVersions: versions, baseVersion: 1, patch: { perpetrators: [{ _id: 'p1', sex: 'female' }] } }, shape);
    expect(result.conflicts).toEqual(['perpetrators/p1/sex']);
    expect(mergePatch({ stored, fieldVersions: versions, baseVersion: 3, patch: { perpetrators: [{ _id: 'p1', sex: 'female' }] } }, shape).conflicts).toEqual([]);
  });

  it('conflicts with an edit of a row of a subform replaced as a whole since', () => {
    const result = mergePatch({ stored, fieldVersions: { perpetrators: 4 }, baseVersion: 2, patch: { perpetrators: [{ _id: 'p2', sex: 'male' }] } }, shape);
    expect(result.conflicts).toEqual(['perpetrators/p2/sex']);
  });

  it('changedSince looks at the path and every path above it', () => {
    const versions = { a: 2, 'b/r1': 3, 'c/r1/x': 4 };
    expect(['a', 'a/r1/x', 'b/r1/y', 'b/r2/y', 'c/r1/x', 'c/r1/y', 'c'].filter((path) => changedSince(versions, path, 2))).toEqual(['b/r1/y', 'c/r1/x']);
  });
});

describe('sideEffectConflicts', () => {
  const versions = { name: 3, 'perpetrators/p1/note': 3, perpetrator_count: 3, 'perpetrators/p1/age_group': 3 };
  const change = (path: string): FieldChange => ({ path, from: 1, to: 2 });

  it('finds changes the edit did not ask for to paths changed after its base, derived ones aside', () => {
    const changes = ['age', 'name', 'perpetrators/p1/note', 'perpetrator_count', 'perpetrators/p1/age_group', 'narrative'].map(change);
    expect(sideEffectConflicts(changes, ['age'], versions, 2, shape.derived)).toEqual(['name', 'perpetrators/p1/note']);
  });

  it('leaves alone what the merge checked and what nobody changed since', () => {
    expect(sideEffectConflicts([change('name')], ['name'], versions, 2, shape.derived)).toEqual([]);
    expect(sideEffectConflicts([change('name')], [], versions, 3, shape.derived)).toEqual([]);
  });
});

describe('odd keys', () => {
  it('keeps "__proto__" an ordinary own key (the engine reports it as unknown)', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "age": 17}') as RecordData;
    const result = mergePatch({ stored, fieldVersions, baseVersion: 1, patch }, shape);
    expect(Object.getPrototypeOf(result.data)).toBe(Object.prototype);
    expect(Object.keys(result.data)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
