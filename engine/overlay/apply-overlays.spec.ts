import { describe, expect, it } from '@jest/globals';
import { compileBundles } from '../compile/compile-bundles.js';
import { listLocations, localizeLookup } from '../i18n/localize.js';
import { loadOrThrow, makeBundle, makeCoreBundle, testContext } from '../testing/bundle-factory.js';
import { applyOverlays, type ConfigOverlays } from './apply-overlays.js';

const PRACTICE = {
  key: 'practice',
  label: 'Practice',
  localizable: true,
  values: [{ value: 'early_marriage', label: 'Early marriage' }, { value: 'fgm', label: 'FGM' }, { value: 'other', label: 'Other' }],
};
const FIXED = { key: 'fixed', label: 'Fixed', values: [{ value: 'a', label: 'A' }] };
const LOCATIONS = {
  localizable: true,
  adminLevels: [{ level: 0, key: 'country', label: 'Country' }, { level: 1, key: 'region', label: 'Region' }],
  locations: [{ code: 'XX', level: 0, name: 'Country' }, { code: 'XX01', level: 1, parent: 'XX', name: 'Region 1' }],
};

function bundles() {
  return loadOrThrow(
    makeCoreBundle(),
    makeBundle({
      manifest: { dependsOn: ['core'] },
      lookups: [PRACTICE, FIXED],
      locations: { default: LOCATIONS },
      fields: [
        { key: 'practice', type: 'select', label: 'Practice', lookup: 'practice' },
        { key: 'where', type: 'location', label: 'Where' },
      ],
      translations: { fr: { 'lookup.practice.value.fgm': 'MGF', 'location.XX01': 'Région 1' } },
    }),
  );
}

function apply(overlays: ConfigOverlays) {
  const result = applyOverlays(bundles(), overlays);
  if (!result.bundles) throw new Error(JSON.stringify(result.issues));
  return { ...result, compiled: compileBundles(result.bundles, { variant: `spec:${JSON.stringify(overlays)}` }) };
}

describe('applyOverlays', () => {
  it('adds, relabels, orders and disables lookup options; the bundle hashes stay the same', () => {
    const plain = compileBundles(bundles());
    const { compiled, skipped } = apply({
      lookups: {
        practice: {
          add: [{ value: 'breast_ironing', label: 'Breast ironing', labels: { fr: 'Repassage des seins' } }],
          rename: { other: { en: 'Another practice', fr: 'Autre pratique' } },
          order: ['other', 'breast_ironing'],
          disable: ['fgm'],
        },
      },
    });
    expect(skipped).toEqual([]);
    expect(compiled.hash).toBe(plain.hash);
    expect(compiled.bundles.map((b) => b.hash)).toEqual(plain.bundles.map((b) => b.hash));
    expect(compiled).not.toBe(plain);
    const en = localizeLookup(compiled, 'practice', 'en');
    expect(en?.options).toEqual([
      { value: 'other', label: 'Another practice' },
      { value: 'breast_ironing', label: 'Breast ironing' },
      { value: 'early_marriage', label: 'Early marriage' },
      { value: 'fgm', label: 'FGM', disabled: true },
    ]);
    const fr = localizeLookup(compiled, 'practice', 'fr');
    expect(fr?.options.map((o) => o.label)).toEqual(['Autre pratique', 'Repassage des seins', 'Early marriage', 'MGF']);
    // The plain config is untouched (definitions are shared and frozen).
    expect(localizeLookup(plain, 'practice', 'en')?.options.map((o) => o.value)).toEqual(['early_marriage', 'fgm', 'other']);
  });

  it('records validate against added options; disabled options stay valid', () => {
    const { compiled } = apply({ lookups: { practice: { add: [{ value: 'breast_ironing', label: 'Breast ironing' }], disable: ['fgm'] } } });
    const rt = compiled.recordType('m', 'case');
    expect(rt.process({ practice: 'breast_ironing' }, testContext()).issues).toEqual([]);
    expect(rt.process({ practice: 'fgm' }, testContext()).issues).toEqual([]);
    expect(rt.process({ practice: 'nope' }, testContext()).issues.map((i) => i.code)).toEqual(['not_an_option']);
    expect(compileBundles(bundles()).recordType('m', 'case').process({ practice: 'breast_ironing' }, testContext()).issues.map((i) => i.code)).toEqual(['not_an_option']);
  });

  it('skips what targets a lookup that is gone, not localizable, or a value the bundle defines', () => {
    const result = applyOverlays(bundles(), {
      lookups: {
        gone: { add: [{ value: 'x', label: 'X' }] },
        fixed: { add: [{ value: 'b', label: 'B' }] },
        practice: { add: [{ value: 'fgm', label: 'Again' }], rename: { nope: { en: 'N' } }, disable: ['nope'] },
      },
    });
    expect(result.issues).toEqual([]);
    expect(result.skipped).toEqual([
      'lookup gone: no longer defined',
      'lookup fixed: no longer localizable',
      'lookup practice: "fgm" is defined by the bundle now',
      'lookup practice: no value "nope" to label',
      'lookup practice: no value "nope" to disable',
    ]);
  });

  it('replaces the localizable hierarchy, with names per locale and disabled places', () => {
    const { compiled } = apply({
      locations: {
        nodes: [
          { code: 'XX', level: 0, names: { en: 'Country', fr: 'Pays' } },
          { code: 'XX02', level: 1, parent: 'XX', names: { en: 'Region 2', fr: 'Région 2' } },
          { code: 'XX01', level: 1, parent: 'XX', names: { en: 'Region 1' }, disabled: true },
        ],
      },
    });
    expect(listLocations(compiled, { parent: 'XX', locale: 'fr' }).map((l) => [l.code, l.name])).toEqual([['XX02', 'Région 2'], ['XX01', 'Region 1']]);
    const rt = compiled.recordType('m', 'case');
    expect(rt.process({ where: 'XX02' }, testContext()).issues).toEqual([]);
    expect(rt.process({ where: 'XX01' }, testContext()).issues).toEqual([]);
    const locations = compiled.source.flatMap((b) => b.locations.flatMap((l) => l.def.locations));
    expect(locations.find((l) => l.code === 'XX01')?.disabled).toBe(true);
  });

  it('reports a hierarchy that does not check out, and builds nothing', () => {
    const result = applyOverlays(bundles(), {
      locations: { nodes: [{ code: 'XX', level: 0, names: { en: 'Country' } }, { code: 'XX09', level: 2, parent: 'XX', names: { en: 'Bad' } }] },
    });
    expect(result.bundles).toBeUndefined();
    expect(result.issues.map((i) => i.code)).toEqual(expect.arrayContaining(['unknown_admin_level']));
  });
});
