import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { applyOverlays, type BundleIssue, type LoadedBundle, type LocationOverlayNode, type LookupOverlay } from '../../engine/index.js';

/** A location of the imported hierarchy as stored: what the engine needs, plus coordinates (export only). */
export interface StoredLocationNode extends LocationOverlayNode {
  readonly latitude?: number;
  readonly longitude?: number;
}

/** The overlays in force: the latest state of each lookup overlay and of the location hierarchy. */
export interface OverlayState {
  /** Highest overlay version (0: none). Every POST of an overlay is a new version. */
  readonly version: number;
  readonly lookups: Readonly<Record<string, LookupOverlay>>;
  readonly locations?: { readonly nodes: readonly StoredLocationNode[] };
}

export const NO_OVERLAYS: OverlayState = { version: 0, lookups: {} };

/** The latest state per overlay target, in one snapshot. */
export async function readOverlays(db: EntityManager): Promise<OverlayState> {
  const rows: Array<{ kind: 'lookup' | 'locations'; target: string; state: unknown; version: string; max: string }> = await db.query(
    `SELECT DISTINCT ON (o.kind, o.target) o.kind, o.target, o.state, o.version, m.max
       FROM config_overlay o CROSS JOIN (SELECT max(version) AS max FROM config_overlay) m
      ORDER BY o.kind, o.target, o.version DESC`,
  );
  if (rows.length === 0) return NO_OVERLAYS;
  const lookups: Record<string, LookupOverlay> = {};
  let locations: OverlayState['locations'];
  for (const row of rows) {
    if (row.kind === 'lookup') lookups[row.target] = row.state as LookupOverlay;
    else locations = row.state as { nodes: StoredLocationNode[] };
  }
  return { version: Number(rows[0]!.max), lookups, ...(locations ? { locations } : {}) };
}

/** Only what the engine reads of a stored location (coordinates stay in the overlay). */
function engineNodes(nodes: readonly StoredLocationNode[]): LocationOverlayNode[] {
  return nodes.map(({ code, parent, level, names, disabled }) => ({ code, level, names, ...(parent === undefined ? {} : { parent }), ...(disabled ? { disabled } : {}) }));
}

export interface AppliedOverlays {
  readonly bundles: readonly LoadedBundle[];
  readonly skipped: readonly string[];
  /** Overlay parts left out because the definitions they produce do not check out (with the reason). */
  readonly failed: ReadonlyArray<{ readonly part: string; readonly issues: readonly BundleIssue[] }>;
}

/**
 * The bundles with every overlay applied. Overlays were checked when they were written; should a later
 * bundle version make one fail (a removed admin level, …), it is left out rather than stopping the server:
 * lookups and locations are tried separately, and the plain bundles are the last resort.
 */
export function overlaidBundles(bundles: readonly LoadedBundle[], overlay: OverlayState): AppliedOverlays {
  if (overlay.version === 0) return { bundles, skipped: [], failed: [] };
  const locations = overlay.locations ? { nodes: engineNodes(overlay.locations.nodes) } : undefined;
  const all = applyOverlays(bundles, { lookups: overlay.lookups, ...(locations ? { locations } : {}) });
  if (all.bundles) return { bundles: all.bundles, skipped: all.skipped, failed: [] };
  const failed: Array<{ part: string; issues: readonly BundleIssue[] }> = [];
  const lookupsOnly = applyOverlays(bundles, { lookups: overlay.lookups });
  const locationsOnly = locations ? applyOverlays(bundles, { locations }) : undefined;
  if (!lookupsOnly.bundles) failed.push({ part: 'lookups', issues: lookupsOnly.issues });
  if (locationsOnly && !locationsOnly.bundles) failed.push({ part: 'locations', issues: locationsOnly.issues });
  // Each applies alone but not together: keep the lookups.
  if (lookupsOnly.bundles && locationsOnly?.bundles) failed.push({ part: 'locations', issues: all.issues });
  const best = lookupsOnly.bundles ?? locationsOnly?.bundles ?? bundles;
  return { bundles: best, skipped: [...lookupsOnly.skipped, ...(locationsOnly?.skipped ?? [])], failed };
}

/** SHA-256 of the overlays' content (what the compiled configuration depends on; the version number alone is per database). */
export function overlayDigest(overlay: OverlayState): string {
  return createHash('sha256').update(JSON.stringify({ lookups: overlay.lookups, locations: overlay.locations ?? null })).digest('hex');
}
