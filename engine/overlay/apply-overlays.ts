/**
 * Overlays: what system administrators change without a steering-committee approval (docs/governance.md).
 * Lookups marked `localizable` gain options, new labels, an order and disabled options; the location
 * hierarchy marked `localizable` is replaced by an imported one. An overlay never changes a bundle's files or
 * hash: it is applied to the loaded definitions, then checked again with the same cross-reference checks
 * as any bundle, so that only clean definitions ever compile.
 *
 *   applyOverlays(loaded, overlays)  -> { bundles?, issues, skipped }
 *   compileBundles(bundles, { variant: `overlay:<digest of the overlays>` })   (memoised per bundle hashes + variant)
 *
 * Overlays outlive bundle versions: parts aimed at something a newer bundle no longer has (a lookup that is
 * gone or no longer localizable, a value the bundle now defines itself, a locale it dropped) are skipped
 * and listed, never an error.
 */
import { checkBundles } from '../bundle/check/check-bundles.js';
import type { LocationsFile, LookupDefinition, Translations } from '../bundle/schema/definitions.js';
import type { BundleIssue, LoadedBundle, ParsedBundle, Sourced } from '../bundle/types.js';
import { translationKeys as k } from '../i18n/translation-keys.js';

export interface LookupOverlayOption {
  readonly value: string;
  /** Label in the base language of the lookup's bundle. */
  readonly label: string;
  /** Labels in other locales. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly tags?: readonly string[];
}

/** The accumulated overlay of one lookup. */
export interface LookupOverlay {
  readonly add?: readonly LookupOverlayOption[];
  /** value -> locale -> label (the base language replaces the option's label). */
  readonly rename?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Values listed first, in this order; the others follow in their order. */
  readonly order?: readonly string[];
  readonly disable?: readonly string[];
}

export interface LocationOverlayNode {
  readonly code: string;
  readonly parent?: string;
  readonly level: number;
  /** Names by locale; the base language's is the location's name. */
  readonly names: Readonly<Record<string, string>>;
  readonly disabled?: boolean;
}

/** The whole localizable hierarchy: replaces the places of every `localizable` locations file. */
export interface LocationsOverlay {
  readonly nodes: readonly LocationOverlayNode[];
}

export interface ConfigOverlays {
  readonly lookups?: Readonly<Record<string, LookupOverlay>>;
  readonly locations?: LocationsOverlay;
}

export interface OverlayResult {
  /** Present only when the overlaid definitions pass every check. */
  readonly bundles?: readonly LoadedBundle[];
  readonly issues: readonly BundleIssue[];
  /** Parts not applied because the bundles no longer have their target (readable sentences). */
  readonly skipped: readonly string[];
}

interface Draft {
  lookups: Sourced<LookupDefinition>[];
  locations: Sourced<LocationsFile>[];
  translations: (Sourced<Translations> & { locale: string })[];
}

export function applyOverlays(bundles: readonly LoadedBundle[], overlays: ConfigOverlays): OverlayResult {
  const skipped: string[] = [];
  const drafts = new Map<ParsedBundle, Draft>();
  const draftOf = (bundle: ParsedBundle): Draft => {
    let draft = drafts.get(bundle);
    if (draft === undefined) {
      draft = { lookups: [...bundle.lookups], locations: [...bundle.locations], translations: bundle.translations.map((t) => ({ ...t, def: { ...t.def } })) };
      drafts.set(bundle, draft);
    }
    return draft;
  };
  const setText = (bundle: ParsedBundle, locale: string, key: string, text: string | undefined): boolean => {
    if (!bundle.manifest.locales.includes(locale)) return false;
    const draft = draftOf(bundle);
    let file = draft.translations.find((t) => t.locale === locale);
    if (file === undefined) {
      if (text === undefined) return true;
      file = { file: `translations/${locale}.json`, locale, def: {} };
      draft.translations.push(file);
    }
    const def = file.def as Record<string, string>;
    if (text === undefined) delete def[key];
    else def[key] = text;
    return true;
  };

  for (const [key, overlay] of Object.entries(overlays.lookups ?? {})) {
    const bundle = bundles.find((b) => b.lookups.some((l) => l.def.key === key));
    const entry = bundle?.lookups.find((l) => l.def.key === key);
    if (bundle === undefined || entry === undefined) {
      skipped.push(`lookup ${key}: no longer defined`);
      continue;
    }
    if (entry.def.localizable !== true) {
      skipped.push(`lookup ${key}: no longer localizable`);
      continue;
    }
    const base = bundle.manifest.baseLanguage;
    const values = entry.def.values.map((option) => ({ ...option }) as { value: string; label: string; tags?: string[]; disabled?: boolean });
    const labels: Array<[string, string, string]> = [];
    for (const option of overlay.add ?? []) {
      if (values.some((v) => v.value === option.value)) {
        skipped.push(`lookup ${key}: "${option.value}" is defined by the bundle now`);
        continue;
      }
      values.push({ value: option.value, label: option.label, ...(option.tags === undefined ? {} : { tags: [...option.tags] }) });
      for (const [locale, text] of Object.entries(option.labels ?? {})) labels.push([option.value, locale, text]);
    }
    for (const [value, byLocale] of Object.entries(overlay.rename ?? {})) for (const [locale, text] of Object.entries(byLocale)) labels.push([value, locale, text]);
    for (const [value, locale, text] of labels) {
      const option = values.find((v) => v.value === value);
      if (option === undefined) skipped.push(`lookup ${key}: no value "${value}" to label`);
      else if (locale === base) option.label = text;
      else if (!setText(bundle, locale, k.lookupValue(key, value), text)) skipped.push(`lookup ${key}: locale ${locale} is not one of bundle ${bundle.key}'s`);
    }
    for (const value of overlay.disable ?? []) {
      const option = values.find((v) => v.value === value);
      if (option === undefined) skipped.push(`lookup ${key}: no value "${value}" to disable`);
      else option.disabled = true;
    }
    let ordered = values;
    if (overlay.order !== undefined && overlay.order.length > 0) {
      const first = overlay.order.flatMap((value) => values.filter((v) => v.value === value));
      ordered = [...new Set([...first, ...values])];
    }
    const draft = draftOf(bundle);
    draft.lookups = draft.lookups.map((l) => (l.def.key === key ? { file: l.file, def: { ...l.def, values: ordered } } : l));
  }

  if (overlays.locations !== undefined) {
    const targets = bundles.flatMap((bundle) => bundle.locations.filter((l) => l.def.localizable === true).map((l) => ({ bundle, entry: l })));
    const target = targets[0];
    if (target === undefined) {
      skipped.push('locations: no locations file is localizable');
    } else {
      const base = target.bundle.manifest.baseLanguage;
      for (const { bundle, entry } of targets) {
        const draft = draftOf(bundle);
        // Place names of the replaced hierarchy go with it (a translation of a missing key is an issue).
        for (const place of entry.def.locations) for (const t of draft.translations) delete (t.def as Record<string, string>)[k.location(place.code)];
        const locations =
          entry === target.entry
            ? overlays.locations.nodes.map((node) => ({
                code: node.code,
                level: node.level,
                name: node.names[base] ?? Object.values(node.names)[0] ?? node.code,
                ...(node.parent === undefined ? {} : { parent: node.parent }),
                ...(node.disabled === true ? { disabled: true } : {}),
              }))
            : [];
        draft.locations = draft.locations.map((l) => (l === entry ? { file: l.file, def: { ...l.def, locations } } : l));
      }
      const dropped = new Set<string>();
      for (const node of overlays.locations.nodes) {
        for (const [locale, text] of Object.entries(node.names)) {
          if (locale !== base && !setText(target.bundle, locale, k.location(node.code), text)) dropped.add(locale);
        }
      }
      for (const locale of dropped) skipped.push(`locations: locale ${locale} is not one of bundle ${target.bundle.key}'s`);
    }
  }

  const result = bundles.map((bundle) => {
    const draft = drafts.get(bundle);
    return (draft === undefined ? bundle : { ...bundle, ...draft }) as LoadedBundle;
  });
  const issues = checkBundles(result);
  return issues.length > 0 ? { issues, skipped } : { bundles: result, issues, skipped };
}
