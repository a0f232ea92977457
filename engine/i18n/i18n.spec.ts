/** Translation keys, the walker, localization with fallback, spreadsheets. */
import { describe, expect, it } from '@jest/globals';
import { compileOrThrow, loadIssues, loadOrThrow, makeBundle, makeCoreBundle, type BundleSpec } from '../testing/bundle-factory.js';
import { listLocations, localizeForms, localizeLookup } from './localize.js';
import { missingTranslations, translationEntries } from './translation-entries.js';
import { exportTranslationTable, importTranslationTable } from './translation-table.js';

const SPEC: BundleSpec = {
  manifest: { key: 'gbv', dependsOn: ['core'] },
  fields: [
    { key: 'name', type: 'text', label: 'Name', help: 'Full name' },
    { key: 'consent', type: 'tick_box', label: 'Consent', tickLabel: 'I agree' },
    { key: 'sex', type: 'select', label: 'Sex', lookup: 'sex' },
    { key: 'known', type: 'radio', label: 'Known?', lookup: 'yes_no_unknown' },
    { key: 'kids', type: 'tally', label: 'Children', items: [{ key: 'boys', label: 'Boys' }, { key: 'girls', label: 'Girls' }] },
    { key: 'sig', type: 'signature', label: 'Signature', providedByLabel: 'Signed by' },
    {
      key: 'perps', type: 'subform', label: 'Perpetrators', help: 'Everyone involved', minRows: 0,
      fields: [{ key: 'relation', type: 'radio', label: 'Relation', options: [{ value: 'partner', label: 'Partner' }, { value: 'other', label: 'Other' }] }],
    },
  ],
  lookups: [{ key: 'sex', label: 'Sex', values: [{ value: 'female', label: 'Female' }, { value: 'male', label: 'Male' }, { value: 'old', label: 'Old', disabled: true }] }],
  locations: {
    places: {
      adminLevels: [{ level: 0, key: 'country', label: 'Country' }, { level: 1, key: 'county', label: 'County' }],
      locations: [{ code: 'XX', level: 0, name: 'Country' }, { code: 'XX01', level: 1, parent: 'XX', name: 'North' }, { code: 'XX02', level: 1, parent: 'XX', name: 'South' }],
    },
  },
  rules: [{ key: 'r1', kind: 'validation', assert: true, path: '/name', message: 'Never fails.' }],
  translations: {
    fr: {
      'field.m.case.name.label': 'Nom',
      'field.m.case.consent.tickLabel': "J'accepte",
      'field.m.case.perps.relation.option.partner': 'Partenaire',
      'field.m.case.kids.item.girls': 'Filles',
      'lookup.sex.value.female': 'Femme',
      'location.XX01': 'Nord',
      'location.level.county': 'Comté',
      'form.m.case.main_form.label': 'Formulaire',
      'formGroup.m.case.main.label': 'Principal',
    },
    ar: { 'field.m.case.name.label': 'الاسم' },
  },
};

const gbv = () => makeBundle(SPEC);
const bundles = () => loadOrThrow(makeCoreBundle(), gbv());
const gbvBundle = () => bundles().find((b) => b.key === 'gbv')!;

describe('translationEntries', () => {
  it('derives one key per translatable text, from where it stands', () => {
    const keys = translationEntries(gbvBundle()).map((e) => e.key);
    expect(keys).toEqual([
      'bundle.title',
      'module.m.label',
      'recordType.m.case.label',
      'formGroup.m.case.main.label',
      'form.m.case.main_form.label',
      'field.m.case.name.label',
      'field.m.case.name.help',
      'field.m.case.consent.label',
      'field.m.case.consent.tickLabel',
      'field.m.case.sex.label',
      'field.m.case.known.label',
      'field.m.case.kids.label',
      'field.m.case.kids.item.boys',
      'field.m.case.kids.item.girls',
      'field.m.case.sig.label',
      'field.m.case.sig.providedByLabel',
      'field.m.case.perps.label',
      'field.m.case.perps.help',
      'field.m.case.perps.relation.label',
      'field.m.case.perps.relation.option.partner',
      'field.m.case.perps.relation.option.other',
      'lookup.sex.label',
      'lookup.sex.value.female',
      'lookup.sex.value.male',
      'lookup.sex.value.old',
      'location.level.country',
      'location.level.county',
      'location.XX',
      'location.XX01',
      'location.XX02',
      'rule.m.case.r1.message',
    ]);
  });

  it('gives base text, place, and each locale’s text or undefined', () => {
    const entry = translationEntries(gbvBundle()).find((e) => e.key === 'field.m.case.name.label');
    expect(entry).toEqual({ key: 'field.m.case.name.label', base: 'Name', file: 'forms/m.case.main_form.json', pointer: '/fields/0/label', texts: { en: undefined, fr: 'Nom', ar: 'الاسم' } });
  });

  it('lists missing translations per locale', () => {
    expect(missingTranslations(gbvBundle(), 'ar')).toHaveLength(30);
    expect(missingTranslations(gbvBundle(), 'fr').map((e) => e.key)).not.toContain('field.m.case.name.label');
  });

  it('is the key set the checker accepts', () => {
    const keys = translationEntries(gbvBundle()).map((e) => e.key);
    const all = Object.fromEntries(keys.map((key) => [key, 'x']));
    expect(loadIssues(makeCoreBundle(), makeBundle({ ...SPEC, translations: { fr: all } }))).toEqual([]);
  });
});

describe('localizeForms', () => {
  const forms = (locale: string) => localizeForms(bundles(), { module: 'm', recordType: 'case', locale });

  it('resolves texts in the locale, falling back to the base language', () => {
    const form = forms('fr').forms[0]!;
    expect(form).toMatchObject({ key: 'main_form', label: 'Formulaire', group: 'main', groupLabel: 'Principal' });
    const byKey = Object.fromEntries(form.fields.map((f) => [f.key, f]));
    expect(byKey['name']).toMatchObject({ label: 'Nom', help: 'Full name', widget: 'text', required: false });
    expect(byKey['consent']?.texts).toEqual({ tickLabel: "J'accepte" });
    expect(byKey['kids']?.texts).toEqual({ 'item.boys': 'Boys', 'item.girls': 'Filles' });
    expect(byKey['kids']?.settings).toEqual({});
    expect(byKey['sex']?.options).toEqual([
      { value: 'female', label: 'Femme' },
      { value: 'male', label: 'Male' },
      { value: 'old', label: 'Old', disabled: true },
    ]);
    expect(byKey['known']?.options?.map((o) => o.value)).toEqual(['yes', 'no', 'unknown']);
    expect(byKey['perps']?.fields?.[0]?.options).toEqual([{ value: 'partner', label: 'Partenaire' }, { value: 'other', label: 'Other' }]);
    expect(byKey['perps']?.settings).toEqual({ minRows: 0 });
  });

  it('falls back from a regional locale to its language', () => {
    expect(forms('fr-CA').forms[0]?.fields[0]?.label).toBe('Nom');
  });

  it('gives the direction from the core locale catalogue', () => {
    expect(forms('ar').direction).toBe('rtl');
    expect(forms('fr').direction).toBe('ltr');
    expect(forms('ar').forms[0]?.fields[0]?.label).toBe('الاسم');
  });

  it('accepts a compiled config as well as bundles', () => {
    const compiled = compileOrThrow(makeCoreBundle(), gbv());
    expect(localizeForms(compiled, { module: 'm', recordType: 'case', locale: 'en' }).forms[0]?.fields[0]?.label).toBe('Name');
  });
});

describe('localizeLookup', () => {
  it('localizes a lookup with fallback', () => {
    expect(localizeLookup(bundles(), 'sex', 'fr')).toMatchObject({ key: 'sex', label: 'Sex', options: [{ value: 'female', label: 'Femme' }, { value: 'male', label: 'Male' }, { value: 'old', disabled: true }] });
  });
  it('returns undefined for an unknown lookup', () => {
    expect(localizeLookup(bundles(), 'nope', 'fr')).toBeUndefined();
  });
});

describe('listLocations', () => {
  it.each<[string, Parameters<typeof listLocations>[1], string[]]>([
    ['every location', {}, ['XX', 'XX01', 'XX02']],
    ['roots', { parent: null }, ['XX']],
    ['children of a parent', { parent: 'XX' }, ['XX01', 'XX02']],
    ['one level by number', { level: 1 }, ['XX01', 'XX02']],
    ['one level by key', { level: 'country' }, ['XX']],
    ['an unknown level', { level: 'province' }, []],
  ])('%s', (_name, options, codes) => {
    expect(listLocations(bundles(), options).map((l) => l.code)).toEqual(codes);
  });

  it('localizes names and level labels', () => {
    expect(listLocations(bundles(), { parent: 'XX', locale: 'fr' })).toEqual([
      { code: 'XX01', name: 'Nord', level: 1, levelKey: 'county', levelLabel: 'Comté', parent: 'XX' },
      { code: 'XX02', name: 'South', level: 1, levelKey: 'county', levelLabel: 'Comté', parent: 'XX' },
    ]);
  });
});

describe('translation spreadsheets', () => {
  it('exports one row per text and imports a filled-in sheet back', () => {
    const table = exportTranslationTable(gbvBundle());
    expect(table.header).toEqual(['key', 'file', 'pointer', 'en', 'fr', 'ar']);
    expect(table.rows.find((r) => r[0] === 'field.m.case.name.label')).toEqual(['field.m.case.name.label', 'forms/m.case.main_form.json', '/fields/0/label', 'Name', 'Nom', 'الاسم']);

    const filled = { header: table.header, rows: [...table.rows.map((row) => (row[0] === 'lookup.sex.value.male' ? [...row.slice(0, 4), 'Homme', ''] : row)), ['made.up.key', '', '', '', 'x', '']] };
    const { files, issues } = importTranslationTable(gbvBundle(), filled);
    expect(issues.map((i) => `${i.code} ${i.file}#${i.pointer}`)).toEqual(['unknown_translation_key translations/fr.json#/made.up.key']);
    const fr = JSON.parse(files['translations/fr.json'] as string) as Record<string, string>;
    expect(fr['lookup.sex.value.male']).toBe('Homme');
    expect(fr['field.m.case.name.label']).toBe('Nom');
    expect(JSON.parse(files['translations/ar.json'] as string)).toEqual({ 'field.m.case.name.label': 'الاسم' });
  });

  it('refuses columns for locales the bundle does not have', () => {
    const { issues } = importTranslationTable(gbvBundle(), { header: ['key', 'de'], rows: [['bundle.title', 'Titel']] });
    expect(issues.map((i) => i.code)).toEqual(['unknown_locale']);
  });
});
