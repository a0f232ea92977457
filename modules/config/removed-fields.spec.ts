import { describe, expect, it } from '@jest/globals';
import { compileBundles, loadBundles } from '../../engine/index.js';
import { keepRemovedValues, removedFieldValues } from './removed-fields.js';

/** A one-form bundle (module m, record type case) holding `fields`. */
function compiled(version: string, fields: unknown[]) {
  const files = {
    'bundle.json': JSON.stringify({ key: 'test', version, title: 'Test', baseLanguage: 'en', locales: ['en'] }),
    'modules/m.json': JSON.stringify({ key: 'm', label: 'M', recordTypes: ['case'] }),
    'record-types/m.case.json': JSON.stringify({ key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }] }),
    'forms/m.case.main_form.json': JSON.stringify({ key: 'main_form', module: 'm', recordType: 'case', label: 'Main', group: 'main', fields }),
  };
  const result = loadBundles([files]);
  if (!result.bundles) throw new Error(JSON.stringify(result.issues));
  return compileBundles(result.bundles);
}

const PEOPLE = { key: 'people', type: 'subform', label: 'People', fields: [{ key: 'person_name', type: 'text', label: 'Name' }, { key: 'person_age', type: 'number', label: 'Age' }] };
const before = compiled('1.0.0', [{ key: 'age', type: 'number', label: 'Age' }, { key: 'notes', type: 'textarea', label: 'Notes' }, PEOPLE]);
const after = compiled('2.0.0', [{ key: 'age', type: 'number', label: 'Age' }, { ...PEOPLE, fields: [PEOPLE.fields[0]] }]);

const row = {
  module: 'm',
  recordType: 'case',
  data: { age: 30, notes: 'kept', people: [{ _id: 'r1', person_name: 'A', person_age: 12 }, { _id: 'r2', person_name: 'B', person_age: null }] },
};

describe('removedFieldValues', () => {
  it('gives the values of fields the configuration no longer has, with the old labels', () => {
    expect(removedFieldValues(after, row, before)).toEqual([
      { path: 'notes', value: 'kept', label: 'Notes', type: 'textarea' },
      { path: 'people.person_age', rowId: 'r1', value: 12, label: 'Age', type: 'number' },
    ]);
  });

  it('gives nothing under the configuration the record was written with', () => {
    expect(removedFieldValues(before, row)).toEqual([]);
  });

  it('without the old configuration, values come without labels', () => {
    expect(removedFieldValues(after, row)[0]).toEqual({ path: 'notes', value: 'kept' });
  });

  it('keepRemovedValues carries top-level removed values over on a write', () => {
    expect(keepRemovedValues(after, 'm', 'case', row.data)).toEqual({ notes: 'kept' });
  });
});
