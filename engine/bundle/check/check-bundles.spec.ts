/** Step 2: cross-references. Each case plants one mistake in an otherwise valid bundle. */
import { describe, expect, it } from '@jest/globals';
import { loadIssues, makeBundle, makeCoreBundle, makeForm, type BundleSpec } from '../../testing/bundle-factory.js';

type Json = Record<string, unknown>;

const FIELDS: Json[] = [
  { key: 'name', type: 'text', label: 'Name', identifying: true, aliases: ['full_name'] },
  { key: 'dob', type: 'date', label: 'Date of birth' },
  { key: 'age', type: 'number', label: 'Age', visibleIf: { '!': [{ var: 'record.dob' }] } },
  { key: 'sex', type: 'select', label: 'Sex', lookup: 'sex' },
  { key: 'place', type: 'location', label: 'Place', adminLevels: ['county'] },
  {
    key: 'perps',
    type: 'subform',
    label: 'Perpetrators',
    rowLabelFields: ['psex'],
    fields: [
      { key: 'psex', type: 'radio', label: 'Sex', options: [{ value: 'f', label: 'F' }, { value: 'm', label: 'M' }] },
      { key: 'page', type: 'number', label: 'Age', visibleIf: { '==': [{ var: 'row.psex' }, 'm'] } },
    ],
  },
];
const LOOKUPS: Json[] = [{ key: 'sex', label: 'Sex', values: [{ value: 'female', label: 'Female' }, { value: 'male', label: 'Male' }] }];
const LOCATIONS = {
  adminLevels: [{ level: 0, key: 'country', label: 'Country' }, { level: 1, key: 'county', label: 'County' }],
  locations: [{ code: 'XX', level: 0, name: 'Country' }, { code: 'XX01', level: 1, parent: 'XX', name: 'County 1' }],
};
const RULES: Json[] = [
  { key: 'age_plausible', kind: 'validation', assert: { '<': [{ var: 'record.age' }, 130] }, path: '/age', message: 'Implausible age.' },
  { key: 'perp_age', kind: 'validation', subform: 'perps', assert: { '>=': [{ var: 'row.page' }, 0] }, path: '/page', message: 'Bad age.' },
];

function spec(overrides: Partial<BundleSpec> = {}): BundleSpec {
  return { fields: FIELDS, lookups: LOOKUPS, locations: { places: LOCATIONS }, rules: RULES, translations: { fr: { 'field.m.case.name.label': 'Nom' } }, ...overrides };
}
const withField = (field: Json): BundleSpec => spec({ fields: [...FIELDS, field] });
/** Replaces a field; rules are dropped so that only the planted mistake is reported. */
const replaceField = (key: string, field: Json): BundleSpec => spec({ fields: FIELDS.map((f) => (f['key'] === key ? field : f)), rules: [RULES[0] as Json] });
const FORM = 'forms/m.case.main_form.json';

function issuesOf(bundleSpec: BundleSpec, ...others: Record<string, string>[]): string[] {
  return loadIssues(makeBundle(bundleSpec), ...others).map((i) => `${i.code} ${i.file}#${i.pointer}`);
}

describe('checkBundles', () => {
  it('accepts the base bundle', () => {
    expect(issuesOf(spec())).toEqual([]);
  });

  it.each<[string, BundleSpec, string]>([
    ['duplicate field across forms', spec({ forms: [makeForm([{ key: 'name', type: 'text', label: 'Again' }], { key: 'second_form' })] }), 'duplicate_field forms/m.case.second_form.json#/fields/0/key'],
    ['duplicate field in subform rows', replaceField('perps', { key: 'perps', type: 'subform', label: 'P', fields: [{ key: 'a', type: 'text', label: 'A' }, { key: 'a', type: 'text', label: 'B' }] }), `duplicate_field ${FORM}#/fields/5/fields/1/key`],
    ['reserved field key', withField({ key: 'constructor', type: 'text', label: 'C' }), `reserved_key ${FORM}#/fields/6/key`],
    ['duplicate lookup option', spec({ lookups: [{ key: 'sex', label: 'Sex', values: [{ value: 'x', label: 'X' }, { value: 'x', label: 'Y' }] }] }), 'duplicate_option lookups/sex.json#/values/1/value'],
    ['duplicate inline option', withField({ key: 'c', type: 'radio', label: 'C', options: [{ value: 'a', label: 'A' }, { value: 'a', label: 'B' }] }), `duplicate_option ${FORM}#/fields/6/options/1/value`],
    ['unknown lookup', withField({ key: 'c', type: 'select', label: 'C', lookup: 'colour' }), `unknown_lookup ${FORM}#/fields/6/lookup`],
    ['options and lookup', withField({ key: 'c', type: 'select', label: 'C', lookup: 'sex', options: [{ value: 'a', label: 'A' }] }), `invalid_option_source ${FORM}#/fields/6/lookup`],
    ['no option source', withField({ key: 'c', type: 'select', label: 'C' }), `invalid_option_source ${FORM}#/fields/6`],
    ['unknown option tag', withField({ key: 'c', type: 'select', label: 'C', lookup: 'sex', optionsIf: { minor: true } }), `unknown_option_tag ${FORM}#/fields/6/optionsIf/minor`],
    ['unknown module', spec({ files: { 'forms/zz.case.other.json': makeForm([], { key: 'other', module: 'zz' }) } }), 'unknown_module forms/zz.case.other.json#/module'],
    ['record type not listed', spec({ files: { 'forms/m.incident.f2.json': makeForm([], { key: 'f2', recordType: 'incident' }) } }), 'unknown_record_type forms/m.incident.f2.json#/recordType'],
    ['unknown form group', spec({ files: { 'forms/m.case.f2.json': makeForm([], { key: 'f2', group: 'nowhere' }) } }), 'unknown_form_group forms/m.case.f2.json#/group'],
    ['file name mismatch', spec({ files: { 'forms/m.case.wrong.json': makeForm([], { key: 'f2' }) } }), 'file_name_mismatch forms/m.case.wrong.json#'],
    ['alias equals a key', withField({ key: 'c', type: 'text', label: 'C', aliases: ['name'] }), `alias_collision ${FORM}#/fields/6/aliases/0`],
    ['alias used twice', withField({ key: 'c', type: 'text', label: 'C', aliases: ['full_name'] }), `alias_collision ${FORM}#/fields/6/aliases/0`],
    ['unknown operator', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { regex: ['a', 'b'] } }), `unknown_operator ${FORM}#/fields/6/visibleIf/regex`],
    ['method is not allowed', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { method: [{ var: 'record.name' }, 'toUpperCase'] } }), `unknown_operator ${FORM}#/fields/6/visibleIf/method`],
    ['log is not allowed', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { log: [{ var: 'record.name' }] } }), `unknown_operator ${FORM}#/fields/6/visibleIf/log`],
    ['object with two operators', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { '==': [1, 1], '!=': [1, 2] } }), `invalid_logic ${FORM}#/fields/6/visibleIf`],
    ['wrong arity of a custom op', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { days_between: ['2026-01-01'] } }), `invalid_logic ${FORM}#/fields/6/visibleIf/days_between`],
    ['computed var path', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { var: { cat: ['record.', 'name'] } } }), `invalid_logic ${FORM}#/fields/6/visibleIf/var`],
    ['var path outside the context', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { var: 'name' } }), `invalid_var_path ${FORM}#/fields/6/visibleIf/var`],
    ['var path into user internals', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { var: 'user.password' } }), `invalid_var_path ${FORM}#/fields/6/visibleIf/var`],
    ['unsafe var path', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { var: 'record.name.__proto__' } }), `unsafe_var_path ${FORM}#/fields/6/visibleIf/var`],
    ['unknown record field', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { '==': [{ var: 'record.nmae' }, 'x'] } }), `unknown_var_field ${FORM}#/fields/6/visibleIf/==/0/var`],
    ['row outside a subform', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { var: 'row.psex' } }), `row_outside_subform ${FORM}#/fields/6/visibleIf/var`],
    ['unknown row field', replaceField('perps', { key: 'perps', type: 'subform', label: 'P', fields: [{ key: 'a', type: 'text', label: 'A', visibleIf: { var: 'row.b' } }] }), `unknown_var_field ${FORM}#/fields/5/fields/0/visibleIf/var`],
    ['unknown field in a per-row condition', withField({ key: 'c', type: 'number', label: 'C', compute: { value: { count: [{ var: 'record.perps' }, { var: 'row.nope' }] } } }), `unknown_var_field ${FORM}#/fields/6/compute/value/count/1/var`],
    ['unknown field in sum_of', withField({ key: 'c', type: 'number', label: 'C', compute: { value: { sum_of: [{ var: 'record.perps' }, 'nope'] } } }), `unknown_var_field ${FORM}#/fields/6/compute/value/sum_of/1`],
    ['unknown lookup in in_lookup', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { in_lookup: [{ var: 'record.sex' }, 'gender'] } }), `unknown_lookup ${FORM}#/fields/6/visibleIf/in_lookup/1`],
    ['unknown field in element scope', withField({ key: 'c', type: 'text', label: 'C', visibleIf: { some: [{ var: 'record.perps' }, { var: 'nope' }] } }), `unknown_var_field ${FORM}#/fields/6/visibleIf/some/1/var`],
    ['calculated without compute', withField({ key: 'c', type: 'calculated', label: 'C' }), `compute_required ${FORM}#/fields/6`],
    ['required and read-only', withField({ key: 'c', type: 'text', label: 'C', required: true, readOnly: true }), `required_read_only ${FORM}#/fields/6/required`],
    ['compute cycle', spec({ fields: [...FIELDS, { key: 'c1', type: 'number', label: 'C1', compute: { value: { var: 'record.c2' } } }, { key: 'c2', type: 'number', label: 'C2', compute: { value: { '+': [{ var: 'record.c1' }, 1] } } }] }), `compute_cycle ${FORM}#/fields/6/compute`],
    ['invalid pattern', withField({ key: 'c', type: 'text', label: 'C', pattern: '([a-z' }), `invalid_pattern ${FORM}#/fields/6/pattern`],
    ['min above max', withField({ key: 'c', type: 'number', label: 'C', min: 5, max: 1 }), `invalid_range ${FORM}#/fields/6/min`],
    ['row label field unknown', replaceField('perps', { key: 'perps', type: 'subform', label: 'P', rowLabelFields: ['zz'], fields: [{ key: 'a', type: 'text', label: 'A' }] }), `unknown_field ${FORM}#/fields/5/rowLabelFields/0`],
    ['tally total item', withField({ key: 'c', type: 'tally', label: 'C', items: [{ key: 'total', label: 'T' }] }), `reserved_key ${FORM}#/fields/6/items/0/key`],
    ['unknown admin level on a field', replaceField('place', { key: 'place', type: 'location', label: 'P', adminLevels: ['province'] }), `unknown_admin_level ${FORM}#/fields/4/adminLevels/0`],
    ['rule on unknown subform', spec({ rules: [{ ...RULES[1], subform: 'victims' }] }), 'unknown_subform rules/m.case.json#/rules/0/subform'],
    ['rule path not a field', spec({ rules: [{ ...RULES[0], path: '/agee' }] }), 'unknown_field rules/m.case.json#/rules/0/path'],
    ['record rule uses row', spec({ rules: [{ ...RULES[0], assert: { var: 'row.page' } }] }), 'row_outside_subform rules/m.case.json#/rules/0/assert/var'],
    ['duplicate rule key', spec({ rules: [RULES[0] as Json, RULES[0] as Json] }), 'duplicate_key rules/m.case.json#/rules/1/key'],
    ['translation for unknown key', spec({ translations: { fr: { 'field.m.case.nmae.label': 'Nom' } } }), 'unknown_translation_key translations/fr.json#/field.m.case.nmae.label'],
    ['translation for unknown locale', spec({ translations: { de: { 'field.m.case.name.label': 'Name' } } }), 'unknown_locale translations/de.json#'],
    ['base language not a locale', spec({ manifest: { baseLanguage: 'es' } }), 'base_language_not_in_locales bundle.json#/baseLanguage'],
    ['list field unknown', spec({ recordTypes: [{ key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }], listFields: ['nmae'] }] }), 'unknown_field record-types/m.case.json#/listFields/0'],
    ['index field unknown', spec({ recordTypes: [{ key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }], indexes: [{ field: 'x' }] }] }), 'unknown_field record-types/m.case.json#/indexes/0/field'],
    ['composite index field unknown', spec({ recordTypes: [{ key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }], indexes: [{ field: 'sex' }, { fields: ['sex', 'x'] }] }] }), 'unknown_field record-types/m.case.json#/indexes/1/fields/1'],
    ['module lists a record type without a file', spec({ modules: [{ key: 'm', label: 'M', recordTypes: ['case', 'incident'] }] }), 'unknown_record_type modules/m.json#/recordTypes/1'],
  ])('%s', (_name, bundleSpec, expected) => {
    expect(issuesOf(bundleSpec)).toEqual([expected]);
  });

  it.each<[string, unknown]>([
    ['user, today and now', { and: [{ in: ['supervisor', { var: 'user.roles' }] }, { '<': [{ var: 'record.dob' }, { var: 'today' }] }, { var: 'now' }] }],
    ['a fallback value', { var: ['record.age', 0] }],
    ['deep paths into a field', { '==': [{ var: 'record.perps.0.psex' }, 'f'] }],
    ['missing and missing_some', { or: [{ missing: ['record.name', 'record.dob'] }, { missing_some: [1, ['record.age', 'record.dob']] }] }],
    ['element scope over rows', { all: [{ var: 'record.perps' }, { '==': [{ var: 'psex' }, 'f'] }] }],
    ['element scope over a computed list', { some: [{ merge: [{ var: 'record.name' }] }, { '==': [{ var: '' }, 'x'] }] }],
    ['reduce scope', { reduce: [{ var: 'record.perps' }, { '+': [{ var: 'accumulator' }, 1] }, 0] }],
    ['every custom operation', { and: [{ days_between: [{ var: 'record.dob' }, { var: 'today' }] }, { age_on: [{ var: 'record.dob' }, { var: 'today' }] }, { count: [{ var: 'record.perps' }, { var: 'row.psex' }] }, { sum_of: [{ var: 'record.perps' }, 'page'] }, { any_row: [{ var: 'record.perps' }, { '>': [{ var: 'row.page' }, 17] }] }, { in_lookup: [{ var: 'record.sex' }, 'sex'] }, { is_empty: [{ var: 'record.name' }] }, { date_part: [{ var: 'record.dob' }, 'year'] }] }],
    ['literals', [1, 'two', null, true]],
  ])('accepts valid logic: %s', (_name, logic) => {
    expect(issuesOf(withField({ key: 'c', type: 'text', label: 'C', visibleIf: logic }))).toEqual([]);
  });

  describe('locations', () => {
    const levels = LOCATIONS.adminLevels;
    it.each<[string, Json[], string]>([
      ['duplicate code', [{ code: 'XX', level: 0, name: 'A' }, { code: 'XX', level: 0, name: 'B' }], 'duplicate_location locations/places.json#/locations/1/code'],
      ['unknown parent', [{ code: 'XX', level: 0, name: 'A' }, { code: 'XX01', level: 1, parent: 'YY', name: 'B' }], 'unknown_parent_location locations/places.json#/locations/1/parent'],
      ['level skips one', [{ code: 'XX', level: 0, name: 'A' }, { code: 'XX01', level: 2, parent: 'XX', name: 'B' }], 'unknown_admin_level locations/places.json#/locations/1/level'],
      ['level not parent + 1', [{ code: 'XX', level: 1, parent: 'XX01', name: 'A' }, { code: 'XX01', level: 1, parent: 'XX', name: 'B' }], 'invalid_location_level locations/places.json#/locations/0/level'],
      ['root below level 0', [{ code: 'XX', level: 1, name: 'A' }], 'invalid_location_level locations/places.json#/locations/0/level'],
    ])('%s', (_name, locations, expected) => {
      expect(issuesOf(spec({ locations: { places: { adminLevels: levels, locations } } }))).toContain(expected);
    });

    it('reports a cycle of parents once', () => {
      const locations = [{ code: 'A', level: 1, parent: 'B', name: 'A' }, { code: 'B', level: 1, parent: 'A', name: 'B' }];
      const issues = issuesOf(spec({ locations: { places: { adminLevels: levels, locations } } }));
      expect(issues.filter((i) => i.startsWith('location_cycle'))).toHaveLength(1);
    });

    it('refuses conflicting admin levels across files', () => {
      const other = { adminLevels: [{ level: 1, key: 'province', label: 'Province' }], locations: [] };
      // Files are read in path order: other.json first, so places.json disagrees with it.
      expect(issuesOf(spec({ locations: { places: LOCATIONS, other } }))).toContain('admin_level_conflict locations/places.json#/adminLevels/1');
    });
  });

  describe('bundles together', () => {
    const gbv = (deps: string[], extra: Partial<BundleSpec> = {}): BundleSpec =>
      spec({ manifest: { key: 'gbv', dependsOn: deps }, lookups: [], ...extra, fields: [...FIELDS.filter((f) => f['key'] !== 'sex'), { key: 'sex', type: 'select', label: 'Sex', lookup: 'yes_no_unknown' }] });

    it('lets a bundle use the lookups of its dependencies', () => {
      expect(issuesOf(gbv(['core']), makeCoreBundle())).toEqual([]);
    });

    it('refuses lookups of a bundle it does not depend on', () => {
      const issues = loadIssues(makeBundle(gbv([])), makeCoreBundle());
      expect(issues.map((i) => i.code)).toEqual(['unknown_lookup']);
      expect(issues[0]?.message).toContain('does not depend on');
    });

    it('reports a missing dependency', () => {
      expect(issuesOf(gbv(['core', 'deployment']), makeCoreBundle())).toEqual(['missing_dependency bundle.json#/dependsOn/1']);
    });

    it('refuses dependency cycles', () => {
      const a = makeBundle({ manifest: { key: 'a', dependsOn: ['b'] }, modules: [], recordTypes: [] });
      const b = makeBundle({ manifest: { key: 'b', dependsOn: ['a'] }, modules: [], recordTypes: [] });
      expect(loadIssues(a, b).map((i) => i.code)).toEqual(['dependency_cycle']);
    });

    it('refuses the same bundle twice', () => {
      expect(loadIssues(makeCoreBundle(), makeCoreBundle()).map((i) => i.code)).toContain('duplicate_bundle');
    });

    it('refuses the same lookup key in two bundles', () => {
      const core = makeCoreBundle();
      const issues = issuesOf(gbv(['core'], { lookups: [{ key: 'yes_no_unknown', label: 'Again', values: [] }] }), core);
      expect(issues).toEqual(['duplicate_key lookups/yes_no_unknown.json#/key']);
    });
  });

  it('reports a duplicated form once, not once per field', () => {
    const issues = issuesOf(spec({ files: { 'forms/m.case.main_form.json': makeForm(FIELDS), 'forms/m.case.copy.json': makeForm(FIELDS, { key: 'main_form' }) } }));
    expect(issues).toEqual(expect.arrayContaining(['duplicate_key forms/m.case.main_form.json#/key']));
    expect(issues.filter((i) => i.startsWith('duplicate_field'))).toEqual([]);
  });

  it('accepts single-field and composite indexes over known fields', () => {
    expect(issuesOf(spec({ recordTypes: [{ key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }], indexes: [{ field: 'dob' }, { fields: ['sex', 'age'] }] }] }))).toEqual([]);
  });

  it('rejects a composite index of one field or with both field and fields', () => {
    const one = issuesOf(spec({ recordTypes: [{ key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }], indexes: [{ fields: ['sex'] }] }] }));
    expect(one.length).toBeGreaterThan(0);
    expect(one.every((i) => i.includes('record-types/m.case.json#/indexes/0'))).toBe(true);
    const both = issuesOf(spec({ recordTypes: [{ key: 'case', module: 'm', label: 'Case', formGroups: [{ key: 'main', label: 'Main' }], indexes: [{ field: 'sex', fields: ['sex', 'age'] }] }] }));
    expect(both.length).toBeGreaterThan(0);
    expect(both.every((i) => i.includes('record-types/m.case.json#/indexes/0'))).toBe(true);
  });

  it('does not cascade: references into a schema-invalid file are not reported again', () => {
    const issues = issuesOf(spec({ lookups: [{ key: 'sex', label: 'Sex', values: 'oops' }] }));
    expect(issues).toEqual(['invalid_type lookups/sex.json#/values']);
  });

  it('does not cascade from a broken form: its fields still count for references', () => {
    const broken = makeForm([{ key: 'extra', type: 'text', label: 'E', colour: 'red' }], { key: 'second' });
    const issues = issuesOf(spec({ forms: [broken], rules: [{ ...RULES[0], assert: { var: 'record.extra' }, path: '/extra' }] }));
    expect(issues).toEqual(['unknown_property forms/m.case.second.json#/fields/0/colour']);
  });
});

describe('a bundle with ten mistakes of ten kinds', () => {
  it('reports all ten, each with its file and pointer, in one run', () => {
    const files = makeBundle(
      spec({
        fields: [
          ...FIELDS,
          { key: 'c', type: 'text', label: 'C', visibleIf: { '==': [{ var: 'record.nmae' }, 'x'] } },
          { key: 'locked', type: 'text', label: 'Locked', required: true, readOnly: true },
        ],
        forms: [
          makeForm([{ key: 'colour', type: 'select', label: 'Colour', lookup: 'colour' }, { key: 'name', type: 'text', label: 'Name again' }], { key: 'second', group: 'nowhere' }),
          makeForm([{ key: 'typo', type: 'text', label: 'Typo', requried: true }], { key: 'third' }),
        ],
        locations: { places: { ...LOCATIONS, locations: [...LOCATIONS.locations, { code: 'XX0101', level: 1, parent: 'XX01', name: 'Deep' }] } },
        translations: { fr: { 'field.m.case.name.label': 'Nom', 'field.m.case.ghost.label': 'Fantôme' } },
        files: { 'notes.txt': 'remember the milk', 'lookups/broken.json': '{ "key": "broken", ' },
      }),
    );
    const issues = loadIssues(files).map((i) => `${i.code} ${i.file}#${i.pointer}`);
    expect(issues.sort()).toEqual(
      [
        'unknown_file notes.txt#',
        'invalid_json lookups/broken.json#',
        'unknown_property forms/m.case.third.json#/fields/0/requried',
        'unknown_lookup forms/m.case.second.json#/fields/0/lookup',
        'duplicate_field forms/m.case.second.json#/fields/1/key',
        'unknown_form_group forms/m.case.second.json#/group',
        `unknown_var_field ${FORM}#/fields/6/visibleIf/==/0/var`,
        `required_read_only ${FORM}#/fields/7/required`,
        'unknown_translation_key translations/fr.json#/field.m.case.ghost.label',
        'invalid_location_level locations/places.json#/locations/2/level',
      ].sort(),
    );
    expect(new Set(issues.map((i) => i.split(' ')[0])).size).toBe(10);
  });
});
