/**
 * The location hierarchy, merged over every loaded bundle (a deployment bundle adds the places of its
 * country): unique codes, known parents and levels, level = parent level + 1, no cycles.
 */
import type { ParsedBundle } from '../types.js';
import type { CheckContext } from './context.js';

interface Place {
  readonly bundle: ParsedBundle;
  readonly file: string;
  readonly index: number;
  readonly code: string;
  readonly level: number;
  readonly parent?: string;
}

export function checkLocations(ctx: CheckContext): void {
  const levelKeys = new Map<number, string>();
  const keyLevels = new Map<string, number>();
  const places = new Map<string, Place>();

  for (const bundle of ctx.bundles) {
    for (const { def, file } of bundle.locations) {
      def.adminLevels.forEach((level, i) => {
        const knownKey = levelKeys.get(level.level);
        const knownLevel = keyLevels.get(level.key);
        if ((knownKey !== undefined && knownKey !== level.key) || (knownLevel !== undefined && knownLevel !== level.level)) {
          ctx.report(bundle, file, `/adminLevels/${i}`, 'admin_level_conflict', `Level ${level.level} "${level.key}" disagrees with another locations file (${knownKey ?? knownLevel}).`);
          return;
        }
        levelKeys.set(level.level, level.key);
        keyLevels.set(level.key, level.level);
      });
      def.locations.forEach((location, index) => {
        if (places.has(location.code)) {
          ctx.report(bundle, file, `/locations/${index}/code`, 'duplicate_location', `Location code "${location.code}" appears twice.`);
          return;
        }
        places.set(location.code, { bundle, file, index, code: location.code, level: location.level, ...(location.parent === undefined ? {} : { parent: location.parent }) });
      });
    }
  }

  for (const place of places.values()) {
    const at = `/locations/${place.index}`;
    if (!levelKeys.has(place.level)) {
      ctx.report(place.bundle, place.file, `${at}/level`, 'unknown_admin_level', `Level ${place.level} is not one of the adminLevels.`);
    }
    if (place.parent === undefined) {
      if (place.level !== 0) ctx.report(place.bundle, place.file, `${at}/level`, 'invalid_location_level', 'A location without a parent is at level 0.');
      continue;
    }
    const parent = places.get(place.parent);
    if (parent === undefined) {
      ctx.report(place.bundle, place.file, `${at}/parent`, 'unknown_parent_location', `There is no location "${place.parent}".`);
    } else if (place.level !== parent.level + 1) {
      ctx.report(place.bundle, place.file, `${at}/level`, 'invalid_location_level', `Level must be ${parent.level + 1}: one below its parent "${parent.code}" (level ${parent.level}).`);
    }
  }

  // Cycles: follow parents; a chain that returns to a code already on it is a cycle, reported once.
  const settled = new Set<string>();
  for (const start of places.values()) {
    const chain: string[] = [];
    const onChain = new Set<string>();
    let current: Place | undefined = start;
    while (current !== undefined && !settled.has(current.code)) {
      if (onChain.has(current.code)) {
        const cycle = chain.slice(chain.indexOf(current.code));
        ctx.report(current.bundle, current.file, `/locations/${current.index}/parent`, 'location_cycle', `Locations are their own ancestors: ${[...cycle, current.code].join(' -> ')}.`);
        break;
      }
      chain.push(current.code);
      onChain.add(current.code);
      current = current.parent === undefined ? undefined : places.get(current.parent);
    }
    for (const code of chain) settled.add(code);
  }
}
