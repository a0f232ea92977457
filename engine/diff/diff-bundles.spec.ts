import { describe, expect, it } from '@jest/globals';
import { parseBundle } from '../bundle/parse-bundle.js';
import type { ParsedBundle } from '../bundle/types.js';
import { loadOrThrow, makeBundle, makeCoreBundle, makeForm } from '../testing/bundle-factory.js';
import { diffBundles, diffUsageQuestions } from './diff-bundles.js';
import type { BundleDiff, DataUsage } from './types.js';

type Json = Record<string, unknown>;

const COLOUR = { key: 'colour', label: 'Colour', values: [{ value: 'red', label: 'Red' }, { value: 'blue', label: 'Blue' }, { value: 'green', label: 'Green' }] };

const FIELDS: Json[] = [
  { key: 'name', type: 'text', label: 'Name', identifying: true },
  { key: 'age', type: 'number', label: 'Age' },
  { key: 'notes', type: 'textarea', label: 'Notes' },
  { key: 'kind', type: 'select', label: 'Kind', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] },
  { key: 'answer', type: 'radio', label: 'Answer', lookup: 'yes_no_unknown' },
  { key: 'colours', type: 'multi_select', label: 'Colours', lookup: 'colour' },
  {
    key: 'people',
    type: 'subform',
    label: 'People',
    fields: [
      { key: 'person_name', type: 'text', label: 'Name', identifying: true },
      { key: 'person_age', type: 'number', label: 'Age' },
    ],
  },
];

const SECOND_FORM = makeForm([{ key: 'story', type: 'textarea', label: 'Story', identifying: true }], { key: 'story_form', label: 'Story', order: 2 });

const ROLES: Json[] = [
  {
    key: 'worker',
    label: 'Worker',
    records: [{ module: 'm', recordTypes: ['case'], scope: 'own', actions: ['read', 'create', 'update'], forms: { '*': 'read_write' } }],
  },
  {
    key: 'supervisor',
    label: 'Supervisor',
    records: [{ module: 'm', recordTypes: ['case'], scope: 'group', actions: ['read'], forms: { '*': 'read', story_form: 'none' }, excludeFields: ['@identifying'] }],
    admin: [{ subject: 'user', actions: ['read'], scope: 'agency' }],
  },
];

interface Spec {
  fields?: Json[];
  forms?: Json[];
  lookups?: Json[];
  roles?: Json[];
  rules?: Json[];
  files?: Json;
  version?: string;
}

function bundle(spec: Spec = {}): Record<string, string> {
  const files: Record<string, unknown> = {};
  for (const role of spec.roles ?? ROLES) files[`roles/${String(role['key'])}.json`] = role;
  return makeBundle({
    manifest: { key: 'test', version: spec.version ?? '1.0.0', dependsOn: ['core'] },
    fields: spec.fields ?? FIELDS,
    forms: spec.forms ?? [SECOND_FORM],
    lookups: spec.lookups ?? [COLOUR],
    rules: spec.rules ?? [{ key: 'adult', kind: 'validation', assert: { '>=': [{ var: 'record.age' }, 18] }, path: '/age', message: 'Adults only.' }],
    files: { ...files, ...spec.files },
  });
}

const core = makeCoreBundle();

function sets(before: Record<string, string>, after: Record<string, string>, coreAfter = core): { before: readonly ParsedBundle[]; after: readonly ParsedBundle[] } {
  return { before: loadOrThrow(core, before), after: parsed(coreAfter, after) };
}

/** Parsed only: a diff must work on versions that would not load together (e.g. a role naming a removed form). */
function parsed(...fileMaps: Record<string, string>[]): ParsedBundle[] {
  return fileMaps.map((files) => {
    const result = parseBundle(files);
    if (!result.bundle) throw new Error(JSON.stringify(result.issues));
    return result.bundle;
  });
}

function diff(before: Spec, after: Spec, usage?: DataUsage): BundleDiff {
  return diffBundles({ ...sets(bundle(before), bundle(after)), bundle: 'test', usage });
}

const NO_DATA: DataUsage = { fields: {}, options: {} };
const ALL_DATA: DataUsage = {
  fields: { 'm/case': ['name', 'age', 'notes', 'kind', 'answer', 'colours', 'people', 'people.person_name', 'people.person_age', 'story'] },
  options: { 'm/case/kind': ['a', 'b'], 'm/case/answer': ['yes', 'no', 'unknown'], 'm/case/colours': ['red', 'blue', 'green'] },
};

const change = (d: BundleDiff, id: string) => d.changes.find((c) => c.id === id);
const codes = (d: BundleDiff) => d.breaking.map((b) => `${b.code}@${b.id}`);
const replaceField = (key: string, next: Json | undefined): Json[] => FIELDS.flatMap((f) => (f['key'] === key ? (next ? [next] : []) : [f]));

describe('diffBundles', () => {
  it('finds nothing between a bundle and itself', () => {
    const d = diff({}, {}, ALL_DATA);
    expect(d.changes).toEqual([]);
    expect(d.breaking).toEqual([]);
    expect(d.summary).toEqual({ added: 0, removed: 0, changed: 0, breaking: 0, highlights: 0 });
  });

  it('lists a new bundle as all added, nothing breaking', () => {
    const d = diffBundles({ before: loadOrThrow(core), after: loadOrThrow(core, bundle()), bundle: 'test', usage: NO_DATA });
    expect(d.from).toBeUndefined();
    expect(d.to?.version).toBe('1.0.0');
    expect(d.changes.every((c) => c.change === 'added')).toBe(true);
    expect(d.changes.map((c) => c.kind)).toEqual(expect.arrayContaining(['bundle', 'module', 'record_type', 'form', 'field', 'option', 'lookup', 'rule', 'role']));
    expect(d.breaking).toEqual([]);
  });

  describe('fields', () => {
    it('added, removed and changed, with before and after values', () => {
      const fields = [...replaceField('notes', undefined), { key: 'phone', type: 'text', label: 'Phone', identifying: true }].map((f) =>
        f['key'] === 'age' ? { ...f, label: 'Age in years', max: 120 } : f,
      );
      const d = diff({}, { fields }, NO_DATA);
      expect(change(d, 'm/case/phone')).toMatchObject({ kind: 'field', change: 'added', after: { key: 'phone', type: 'text', form: 'main_form' } });
      expect(change(d, 'm/case/notes')).toMatchObject({ kind: 'field', change: 'removed', before: { key: 'notes', type: 'textarea' } });
      expect(change(d, 'm/case/age')).toMatchObject({
        kind: 'field',
        change: 'changed',
        properties: ['label', 'max'],
        before: { label: 'Age' },
        after: { label: 'Age in years', max: 120 },
      });
      expect(d.breaking).toEqual([]);
    });

    it('subform children are fields of their own', () => {
      const people = FIELDS.find((f) => f['key'] === 'people') as Json;
      const d = diff({}, { fields: replaceField('people', { ...people, fields: [(people['fields'] as Json[])[0]] }) }, ALL_DATA);
      expect(change(d, 'm/case/people.person_age')).toMatchObject({ change: 'removed', breaking: ['field_removed_with_data'] });
      expect(change(d, 'm/case/people')).toBeUndefined();
    });

    it('a field removed while records hold values is breaking; without values it is not', () => {
      const after = { fields: replaceField('notes', undefined) };
      expect(codes(diff({}, after, ALL_DATA))).toEqual(['field_removed_with_data@m/case/notes']);
      expect(change(diff({}, after, ALL_DATA), 'm/case/notes')?.breaking).toEqual(['field_removed_with_data']);
      expect(codes(diff({}, after, NO_DATA))).toEqual([]);
      expect(codes(diff({}, after, { fields: { 'm/case': ['age'] }, options: {} }))).toEqual([]);
    });

    it('without usage, removals are assumed to touch data', () => {
      const d = diff({}, { fields: replaceField('notes', undefined) });
      expect(d.usageKnown).toBe(false);
      expect(codes(d)).toEqual(['field_removed_with_data@m/case/notes']);
    });

    it('a type change while records hold values is breaking', () => {
      const after = { fields: replaceField('notes', { key: 'notes', type: 'number', label: 'Notes' }) };
      const d = diff({}, after, ALL_DATA);
      expect(change(d, 'm/case/notes')).toMatchObject({ change: 'changed', properties: ['type'], breaking: ['field_type_changed_with_data'] });
      expect(codes(diff({}, after, NO_DATA))).toEqual([]);
    });

    it('a field no longer marked identifying is breaking and highlights the roles that will see it', () => {
      const d = diff({}, { fields: replaceField('name', { key: 'name', type: 'text', label: 'Name' }) }, NO_DATA);
      expect(codes(d)).toEqual(['identifying_unmarked@m/case/name']);
      expect(d.breaking[0]).toMatchObject({ identifying: true, details: { roles: ['supervisor'] } });
      expect(d.highlights).toEqual([expect.objectContaining({ code: 'identifying_access_widened', fields: ['name'], module: 'm', recordType: 'case' })]);
    });

    it('a field newly marked identifying narrows access: not breaking', () => {
      const d = diff({}, { fields: replaceField('age', { key: 'age', type: 'number', label: 'Age', identifying: true }) }, ALL_DATA);
      expect(change(d, 'm/case/age')).toMatchObject({ change: 'changed', properties: ['identifying'] });
      expect(d.breaking).toEqual([]);
    });
  });

  describe('options', () => {
    it('inline options added, removed and changed', () => {
      const kind = { key: 'kind', type: 'select', label: 'Kind', options: [{ value: 'a', label: 'A!' }, { value: 'c', label: 'C' }] };
      const d = diff({}, { fields: replaceField('kind', kind) }, NO_DATA);
      expect(change(d, 'm/case/kind/option/a')).toMatchObject({ kind: 'option', change: 'changed', properties: ['label'], before: { label: 'A' }, after: { label: 'A!' } });
      expect(change(d, 'm/case/kind/option/b')).toMatchObject({ kind: 'option', change: 'removed' });
      expect(change(d, 'm/case/kind/option/c')).toMatchObject({ kind: 'option', change: 'added', after: { value: 'c', label: 'C' } });
      expect(d.breaking).toEqual([]);
    });

    it('an inline option removed that records use is breaking; disabling it is not', () => {
      const removed = { key: 'kind', type: 'select', label: 'Kind', options: [{ value: 'a', label: 'A' }] };
      expect(codes(diff({}, { fields: replaceField('kind', removed) }, ALL_DATA))).toEqual(['option_removed_in_use@m/case/kind/option/b']);
      expect(codes(diff({}, { fields: replaceField('kind', removed) }, { fields: {}, options: { 'm/case/kind': ['a'] } }))).toEqual([]);
      const disabled = { key: 'kind', type: 'select', label: 'Kind', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B', disabled: true }] };
      const d = diff({}, { fields: replaceField('kind', disabled) }, ALL_DATA);
      expect(change(d, 'm/case/kind/option/b')).toMatchObject({ change: 'changed', properties: ['disabled'] });
      expect(d.breaking).toEqual([]);
    });

    it('a lookup value removed that records use is breaking, with the fields that hold it', () => {
      const colour = { ...COLOUR, values: COLOUR.values.filter((v) => v.value !== 'green') };
      const d = diff({}, { lookups: [colour] }, ALL_DATA);
      expect(change(d, 'lookup/colour/option/green')).toMatchObject({ kind: 'option', change: 'removed', breaking: ['option_removed_in_use'] });
      expect(d.breaking[0]).toMatchObject({ details: { path: 'colours', values: ['green'], lookup: 'colour' } });
    });

    it('a lookup of another bundle losing a value used by this bundle\'s fields is breaking for that bundle', () => {
      const coreFiles = JSON.parse(JSON.stringify(core)) as Record<string, string>;
      const lookup = JSON.parse(coreFiles['lookups/yes_no_unknown.json'] as string) as { values: Array<{ value: string }> };
      lookup.values = lookup.values.filter((v) => v.value !== 'unknown');
      coreFiles['lookups/yes_no_unknown.json'] = JSON.stringify(lookup);
      const before = loadOrThrow(core, bundle());
      const after = loadOrThrow(coreFiles, bundle());
      const d = diffBundles({ before, after, bundle: 'core', usage: ALL_DATA });
      expect(change(d, 'lookup/yes_no_unknown/option/unknown')).toMatchObject({ change: 'removed', breaking: ['option_removed_in_use'] });
      expect(d.breaking.map((b) => b.details?.['path'])).toEqual(['answer']);
      expect(diffBundles({ before, after, bundle: 'core', usage: NO_DATA }).breaking).toEqual([]);
    });

    it('lookup-level properties are a lookup change', () => {
      const d = diff({}, { lookups: [{ ...COLOUR, label: 'Colours', localizable: true }] }, NO_DATA);
      expect(change(d, 'lookup/colour')).toMatchObject({ kind: 'lookup', change: 'changed', properties: ['label', 'localizable'] });
    });
  });

  it('forms added, removed and changed', () => {
    const extra = makeForm([{ key: 'extra', type: 'text', label: 'Extra' }], { key: 'extra_form', label: 'Extra', order: 3 });
    const d = diff({}, { forms: [{ ...SECOND_FORM, label: 'The story' }, extra] }, NO_DATA);
    expect(change(d, 'form/m/case/story_form')).toMatchObject({ kind: 'form', change: 'changed', properties: ['label'], before: { label: 'Story' }, after: { label: 'The story' } });
    expect(change(d, 'form/m/case/extra_form')).toMatchObject({ change: 'added' });
    expect(change(d, 'form/m/case/main_form')).toBeUndefined();
    const removed = diff({}, { forms: [] }, ALL_DATA);
    expect(change(removed, 'form/m/case/story_form')).toMatchObject({ change: 'removed' });
    expect(codes(removed)).toEqual(['field_removed_with_data@m/case/story']);
    expect(removed.breaking[0]?.identifying).toBe(true);
  });

  it('rules added, removed and changed', () => {
    const d = diff({}, {
      rules: [
        { key: 'adult', kind: 'validation', assert: { '>=': [{ var: 'record.age' }, 21] }, path: '/age', message: 'Adults only.' },
        { key: 'named', kind: 'validation', assert: { '!!': [{ var: 'record.name' }] }, path: '/name', message: 'Name it.' },
      ],
    }, NO_DATA);
    expect(change(d, 'rule/m/case/adult')).toMatchObject({ kind: 'rule', change: 'changed', properties: ['assert'] });
    expect(change(d, 'rule/m/case/named')).toMatchObject({ kind: 'rule', change: 'added' });
    const removed = diff({}, { rules: [] }, NO_DATA);
    expect(change(removed, 'rule/m/case/adult')).toMatchObject({ change: 'removed', before: { key: 'adult' } });
  });

  it('templates (metadata and Handlebars source) added, removed and changed', () => {
    const doc = (key: string, label: string) => ({ key, kind: 'document', label, locales: { en: { body: 'letter.en.hbs' } } });
    const before = { files: { 'templates/letter.json': doc('letter', 'Letter'), 'templates/letter.en.hbs': 'Dear {{name}}', 'templates/old.json': doc('old', 'Old') } };
    const after = { files: { 'templates/letter.json': doc('letter', 'Referral letter'), 'templates/letter.en.hbs': 'Hello {{name}}', 'templates/new.json': doc('new', 'New') } };
    const d = diff(before, after, NO_DATA);
    expect(change(d, 'template/letter')).toMatchObject({ kind: 'template', change: 'changed', before: { label: 'Letter' }, after: { label: 'Referral letter' } });
    expect(change(d, 'template/templates/letter.en.hbs')).toMatchObject({ kind: 'template', change: 'changed', before: { source: 'Dear {{name}}' }, after: { source: 'Hello {{name}}' } });
    expect(change(d, 'template/old')).toMatchObject({ change: 'removed' });
    expect(change(d, 'template/new')).toMatchObject({ change: 'added' });
  });

  it('translations: one change per locale naming the keys', () => {
    const d = diff({ files: { 'translations/fr.json': { 'field.m.case.age.label': 'Âge' } } }, { files: { 'translations/fr.json': { 'field.m.case.age.label': 'Âge (ans)' } } }, NO_DATA);
    expect(change(d, 'translation/fr')).toMatchObject({ change: 'changed', properties: ['field.m.case.age.label'], before: { 'field.m.case.age.label': 'Âge' }, after: { 'field.m.case.age.label': 'Âge (ans)' } });
  });

  describe('roles', () => {
    const withRole = (key: string, edit: (role: Json) => Json): Json[] => ROLES.map((r) => (r['key'] === key ? edit(JSON.parse(JSON.stringify(r)) as Json) : r));
    const grant = (role: Json) => (role['records'] as Json[])[0] as Json;

    it('added, removed and changed roles are listed; a new role is not breaking', () => {
      const d = diff({}, { roles: [...ROLES.filter((r) => r['key'] !== 'worker'), { key: 'viewer', label: 'Viewer' }] }, NO_DATA);
      expect(change(d, 'role/worker')).toMatchObject({ kind: 'role', change: 'removed' });
      expect(change(d, 'role/viewer')).toMatchObject({ kind: 'role', change: 'added' });
      expect(d.breaking).toEqual([]);
    });

    it('a label change does not widen anything', () => {
      const d = diff({}, { roles: withRole('supervisor', (r) => ({ ...r, label: 'Group supervisor' })) }, NO_DATA);
      expect(change(d, 'role/supervisor')).toMatchObject({ change: 'changed', properties: ['label'] });
      expect(d.breaking).toEqual([]);
    });

    it.each([
      ['gains an action', (r: Json) => ({ ...r, records: [{ ...grant(r), actions: ['read', 'flag'] }] }), /gains "flag"/, false],
      ['a wider scope', (r: Json) => ({ ...r, records: [{ ...grant(r), scope: 'all' }] }), /wider scope for "read": group -> all/, false],
      ['more forms', (r: Json) => ({ ...r, records: [{ ...grant(r), forms: { '*': 'read' } }] }), /form "story_form" opens read/, false],
      ['fewer excluded fields', (r: Json) => ({ ...r, records: [{ ...grant(r), excludeFields: [] }] }), /no longer excludes "@identifying"/, true],
      ['an admin action', (r: Json) => ({ ...r, admin: [{ subject: 'user', actions: ['read', 'create'], scope: 'agency' }] }), /gains "create" on user/, false],
      ['an admin scope', (r: Json) => ({ ...r, admin: [{ subject: 'user', actions: ['read'] }] }), /gains "read" on user \(scope all\)/, false],
      ['aggregate reports', (r: Json) => ({ ...r, reports: { aggregate: true } }), /aggregate reports/, false],
    ])('a permission widened (%s) is breaking', (_name, edit, reason, identifying) => {
      const d = diff({}, { roles: withRole('supervisor', edit) }, NO_DATA);
      expect(codes(d)).toEqual(['permission_widened@role/supervisor']);
      expect(change(d, 'role/supervisor')?.breaking).toEqual(['permission_widened']);
      expect(d.breaking[0]?.message).toMatch(reason);
      expect(d.breaking[0]?.identifying).toBe(identifying);
      expect(d.highlights.length > 0).toBe(identifying);
    });

    it('widened access to identifying fields is highlighted with the fields', () => {
      const d = diff({}, { roles: withRole('supervisor', (r) => ({ ...r, records: [{ ...grant(r), excludeFields: [] }] })) }, NO_DATA);
      expect(d.highlights).toEqual([
        expect.objectContaining({ code: 'identifying_access_widened', role: 'supervisor', module: 'm', recordType: 'case', fields: ['name', 'people.person_name'] }),
      ]);
    });

    it('a second factor no longer required is a widening', () => {
      const d = diff({ roles: withRole('worker', (r) => ({ ...r, secondFactor: 'required' })) }, { roles: ROLES }, NO_DATA);
      expect(d.breaking[0]?.message).toMatch(/no longer requires a second factor/);
    });

    it('narrowing (fewer actions, narrower scope, more exclusions) is not breaking', () => {
      const d = diff({}, {
        roles: withRole('worker', (r) => ({ ...r, records: [{ ...grant(r), actions: ['read'], excludeFields: ['notes'] }] })),
      }, NO_DATA);
      expect(change(d, 'role/worker')).toMatchObject({ change: 'changed' });
      expect(d.breaking).toEqual([]);
    });

    it('splitting a grant in two without widening is not breaking', () => {
      const d = diff({}, {
        roles: withRole('worker', (r) => ({
          ...r,
          records: [
            { module: 'm', recordTypes: ['case'], scope: 'own', actions: ['read', 'create'], forms: { '*': 'read_write' } },
            { module: 'm', recordTypes: ['case'], scope: 'own', actions: ['read', 'update'], forms: { '*': 'read_write' } },
          ],
        })),
      }, NO_DATA);
      expect(d.breaking).toEqual([]);
    });
  });

  it('modules, record types, settings, locations, workflows and reports', () => {
    const locations = (name: string) => ({
      localizable: true,
      adminLevels: [{ level: 0, key: 'country', label: 'Country' }],
      locations: [{ code: 'XX', level: 0, name }, ...(name === 'Country' ? [{ code: 'YY', level: 0, name: 'Other' }] : [])],
    });
    const before = bundle({ files: { 'settings.json': { governance: { requiredApprovals: 2 } }, 'locations/default.json': locations('Country'), 'workflows/m.flow.json': { module: 'm', recordType: 'flow', initial: 's', states: [{ key: 's', label: 'S' }], transitions: [] } } });
    const after = bundle({
      files: {
        'settings.json': { governance: { requiredApprovals: 3 } },
        'locations/default.json': locations('The country'),
        'modules/m.json': { key: 'm', label: 'Cases module', recordTypes: ['case'] },
        'record-types/m.case.json': { key: 'case', module: 'm', label: 'Case file', formGroups: [{ key: 'main', label: 'Main' }] },
        'workflows/m.case.json': { module: 'm', recordType: 'case', initial: 's', states: [{ key: 's', label: 'Intake' }], transitions: [] },
        'reports/counts.json': { key: 'counts', label: 'Counts', module: 'm', recordType: 'case', indicators: [{ key: 'cases', label: 'Cases' }] },
      },
    });
    const d = diffBundles({ before: parsed(core, before), after: parsed(core, after), bundle: 'test', usage: NO_DATA });
    expect(change(d, 'settings')).toMatchObject({ kind: 'settings', change: 'changed', properties: ['governance'] });
    expect(change(d, 'module/m')).toMatchObject({ kind: 'module', change: 'changed', properties: ['label'] });
    expect(change(d, 'm/case')).toMatchObject({ kind: 'record_type', change: 'changed', before: { label: 'Case' }, after: { label: 'Case file' } });
    expect(change(d, 'location/XX')).toMatchObject({ kind: 'location', change: 'changed', properties: ['name'] });
    expect(change(d, 'location/YY')).toMatchObject({ kind: 'location', change: 'removed' });
    expect(change(d, 'workflow/m.flow')).toMatchObject({ kind: 'workflow', change: 'removed' });
    expect(change(d, 'workflow/m.case')).toMatchObject({ kind: 'workflow', change: 'added' });
    expect(change(d, 'report/counts')).toMatchObject({ kind: 'report', change: 'added' });
    expect(d.breaking).toEqual([]);
  });

  it('diffUsageQuestions asks exactly for what the data-dependent flags need', () => {
    const kind = { key: 'kind', type: 'select', label: 'Kind', options: [{ value: 'a', label: 'A' }] };
    const colour = { ...COLOUR, values: COLOUR.values.filter((v) => v.value !== 'green') };
    const fields = replaceField('kind', kind).filter((f) => f['key'] !== 'notes').map((f) => (f['key'] === 'age' ? { ...f, type: 'text' } : f));
    const questions = diffUsageQuestions({ ...sets(bundle(), bundle({ fields, lookups: [colour] })), bundle: 'test' });
    expect(questions.fields).toEqual(expect.arrayContaining([{ module: 'm', recordType: 'case', path: 'notes' }, { module: 'm', recordType: 'case', path: 'age' }]));
    expect(questions.fields).toHaveLength(2);
    expect(questions.options).toEqual(expect.arrayContaining([
      { module: 'm', recordType: 'case', path: 'kind', multiple: false, values: ['b'] },
      { module: 'm', recordType: 'case', path: 'colours', multiple: true, values: ['green'] },
    ]));
  });
});
