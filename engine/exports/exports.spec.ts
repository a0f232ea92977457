/**
 * Export mappings on a small synthetic bundle: the checks of the file kind (identifying fields above
 * all), compiling, rows, headers, menus, spreadsheet safety and reading rows back. The GBVIMS Incident
 * Recorder itself has its golden test in test/configs/gbv-incident-recorder.spec.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { EngineError } from '../compile/engine-error.js';
import { compileOrThrow, loadIssues, makeBundle, type BundleSpec } from '../testing/bundle-factory.js';
import { FORMULA_START, isFormulaLike, spreadsheetSafe, toCell, unneutralise } from './cells.js';
import { compileExportMapping, listExportMappings } from './compile-export.js';

type Json = Record<string, unknown>;
const V = (path: string): Json => ({ var: path });

const FIELDS: Json[] = [
  { key: 'code', type: 'text', label: 'Code' },
  { key: 'dob', type: 'date', label: 'Date of birth', identifying: true },
  { key: 'visit', type: 'date', label: 'Visit' },
  { key: 'age', type: 'number', label: 'Age' },
  { key: 'sex', type: 'select', label: 'Sex', lookup: 'sex' },
  { key: 'colours', type: 'multi_select', label: 'Colours', lookup: 'colour' },
  { key: 'consent', type: 'yes_no', label: 'Consent' },
  { key: 'flag', type: 'yes_no', label: 'Flag' },
  { key: 'place', type: 'location', label: 'Place' },
  { key: 'notes', type: 'textarea', label: 'Notes', identifying: true },
  { key: 'camp', type: 'text', label: 'Camp' },
  { key: 'count_from_ir', type: 'number', label: 'Count (import)' },
  { key: 'total', type: 'number', label: 'Total', readOnly: true, compute: { value: { '+': [V('record.age'), 1] } } },
  { key: 'imported', type: 'textarea', label: 'Imported values' },
  {
    key: 'perps',
    type: 'subform',
    label: 'Perpetrators',
    fields: [
      { key: 'primary', type: 'radio', label: 'Primary', options: [{ value: 'primary', label: 'Primary' }, { value: 'secondary', label: 'Secondary' }] },
      { key: 'psex', type: 'select', label: 'Sex', lookup: 'sex' },
      { key: 'pname', type: 'text', label: 'Name', identifying: true },
    ],
  },
  {
    key: 'secrets',
    type: 'subform',
    label: 'Secrets',
    identifying: true,
    fields: [{ key: 'what', type: 'text', label: 'What' }],
  },
];
const LOOKUPS: Json[] = [
  { key: 'sex', label: 'Sex', values: [{ value: 'female', label: 'Female' }, { value: 'male', label: 'Male' }, { value: 'other', label: 'Other' }] },
  { key: 'yes_no', label: 'Yes or no', values: [{ value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }] },
  { key: 'colour', label: 'Colour', values: [{ value: 'red', label: 'Red' }, { value: 'blue', label: 'Blue (dark)' }] },
];
const LOCATIONS = {
  adminLevels: [
    { level: 0, key: 'country', label: 'Country' },
    { level: 1, key: 'county', label: 'County' },
    { level: 2, key: 'district', label: 'District' },
  ],
  locations: [
    { code: 'XX', level: 0, name: 'Country' },
    { code: 'XX01', level: 1, parent: 'XX', name: 'North' },
    { code: 'XX02', level: 1, parent: 'XX', name: 'South' },
    { code: 'XX01D1', level: 2, parent: 'XX01', name: 'Central' },
    { code: 'XX01D2', level: 2, parent: 'XX01', name: 'Lakeside' },
    { code: 'XX02D1', level: 2, parent: 'XX02', name: 'Central' },
  ],
};

const COLUMNS: Json[] = [
  { key: 'code', header: 'CODE', value: { field: 'code' }, import: { field: 'code' } },
  { key: 'year', header: 'YEAR OF BIRTH', type: 'number', value: { year_of: [V('record.dob')] } },
  { key: 'visit', header: 'VISIT', type: 'date', value: { field: 'visit' }, import: { field: 'visit' } },
  { key: 'sex', header: 'SEX', value: { recode: [V('record.sex'), [['female', 'F'], ['male', 'M']]] }, import: { field: 'sex', map: { F: 'female', M: 'male' } } },
  { key: 'sex_label', header: 'SEX LABEL', value: { lookup_label: [V('record.sex'), 'sex'] } },
  { key: 'colours', header: 'COLOURS', value: { lookup_label: [V('record.colours'), 'colour', ' & '] }, import: { field: 'colours', separator: ' & ' } },
  { key: 'consent', header: 'CONSENT', value: { lookup_label: [V('record.consent'), 'yes_no'] }, import: { field: 'consent' } },
  { key: 'county', header: 'COUNTY', value: { location_ancestor: [V('record.place'), 'county'] }, import: { field: 'place', level: 'county' } },
  { key: 'district', header: 'DISTRICT', value: { location_ancestor: [V('record.place'), 'district'] }, import: { field: 'place', level: 'district' } },
  { key: 'camp', header: 'CAMP', value: { field: 'camp' }, import: { field: 'camp' } },
  { key: 'perps', header: 'PRIMARY', type: 'number', value: { if: [{ '>': [{ count: [V('record.perps'), { '==': [V('row.primary'), 'primary'] }] }, 3] }, 'More than 3', { count: [V('record.perps'), { '==': [V('row.primary'), 'primary'] }] }] }, import: { field: 'count_from_ir', map: { 'More than 3': 4 } } },
  { key: 'first_sex', header: 'FIRST PRIMARY SEX', value: { lookup_label: [{ first_row: [V('record.perps'), { '==': [V('row.primary'), 'primary'] }, 'psex'] }, 'sex'] }, import: { field: 'perps.psex' } },
  { key: 'owner', header: 'OWNER CODE', value: V('meta.owner.code') },
  { key: 'raw', header: '+ RAW', value: V('record.age') },
];
const MAPPING: Json = {
  key: 'demo',
  label: 'Demo export',
  module: 'm',
  recordType: 'case',
  format: 'incident-recorder',
  include: { '===': [V('record.consent'), true] },
  sheets: [
    { key: 'data', label: 'Data', columns: COLUMNS },
    { key: 'menus', label: 'Menus', maxValues: 2, menus: [{ from: 'owner', header: 'OWNERS' }, { from: 'county', header: 'COUNTIES' }] },
  ],
  import: { unmappedField: 'imported' },
};
const FR: Record<string, string> = {
  'export.demo.label': 'Export de démonstration',
  'export.demo.data.label': 'Données',
  'export.demo.data.code.header': 'CODE FR',
  'export.demo.data.sex_label.header': 'LIBELLÉ DU SEXE',
  'export.demo.data.consent.header': 'CONSENTEMENT',
  'export.demo.menus.owner.header': 'PROPRIÉTAIRES',
  'lookup.sex.value.female': 'Féminin',
  'lookup.sex.value.male': 'Masculin',
  'lookup.yes_no.value.yes': 'Oui',
  'lookup.yes_no.value.no': 'Non',
  'location.XX01': 'Nord',
};

function spec(mapping: Json = MAPPING, overrides: Partial<BundleSpec> = {}): BundleSpec {
  return {
    fields: FIELDS,
    lookups: LOOKUPS,
    locations: { places: LOCATIONS },
    translations: { fr: FR },
    files: { [`exports/${String(mapping['key'])}.json`]: mapping },
    ...overrides,
  };
}
const MENUS = (MAPPING['sheets'] as Json[])[1] as Json;
const withColumn = (column: Json): Json => ({ ...MAPPING, sheets: [{ key: 'data', label: 'Data', columns: [...COLUMNS, column] }, MENUS] });
const withMapping = (changes: Json): Json => ({ ...MAPPING, ...changes });
const FILE = 'exports/demo.json';
const NEW_COLUMN = `/sheets/0/columns/${COLUMNS.length}`;

function issuesOf(bundleSpec: BundleSpec): string[] {
  return loadIssues(makeBundle(bundleSpec)).map((i) => `${i.code} ${i.file}#${i.pointer}`);
}

describe('export mapping checks', () => {
  it('accepts the demo mapping', () => {
    expect(issuesOf(spec())).toEqual([]);
  });

  describe('identifying fields are never written as they are', () => {
    it.each<[string, unknown, readonly string[]]>([
      ['the field shortcut', { field: 'dob' }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/field`]],
      ['a plain var', V('record.notes'), [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/var`]],
      ['through if', { if: [true, V('record.dob'), null] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/if/1/var`]],
      ['through cat', { cat: ['Notes: ', V('record.notes')] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/cat/1/var`]],
      ['as a var fallback', { var: ['record.code', V('record.dob')] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/var/1/var`]],
      ['year_of wrapping something else', { year_of: { if: [true, V('record.dob'), null] } }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/year_of/if/1/var`]],
      ['first_row of an identifying row field', { first_row: [V('record.perps'), true, 'pname'] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/first_row/2`]],
      ['map of an identifying row field', { map: [V('record.perps'), V('pname')] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/map/1/var`]],
      ['map of whole rows', { map: [V('record.perps'), V('')] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/map/1/var`]],
      ['filter hands rows on', { filter: [V('record.perps'), true] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/filter/0/var`]],
      ['a subform holding an identifying field', V('record.perps'), [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/var`]],
      ['an identifying subform field', { field: 'secrets' }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/field`]],
      ['a row field of an identifying subform', { first_row: [V('record.secrets'), true, 'what'] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/first_row/2`]],
      ['a condition on an identifying row field', { count: [V('record.perps'), { '==': [V('row.pname'), 'A'] }] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/count/1/==/0/var`]],
      ['reduce over identifying rows', { reduce: [V('record.perps'), V('current'), null] }, [`identifying_in_export ${FILE}#${NEW_COLUMN}/value/reduce/0/var`]],
      ['year_of', { year_of: [V('record.dob')] }, []],
      ['age_on', { age_on: [V('record.dob'), V('record.visit')] }, []],
      ['band of an age', { band: [{ age_on: [V('record.dob'), V('record.visit')] }, [17], ['child', 'adult']] }, []],
      ['is_empty', { if: [{ is_empty: [V('record.notes')] }, 'no notes', 'notes'] }, []],
      ['!!', { '!!': [V('record.notes')] }, []],
      ['missing', { missing: ['record.notes', 'record.dob'] }, []],
      ['count of identifying rows', { count: [V('record.secrets')] }, []],
      ['first_row of a plain row field', { first_row: [V('record.perps'), { '==': [V('row.primary'), 'primary'] }, 'psex'] }, []],
      ['any_row on plain row fields', { any_row: [V('record.perps'), { '==': [V('row.psex'), 'male'] }] }, []],
      ['map of a plain row field', { map: [V('record.perps'), V('psex')] }, []],
    ])('%s', (_name, value, expected) => {
      expect(issuesOf(spec(withColumn({ key: 'extra', header: 'EXTRA', value })))).toEqual(expected);
    });

    it('does not apply to include (nothing is written)', () => {
      expect(issuesOf(spec(withMapping({ include: { is_empty: [V('record.notes')] } })))).toEqual([]);
      expect(issuesOf(spec(withMapping({ include: { '!=': [V('record.notes'), null] } })))).toEqual([]);
    });
  });

  it.each<[string, Json, readonly string[]]>([
    ['unknown module', withMapping({ module: 'nope' }), [`unknown_module ${FILE}#/module`]],
    ['unknown record type', withMapping({ recordType: 'incident' }), [`unknown_record_type ${FILE}#/recordType`]],
    ['unknown field', withColumn({ key: 'x', header: 'X', value: { field: 'height' } }), [`unknown_field ${FILE}#${NEW_COLUMN}/value/field`]],
    ['unknown var field', withColumn({ key: 'x', header: 'X', value: V('record.height') }), [`unknown_var_field ${FILE}#${NEW_COLUMN}/value/var`]],
    ['user in an export', withColumn({ key: 'x', header: 'X', value: V('user.id') }), [`invalid_var_path ${FILE}#${NEW_COLUMN}/value/var`]],
    ['unknown meta', withColumn({ key: 'x', header: 'X', value: V('meta.owner.phone') }), [`invalid_var_path ${FILE}#${NEW_COLUMN}/value/var`]],
    ['unknown admin level', withColumn({ key: 'x', header: 'X', value: { location_ancestor: [V('record.place'), 'province'] } }), [`unknown_admin_level ${FILE}#${NEW_COLUMN}/value/location_ancestor/1`]],
    ['unknown lookup', withColumn({ key: 'x', header: 'X', value: { lookup_label: [V('record.sex'), 'gender'] } }), [`unknown_lookup ${FILE}#${NEW_COLUMN}/value/lookup_label/1`]],
    ['bad include', withMapping({ include: V('today') }), [`invalid_var_path ${FILE}#/include/var`]],
    ['duplicate column', withColumn({ key: 'code', header: 'X', value: null }), [`duplicate_key ${FILE}#${NEW_COLUMN}/key`]],
    ['two data sheets', withMapping({ sheets: [{ key: 'a', label: 'A', columns: COLUMNS }, { key: 'b', label: 'B', columns: COLUMNS }] }), [`invalid_sheet ${FILE}#/sheets`]],
    ['no data sheet', withMapping({ sheets: [{ key: 'menus', label: 'Menus', menus: [{ from: 'owner', header: 'O' }] }] }), [`invalid_sheet ${FILE}#/sheets`]],
    ['two menu sheets', withMapping({ sheets: [{ key: 'a', label: 'A', columns: COLUMNS }, { key: 'b', label: 'B', menus: [{ from: 'owner', header: 'O' }] }, { key: 'c', label: 'C', menus: [{ from: 'owner', header: 'O' }] }] }), [`invalid_sheet ${FILE}#/sheets`]],
    ['columns and menus', withMapping({ sheets: [{ key: 'a', label: 'A', columns: COLUMNS, menus: [{ from: 'owner', header: 'O' }] }] }), [`invalid_sheet ${FILE}#/sheets/0`, `invalid_sheet ${FILE}#/sheets`]],
    ['duplicate sheet', withMapping({ sheets: [{ key: 'a', label: 'A', columns: COLUMNS }, { key: 'a', label: 'B', menus: [{ from: 'owner', header: 'O' }] }] }), [`duplicate_key ${FILE}#/sheets/1/key`]],
    ['maxValues on a data sheet', withMapping({ sheets: [{ key: 'a', label: 'A', maxValues: 5, columns: COLUMNS }] }), [`invalid_sheet ${FILE}#/sheets/0/maxValues`]],
    ['menu of no column', withMapping({ sheets: [{ key: 'a', label: 'A', columns: COLUMNS }, { key: 'b', label: 'B', menus: [{ from: 'nope', header: 'O' }] }] }), [`unknown_column ${FILE}#/sheets/1/menus/0/from`]],
    ['menu twice', withMapping({ sheets: [{ key: 'a', label: 'A', columns: COLUMNS }, { key: 'b', label: 'B', menus: [{ from: 'owner', header: 'O' }, { from: 'owner', header: 'P' }] }] }), [`duplicate_key ${FILE}#/sheets/1/menus/1/from`]],
    ['import into an unknown field', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'height' } }), [`unknown_field ${FILE}#${NEW_COLUMN}/import/field`]],
    ['import into an unknown row field', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'perps.height' } }), [`unknown_field ${FILE}#${NEW_COLUMN}/import/field`]],
    ['import into a subform', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'perps' } }), [`invalid_import ${FILE}#${NEW_COLUMN}/import/field`]],
    ['import into a computed field', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'total' } }), [`invalid_import ${FILE}#${NEW_COLUMN}/import/field`]],
    ['import twice into one field', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'code' } }), [`invalid_import ${FILE}#${NEW_COLUMN}/import/field`]],
    ['level on a text field', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'notes', level: 'county' } }), [`invalid_import ${FILE}#${NEW_COLUMN}/import/level`]],
    ['unknown import level', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'place', level: 'province' } }), [`unknown_admin_level ${FILE}#${NEW_COLUMN}/import/level`]],
    ['separator on a select', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'notes', separator: '&' } }), [`invalid_import ${FILE}#${NEW_COLUMN}/import/separator`]],
    ['map to a value that is not an option', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'perps.primary', map: { P: 'main' } } }), [`invalid_import ${FILE}#${NEW_COLUMN}/import/map/P`]],
    ['map to text on a yes/no field', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'flag', map: { Y: 'yes' } } }), [`invalid_import ${FILE}#${NEW_COLUMN}/import/map/Y`]],
    ['unmapped values into a number', withMapping({ import: { unmappedField: 'age' } }), [`invalid_import ${FILE}#/import/unmappedField`]],
    ['unmapped values into no field', withMapping({ import: { unmappedField: 'nope' } }), [`unknown_field ${FILE}#/import/unmappedField`]],
  ])('%s', (_name, mapping, expected) => {
    // Sheets renamed here leave the demo's French headers behind: those issues are not the point.
    expect(issuesOf(spec(mapping)).filter((issue) => !issue.startsWith('unknown_translation_key'))).toEqual(expected);
  });

  it.each<[string, Json, string]>([
    ['an unknown format', withMapping({ format: 'pdf' }), `invalid_value ${FILE}#/format`],
    ['an unknown cell type', withColumn({ key: 'x', header: 'X', value: null, type: 'money' }), `invalid_value ${FILE}#${NEW_COLUMN}/type`],
    ['a column without header', withColumn({ key: 'x', value: null }), `missing_property ${FILE}#${NEW_COLUMN}/header`],
    ['an unknown property', withMapping({ colums: [] }), `unknown_property ${FILE}#/colums`],
    ['a bad import path', withColumn({ key: 'x', header: 'X', value: null, import: { field: 'a.b.c' } }), `invalid_format ${FILE}#${NEW_COLUMN}/import/field`],
  ])('refuses %s (schema)', (_name, mapping, expected) => {
    expect(issuesOf(spec(mapping))).toContain(expected);
  });

  it('wants the file named after the key', () => {
    expect(issuesOf({ ...spec(), files: { 'exports/other.json': MAPPING } })).toEqual(['file_name_mismatch exports/other.json#']);
  });

  it('knows the translation keys of labels and headers, and no others', () => {
    expect(issuesOf(spec(MAPPING, { translations: { fr: { ...FR, 'export.demo.data.nope.header': 'X', 'export.demo.menus.nope.header': 'Y' } } }))).toEqual([
      'unknown_translation_key translations/fr.json#/export.demo.data.nope.header',
      'unknown_translation_key translations/fr.json#/export.demo.menus.nope.header',
    ]);
  });

  it('does not report translations of a mapping that failed its schema', () => {
    expect(issuesOf(spec(withMapping({ format: 'pdf' })))).toEqual([`invalid_value ${FILE}#/format`]);
  });
});

describe('spreadsheet safety', () => {
  it('isFormulaLike agrees with FORMULA_START on every first code unit', () => {
    const disagree: number[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const text = `${String.fromCharCode(code)}x`;
      if (isFormulaLike(text) !== FORMULA_START.test(text)) disagree.push(code);
    }
    expect(disagree).toEqual([]);
    expect(isFormulaLike('')).toBe(false);
  });

  it.each<[unknown, unknown]>([
    ['=1+1', "'=1+1"],
    ['=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'],
    ['+254 700 000', "'+254 700 000"],
    ['-42', "'-42"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['Camp 1', 'Camp 1'],
    [' =1', ' =1'],
    ["'=1", "'=1"],
    ['', ''],
    [-42, -42],
    [null, null],
  ])('%j -> %j', (value, expected) => {
    expect(spreadsheetSafe(value)).toEqual(expected);
  });

  it('recognises formula-like text and undoes its own quote only', () => {
    expect(isFormulaLike('=x')).toBe(true);
    expect(isFormulaLike('x=')).toBe(false);
    expect(unneutralise("'=1+1")).toBe('=1+1');
    expect(unneutralise("'quoted'")).toBe("'quoted'");
  });

  it.each<[unknown, 'text' | 'date' | 'number', unknown]>([
    ['text', 'text', 'text'],
    ['=cmd', 'text', "'=cmd"],
    ['', 'text', null],
    [undefined, 'text', null],
    [2009, 'text', '2009'],
    [2009, 'number', 2009],
    [Number.NaN, 'number', null],
    ['More than 3', 'number', 'More than 3'],
    ['2026-03-02', 'date', '2026-03-02'],
    [2026, 'date', 2026],
    [true, 'text', 'true'],
    [['a', 1, null, '=b'], 'text', 'a, 1, =b'],
    [['=b', 'a'], 'text', "'=b, a"],
    [[], 'text', null],
    [{ _id: '1', name: 'x' }, 'text', null],
    [[{ _id: '1' }], 'text', null],
  ])('cell %j as %s -> %j', (value, type, expected) => {
    expect(toCell(value, type)).toEqual(expected);
  });
});

describe('compileExportMapping', () => {
  const compiled = compileOrThrow(makeBundle(spec()));
  const demo = compileExportMapping(compiled, 'demo');
  const record = {
    code: '=HYPERLINK("http://evil","click")',
    dob: '2011-05-04',
    visit: '2026-02-01',
    age: 14,
    sex: 'female',
    colours: ['blue', 'red'],
    consent: true,
    place: 'XX01D2',
    notes: 'Never exported',
    camp: 'Camp A',
    perps: [
      { _id: '1', primary: 'secondary', psex: 'female', pname: 'X' },
      { _id: '2', primary: 'primary', psex: 'male', pname: 'Y' },
    ],
  };
  const meta = { owner: { username: 'amina', code: 'CW1' } };

  it('is memoised per configuration and lists its mappings', () => {
    expect(compileExportMapping(compiled, 'demo')).toBe(demo);
    expect(listExportMappings(compiled)).toEqual([{ key: 'demo', label: 'Demo export', module: 'm', recordType: 'case', format: 'incident-recorder' }]);
  });

  it('throws for a mapping the configuration does not have', () => {
    expect(() => compileExportMapping(compiled, 'nope')).toThrow(EngineError);
  });

  it('describes its sheets and columns', () => {
    expect(demo.dataSheet).toEqual({ key: 'data' });
    expect(demo.menuSheet).toEqual({ key: 'menus', maxValues: 2 });
    expect(demo.locales).toEqual(['en', 'fr', 'ar']);
    expect(demo.columns.map((c) => `${c.key}:${c.type}:${c.reversible ? 'r' : '-'}`)).toEqual([
      'code:text:r', 'year:number:-', 'visit:date:r', 'sex:text:r', 'sex_label:text:-', 'colours:text:r', 'consent:text:r',
      'county:text:r', 'district:text:r', 'camp:text:r', 'perps:number:r', 'first_sex:text:r', 'owner:text:-', 'raw:text:-',
    ]);
    expect([demo.label(), demo.label('fr'), demo.sheetLabel('data', 'fr'), demo.sheetLabel('menus', 'fr')]).toEqual(['Demo export', 'Export de démonstration', 'Données', 'Menus']);
  });

  it('localises headers (falling back to the language, then the base text) and makes them safe', () => {
    expect(demo.headers()).toEqual(['CODE', 'YEAR OF BIRTH', 'VISIT', 'SEX', 'SEX LABEL', 'COLOURS', 'CONSENT', 'COUNTY', 'DISTRICT', 'CAMP', 'PRIMARY', 'FIRST PRIMARY SEX', 'OWNER CODE', "'+ RAW"]);
    const fr = demo.headers('fr');
    expect([fr[0], fr[4], fr[6], fr[1]]).toEqual(['CODE FR', 'LIBELLÉ DU SEXE', 'CONSENTEMENT', 'YEAR OF BIRTH']);
    expect(demo.headers('fr-CA')).toEqual(fr);
    expect(demo.headers('es')).toEqual(demo.headers('en'));
    expect(demo.menuHeaders('fr')).toEqual(['PROPRIÉTAIRES', 'COUNTIES']);
  });

  it('writes a row: typed, localised, safe, never the identifying values', () => {
    expect(demo.row(record, meta)).toEqual([
      '\'=HYPERLINK("http://evil","click")', 2011, '2026-02-01', 'F', 'Female', 'Blue (dark) & Red', 'Yes', 'North', 'Lakeside', 'Camp A', 1, 'Male', 'CW1', '14',
    ]);
    expect(demo.row(record, meta, 'fr')).toEqual([
      '\'=HYPERLINK("http://evil","click")', 2011, '2026-02-01', 'F', 'Féminin', 'Blue (dark) & Red', 'Oui', 'Nord', 'Lakeside', 'Camp A', 1, 'Masculin', 'CW1', '14',
    ]);
    const cells = JSON.stringify(demo.row(record, meta));
    expect(cells).not.toContain('Never exported');
    expect(cells).not.toContain('2011-05-04');
  });

  it('writes empty cells for an empty record and no meta, and never throws on odd data', () => {
    expect(demo.row({})).toEqual([null, null, null, null, null, null, null, null, null, null, 0, null, null, null]);
    expect(demo.row(null as never)).toEqual([null, null, null, null, null, null, null, null, null, null, 0, null, null, null]);
    expect(demo.row({ perps: 'not rows', colours: { a: 1 }, dob: 42, place: ['XX01'] })[10]).toBe(0);
  });

  it('applies include', () => {
    expect(demo.includes(record)).toBe(true);
    expect(demo.includes({ ...record, consent: false })).toBe(false);
    expect(demo.includes({})).toBe(false);
  });

  it('collects distinct menu values, in order, up to maxValues', () => {
    const rows = [
      demo.row(record, { owner: { code: 'CW1' } }),
      demo.row({ ...record, place: 'XX02D1' }, { owner: { code: 'CW2' } }),
      demo.row(record, { owner: { code: 'CW1' } }),
      demo.row({ ...record, place: 'XX' }, { owner: { code: 'CW3' } }),
    ];
    expect(demo.menuValues(rows)).toEqual([
      { from: 'owner', values: ['CW1', 'CW2'], truncated: true },
      { from: 'county', values: ['North', 'South'], truncated: false },
    ]);
    const collector = demo.menuCollector();
    collector.add(rows[1] as never);
    expect(collector.values()).toEqual([
      { from: 'owner', values: ['CW2'], truncated: false },
      { from: 'county', values: ['South'], truncated: false },
    ]);
  });
});

describe('importRow', () => {
  const compiled = compileOrThrow(makeBundle(spec()));
  const demo = compileExportMapping(compiled, 'demo');
  const headers = demo.headers();

  it('reads back what it writes', () => {
    const record = { code: '=1+1', visit: '2026-02-01', sex: 'male', colours: ['blue', 'red'], consent: false, place: 'XX01D2', camp: 'Camp A', perps: [{ _id: 'p', primary: 'primary', psex: 'female' }] };
    const { data, unmapped, issues } = demo.importRow(headers, demo.row(record, { owner: { code: 'CW9' } }), { rowId: (subform) => `${subform}-1` });
    expect(issues).toEqual([]);
    expect(data).toEqual({
      code: '=1+1',
      visit: '2026-02-01',
      sex: 'male',
      colours: ['blue', 'red'],
      consent: false,
      place: 'XX01D2',
      camp: 'Camp A',
      count_from_ir: 1,
      perps: [{ _id: 'perps-1', psex: 'female' }],
      imported: 'SEX LABEL: Male\nOWNER CODE: CW9',
    });
    expect(unmapped).toEqual({ sex_label: 'Male', owner: 'CW9' });
  });

  it('reports a kept cell holding a character no record can store, and keeps nothing of it', () => {
    const { data, unmapped, issues } = demo.importRow(['SEX LABEL', 'OWNER CODE', 'VISIT'], ['Ma\u0000le', 'CW\uD8009', 'not a date \u0000']);
    expect(issues.map((i) => [i.code, i.column])).toEqual([
      ['invalid_character', 'sex_label'],
      ['invalid_character', 'owner'],
      ['unmapped_value', 'visit'],
      ['invalid_character', 'visit'],
    ]);
    expect(data).toEqual({});
    expect(unmapped).toEqual({});
  });

  it('reads headers and labels of any locale, keys, case and spacing aside', () => {
    const { data, issues } = demo.importRow(
      ['code fr', 'consentement', 'Libellé  du sexe', 'colours', 'first_sex', 'VISIT'],
      ['A-1', 'Oui', 'Féminin', 'Blue & red', 'Masculin', '02-Mar-2026'],
    );
    expect(issues).toEqual([]);
    expect(data).toEqual({ code: 'A-1', consent: true, colours: ['blue', 'red'], perps: [{ _id: 'ir_import', psex: 'male' }], visit: '2026-03-02', imported: 'SEX LABEL: Féminin' });
  });

  it.each<[string, unknown, unknown]>([
    ['ISO text', '2026-03-02', '2026-03-02'],
    ['ISO date-time', '2026-03-02T10:00:00Z', '2026-03-02'],
    ['a date cell', new Date(Date.UTC(2026, 2, 2)), '2026-03-02'],
    ['an Excel serial number', 45658, '2025-01-01'],
    ["Primero's dd-Mon-yyyy", '2-Mar-2026', '2026-03-02'],
  ])('reads a date from %s', (_name, cell, expected) => {
    expect(demo.importRow(['VISIT'], [cell]).data['visit']).toBe(expected);
  });

  it('maps with the column map first, numbers otherwise', () => {
    expect(demo.importRow(['PRIMARY'], ['More than 3']).data).toEqual({ count_from_ir: 4 });
    expect(demo.importRow(['PRIMARY'], ['2']).data).toEqual({ count_from_ir: 2 });
    expect(demo.importRow(['SEX'], ['f']).data).toEqual({ sex: 'female' });
  });

  it('resolves places from the location columns, deepest first', () => {
    expect(demo.importRow(['COUNTY', 'DISTRICT'], ['South', 'Central']).data).toEqual({ place: 'XX02D1' });
    expect(demo.importRow(['COUNTY'], ['Nord']).data).toEqual({ place: 'XX01' });
    expect(demo.importRow(['DISTRICT'], ['Lakeside']).data).toEqual({ place: 'XX01D2' });
  });

  it('reports what it cannot read and keeps it', () => {
    const result = demo.importRow(
      ['CODE', 'VISIT', 'SEX', 'COUNTY', 'DISTRICT', 'COLOURS', 'SURVIVOR NAME', 'CODE', '', 'YEAR OF BIRTH', 'CAMP'],
      ['A', '31/12/2025', 'X', 'North', 'Atlantis', 'Red & Green', 'Amina', 'B', 'stray', 1990, '   '],
    );
    expect(result.issues.map((issue) => `${issue.code} ${issue.column}`)).toEqual([
      'unmapped_value visit',
      'unmapped_value sex',
      'unmapped_value district',
      'unmapped_value colours',
      'unknown_header SURVIVOR NAME',
      'duplicate_header code',
      'unknown_header column 9',
    ]);
    expect(result.data).toEqual({
      code: 'A',
      place: 'XX01',
      imported: 'YEAR OF BIRTH: 1990\nVISIT: 31/12/2025\nSEX: X\nCOLOURS: Red & Green\nDISTRICT: Atlantis',
    });
    expect(result.unmapped).toEqual({ visit: '31/12/2025', sex: 'X', district: 'Atlantis', colours: 'Red & Green', 'SURVIVOR NAME': 'Amina', 'column 9': 'stray', year: 1990 });
  });

  it('reports places on different branches and names it cannot tell apart', () => {
    const mismatch = demo.importRow(['COUNTY', 'DISTRICT'], ['South', 'Lakeside']);
    expect(mismatch.issues.map((issue) => `${issue.code} ${issue.column}`)).toEqual(['location_mismatch district']);
    expect(mismatch.data['place']).toBe('XX02');
    const ambiguous = demo.importRow(['DISTRICT'], ['Central']);
    expect(ambiguous.issues.map((issue) => `${issue.code} ${issue.column}`)).toEqual(['unmapped_value district']);
    expect(ambiguous.data['place']).toBeUndefined();
  });
});
