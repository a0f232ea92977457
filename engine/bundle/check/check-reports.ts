/**
 * Report definitions (`reports/<key>.json`, docs/reports.md): unique keys, a module and record type that
 * exist, and everything `checkReport` checks against the record type's fields (the JSON Logic subset,
 * field types, identifying fields, disaggregations, subforms).
 */
import { isSubform, type FieldDefinition, type LeafFieldDefinition } from '../../fields/index.js';
import { checkReport, type ReportCheckEnv } from '../../reports/check-report.js';
import type { ReportField } from '../../reports/operands.js';
import { reportDefinitions } from '../../reports/report-texts.js';
import { adminLevelLookup } from './check-forms.js';
import type { CheckContext, Namespace } from './context.js';

function reportField(ctx: CheckContext, def: FieldDefinition | LeafFieldDefinition, parentIdentifying: boolean): ReportField {
  const raw = def as { options?: readonly { value: string; label: string }[]; lookup?: string };
  const lookup = raw.lookup === undefined ? undefined : ctx.lookups.get(raw.lookup)?.def;
  const options = lookup?.values.map((o) => o.value) ?? raw.options?.map((o) => o.value);
  return {
    type: def.type,
    identifying: parentIdentifying || def.identifying === true,
    ...(options === undefined ? {} : { options }),
    ...(raw.lookup === undefined ? {} : { lookup: raw.lookup }),
  };
}

function envOf(ctx: CheckContext, ns: Namespace, hasAdminLevel: (level: number | string) => boolean | undefined): ReportCheckEnv {
  return {
    field: (key) => {
      const entry = ns.fields.get(key);
      return entry === undefined ? undefined : reportField(ctx, entry.def, false);
    },
    subform: (key) => {
      const parent = ns.fields.get(key)?.def;
      const rows = ns.subforms.get(key);
      if (parent === undefined || rows === undefined || !isSubform(parent)) return undefined;
      return (field) => {
        const entry = rows.get(field);
        return entry === undefined ? undefined : reportField(ctx, entry.def, parent.identifying === true);
      };
    },
    // Unknown (no locations loaded, or a broken locations file) is not reported here.
    hasAdminLevel: (level) => hasAdminLevel(level) !== false,
  };
}

export function checkReports(ctx: CheckContext): void {
  const hasAdminLevel = adminLevelLookup(ctx);
  const keys = new Map<string, string>();
  for (const bundle of ctx.bundles) {
    for (const { def, file } of reportDefinitions(bundle)) {
      const previous = keys.get(def.key);
      if (previous !== undefined) ctx.report(bundle, file, '/key', 'duplicate_key', `Report "${def.key}" is already defined in ${previous}.`);
      keys.set(def.key, `${bundle.key}/${file}`);
      const module = ctx.modules.get(def.module);
      if (module === undefined || !ctx.sees(bundle, module.bundle)) {
        if (!ctx.isBroken('module', def.module)) ctx.report(bundle, file, '/module', 'unknown_module', `There is no module "${def.module}" in this bundle or its dependencies.`);
        continue;
      }
      const types = [def.recordType, ...def.indicators.flatMap((ind) => (ind.recordType === undefined ? [] : [ind.recordType]))];
      // Forms that failed their schema make field references uncertain: their own issues are reported.
      if (types.some((rt) => (ctx.namespace(def.module, rt)?.brokenFields.size ?? 0) > 0)) continue;
      const envFor = (rt: string) => {
        if (!module.def.recordTypes.includes(rt)) return undefined;
        const ns = ctx.namespace(def.module, rt) ?? { module: def.module, recordType: rt, fields: new Map(), subforms: new Map(), brokenFields: new Map() };
        return envOf(ctx, ns, hasAdminLevel);
      };
      for (const issue of checkReport(def, envFor)) ctx.report(bundle, file, issue.pointer, issue.code, issue.message);
    }
  }
}
