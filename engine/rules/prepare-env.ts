/** What preparing a rule needs from the configuration. */
import type { LocatedPlace } from './prepared-args.js';

export interface PrepareEnv {
  /** Enabled values of a lookup visible to the rule, or undefined when there is no such lookup. */
  lookupValues(key: string): readonly string[] | undefined;
  /**
   * Export mappings only (`lookup_label`): option value -> label of a lookup, in the export's locale.
   * Absent for record rules, whose checker refuses the operation.
   */
  lookupLabels?(key: string): ReadonlyMap<string, string> | undefined;
  /**
   * Export mappings only (`location_ancestor`): for an admin level (number or key), the place at that
   * level that a code is or descends from, with its name in the export's locale.
   */
  locationAncestor?(level: number | string): ((code: string) => LocatedPlace | undefined) | undefined;
}
