import type { CompiledConfig, HavenAbility, RecordCondition } from '../../engine/index.js';
import type { Principal } from '../auth/principal.js';

/**
 * Which records a report counts for the caller (docs/reports.md, "Scope"), per record type:
 *
 * - a caller with a `read` grant on the record type counts exactly the records that grant reaches (a
 *   supervisor: their groups' records; a role with `all`: every record) — never more than they may read;
 * - an aggregate-only caller (a programme manager, who never sees a record) counts the records owned within
 *   their own agency; without an agency, none.
 *
 * The conditions are the ability's record conditions, so `scopeSql` turns them into SQL like every other read.
 */
export function reportConditions(principal: Principal, module: string, recordType: string): readonly RecordCondition[] {
  const read = principal.ability.recordConditions('read', module, recordType);
  if (read.length > 0) return read;
  return principal.agencyCode === null ? [] : [{ ownerAgency: principal.agencyCode }];
}

/**
 * The modules whose reports the caller may run: those of the bundles defining a role of theirs that grants
 * `reports.aggregate` (a role of a bundle without modules, such as core, grants every module's reports).
 */
export function reportModules(config: CompiledConfig, ability: HavenAbility): ReadonlySet<string> {
  const out = new Set<string>();
  if (!ability.aggregateReports) return out;
  const all = config.source.flatMap((bundle) => bundle.modules.map((m) => m.def.key));
  for (const bundle of config.source) {
    for (const { def } of bundle.roles) {
      if (!ability.roles.includes(def.key) || def.reports?.aggregate !== true) continue;
      const modules = bundle.modules.length > 0 ? bundle.modules.map((m) => m.def.key) : all;
      for (const m of modules) out.add(m);
    }
  }
  return out;
}
