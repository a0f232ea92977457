/** The merged location hierarchy of the loaded bundles, indexed by code. */
import type { ParsedBundle } from '../bundle/types.js';
import type { LocationIndex, LocationNode } from '../fields/field-type.js';

export interface AdminLevel {
  readonly level: number;
  readonly key: string;
  readonly label: string;
}

export interface CompiledLocations extends LocationIndex {
  readonly levels: readonly AdminLevel[];
  /** Codes of the children of a location (roots under `undefined`), in definition order. */
  children(parent: string | undefined): readonly string[];
}

export function buildLocationIndex(bundles: readonly ParsedBundle[]): CompiledLocations {
  const levels = new Map<number, AdminLevel>();
  const nodes = new Map<string, LocationNode>();
  const children = new Map<string | undefined, string[]>();
  for (const bundle of bundles) {
    for (const { def } of bundle.locations) {
      for (const level of def.adminLevels) if (!levels.has(level.level)) levels.set(level.level, level);
    }
  }
  for (const bundle of bundles) {
    for (const { def } of bundle.locations) {
      for (const place of def.locations) {
        if (nodes.has(place.code)) continue;
        const node: LocationNode = {
          code: place.code,
          level: place.level,
          levelKey: levels.get(place.level)?.key ?? String(place.level),
          name: place.name,
          ...(place.parent === undefined ? {} : { parent: place.parent }),
        };
        nodes.set(place.code, node);
        const siblings = children.get(place.parent) ?? [];
        siblings.push(place.code);
        children.set(place.parent, siblings);
      }
    }
  }
  const byKey = new Map([...levels.values()].map((level) => [level.key, level.level] as const));
  return {
    nodes,
    levels: [...levels.values()].sort((a, b) => a.level - b.level),
    levelNumber: (level) => (typeof level === 'number' ? (levels.has(level) ? level : undefined) : byKey.get(level)),
    children: (parent) => children.get(parent) ?? [],
  };
}
