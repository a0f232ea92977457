/** Translation keys of reports (docs/config-format.md, "Reports") and the texts a report definition carries. */
import type { ReportDefinition } from '../bundle/schema/report.js';
import type { ParsedBundle } from '../bundle/types.js';

/** The report definitions of a bundle (their files matched `ReportSchema` when parsed). */
export function reportDefinitions(bundle: ParsedBundle): readonly { readonly file: string; readonly def: ReportDefinition }[] {
  return bundle.reports as unknown as readonly { file: string; def: ReportDefinition }[];
}

export const reportTextKeys = {
  label: (report: string): string => `report.${report}.label`,
  indicator: (report: string, indicator: string): string => `report.${report}.indicator.${indicator}.label`,
  disaggregation: (report: string, key: string): string => `report.${report}.disaggregation.${key}.label`,
  band: (report: string, key: string, band: string): string => `report.${report}.disaggregation.${key}.band.${band}.label`,
} as const;

export interface ReportText {
  readonly key: string;
  readonly base: string;
  readonly pointer: string;
}

/** Every translatable text of one report definition, in file order. */
export function reportTexts(def: ReportDefinition): ReportText[] {
  const k = reportTextKeys;
  const out: ReportText[] = [{ key: k.label(def.key), base: def.label, pointer: '/label' }];
  def.indicators.forEach((ind, i) => out.push({ key: k.indicator(def.key, ind.key), base: ind.label, pointer: `/indicators/${i}/label` }));
  // Derived figures share the indicators' key space (their keys are unique among both).
  def.derived?.forEach((d, i) => out.push({ key: k.indicator(def.key, d.key), base: d.label, pointer: `/derived/${i}/label` }));
  def.disaggregations?.forEach((d, i) => {
    out.push({ key: k.disaggregation(def.key, d.key), base: d.label, pointer: `/disaggregations/${i}/label` });
    d.bands?.forEach((band, j) => out.push({ key: k.band(def.key, d.key, band.key), base: band.label, pointer: `/disaggregations/${i}/bands/${j}/label` }));
  });
  return out;
}
