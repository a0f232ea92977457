/**
 * Checks of one report definition against its record type: conditions in the report subset with fields
 * that exist, are not identifying and fit their literals; disaggregations that fit their field's type;
 * indicators whose `rows` is a subform and whose `by` names a disaggregation they can use. Shared by the
 * bundle checker (`check-reports.ts`, over the checker's field index) and the compiler (over a compiled
 * record type), so both refuse the same things. Returns every issue; never throws.
 */
import type { ReportDefinition, ReportDisaggregation } from '../bundle/schema/report.js';
import { parseCondition, type ConditionIssueCode } from './condition.js';
import { groupableDisaggregations } from './report-params.js';
import { fieldKind, resolveOperand, type OperandScope, type ReportField } from './operands.js';

export type ReportIssueCode =
  | ConditionIssueCode
  | 'report_invalid_disaggregation'
  | 'report_unknown_disaggregation'
  | 'unknown_subform'
  | 'unknown_record_type'
  | 'duplicate_key'
  | 'unknown_admin_level';

export interface ReportIssue {
  readonly pointer: string;
  readonly code: ReportIssueCode;
  readonly message: string;
}

export interface ReportCheckEnv {
  field(key: string): ReportField | undefined;
  /** Row fields of a subform, or undefined when `key` is not a subform of the record type. */
  subform(key: string): ((field: string) => ReportField | undefined) | undefined;
  /** False when no locations file declares the level (number or key). */
  hasAdminLevel(level: number | string): boolean;
}

const noParam = (): string => '$0';

/** Which kind of split a disaggregation is; undefined (with issues) when it does not fit its field. */
export type DisaggregationKind = 'values' | 'multi' | 'bands' | 'admin' | 'period' | 'discovered';

export function disaggregationKind(
  d: ReportDisaggregation,
  scope: OperandScope,
  hasAdminLevel: (level: number | string) => boolean,
  at: string,
  issues: ReportIssue[],
): DisaggregationKind | undefined {
  const fail = (pointer: string, code: ReportIssueCode, message: string): undefined => {
    issues.push({ pointer, code, message });
    return undefined;
  };
  const found = resolveOperand(d.field, scope, noParam);
  if (!found.ok) return fail(`${at}/field`, found.code, found.message);
  const o = found.operand;
  const modes = [d.bands, d.adminLevel, d.period].filter((x) => x !== undefined).length;
  if (modes > 1) return fail(at, 'report_invalid_disaggregation', 'A disaggregation has at most one of `bands`, `adminLevel` and `period`.');
  if (d.bands !== undefined) {
    if (o.kind !== 'number' && o.kind !== 'any') return fail(`${at}/bands`, 'report_invalid_disaggregation', `Bands split numbers; "${d.field}" is not a number field.`);
    const keys = new Set<string>();
    d.bands.forEach((band, i) => {
      if (keys.has(band.key)) fail(`${at}/bands/${i}/key`, 'duplicate_key', `Band "${band.key}" appears twice.`);
      keys.add(band.key);
      if (band.min !== undefined && band.max !== undefined && band.min > band.max) fail(`${at}/bands/${i}`, 'report_invalid_disaggregation', '`min` is above `max`.');
    });
    return 'bands';
  }
  if (d.adminLevel !== undefined) {
    if (o.field?.type !== 'location') return fail(`${at}/adminLevel`, 'report_invalid_disaggregation', `Admin levels split location fields; "${d.field}" is not one.`);
    if (!hasAdminLevel(d.adminLevel)) return fail(`${at}/adminLevel`, 'unknown_admin_level', `Admin level "${d.adminLevel}" is not declared by any locations file.`);
    return 'admin';
  }
  if (d.period !== undefined) {
    if (o.kind !== 'date') return fail(`${at}/period`, 'report_invalid_disaggregation', `Periods split dates; "${d.field}" is not a date.`);
    return 'period';
  }
  if (o.kind === 'multi') return 'multi';
  if (o.kind === 'boolean') return 'values';
  if (o.field === undefined && o.kind === 'string') return 'discovered'; // $status, $agency
  if (o.field?.options !== undefined && o.kind === 'string') return 'values';
  return fail(`${at}/field`, 'report_invalid_disaggregation', `"${d.field}" has no fixed values to split by (choice, yes/no, $status or $agency fields do); use bands, adminLevel or period.`);
}

/**
 * `envFor(recordType)` gives the fields of a record type of the report's module, or undefined when the module
 * does not list it.
 */
export function checkReport(def: ReportDefinition, envFor: (recordType: string) => ReportCheckEnv | undefined): ReportIssue[] {
  const issues: ReportIssue[] = [];
  const env = envFor(def.recordType);
  if (env === undefined) return [{ pointer: '/recordType', code: 'unknown_record_type', message: `Module "${def.module}" has no record type "${def.recordType}".` }];
  const recordScope: OperandScope = { field: (key) => env.field(key) };
  const push = (list: readonly { pointer: string; code: ReportIssueCode; message: string }[]): void => {
    issues.push(...list);
  };

  if (def.where !== undefined) push(parseCondition(def.where, recordScope, noParam, '/where').issues);
  def.dateFields?.forEach((name, i) => {
    const found = resolveOperand(name, recordScope, noParam);
    if (!found.ok) issues.push({ pointer: `/dateFields/${i}`, code: found.code, message: found.message });
    else if (found.operand.kind !== 'date') issues.push({ pointer: `/dateFields/${i}`, code: 'report_type_mismatch', message: `"${name}" is not a date.` });
  });

  const disaggregations = new Map<string, { def: ReportDisaggregation; row: boolean }>();
  def.disaggregations?.forEach((d, i) => {
    const at = `/disaggregations/${i}`;
    if (disaggregations.has(d.key)) issues.push({ pointer: `${at}/key`, code: 'duplicate_key', message: `Disaggregation "${d.key}" appears twice.` });
    disaggregations.set(d.key, { def: d, row: d.field.startsWith('row.') });
    // Row-level disaggregations, and those only indicators of another record type use, are checked where
    // the indicators use them (they need its subform or record type).
    if (groupableDisaggregations(def).includes(d.key)) disaggregationKind(d, recordScope, env.hasAdminLevel, at, issues);
  });

  const indicatorKeys = new Set<string>();
  def.indicators.forEach((ind, i) => {
    const at = `/indicators/${i}`;
    if (indicatorKeys.has(ind.key)) issues.push({ pointer: `${at}/key`, code: 'duplicate_key', message: `Indicator "${ind.key}" appears twice.` });
    indicatorKeys.add(ind.key);
    const own = ind.recordType === undefined ? env : envFor(ind.recordType);
    if (own === undefined) {
      issues.push({ pointer: `${at}/recordType`, code: 'unknown_record_type', message: `Module "${def.module}" has no record type "${ind.recordType}".` });
      return;
    }
    if (ind.recordType !== undefined && ind.recordType !== def.recordType) {
      def.dateFields?.forEach((name, j) => {
        if (!name.startsWith('$')) {
          issues.push({ pointer: `/dateFields/${j}`, code: 'report_type_mismatch', message: `Indicators count other record types too, so the date filter must be a pseudo-variable such as $created_at, not "${name}".` });
        }
      });
    }
    const ownScope: OperandScope = { field: (key) => own.field(key) };
    let scope: OperandScope | undefined = ownScope;
    if (ind.rows !== undefined) {
      const rowField = own.subform(ind.rows);
      if (rowField === undefined) {
        issues.push({ pointer: `${at}/rows`, code: 'unknown_subform', message: `"${ind.rows}" is not a subform of ${def.module}/${ind.recordType ?? def.recordType}.` });
        scope = undefined;
      } else {
        scope = { field: ownScope.field, rowField };
      }
    } else if (ind.count !== undefined) {
      issues.push({ pointer: `${at}/count`, code: 'report_invalid_condition', message: '`count` applies to indicators that count subform `rows`.' });
    }
    if (scope === undefined) return;
    if (ind.where !== undefined) push(parseCondition(ind.where, scope, noParam, `${at}/where`).issues);
    if (ind.by !== undefined) {
      const d = disaggregations.get(ind.by);
      if (d === undefined) {
        issues.push({ pointer: `${at}/by`, code: 'report_unknown_disaggregation', message: `There is no disaggregation "${ind.by}" in this report.` });
      } else if (!d.row && ind.recordType !== undefined && ind.recordType !== def.recordType) {
        disaggregationKind(d.def, ownScope, env.hasAdminLevel, `/disaggregations/${[...disaggregations.keys()].indexOf(ind.by)}`, issues);
      } else if (d.row) {
        if (ind.rows === undefined) {
          issues.push({ pointer: `${at}/by`, code: 'report_unknown_disaggregation', message: `"${ind.by}" splits subform rows; this indicator counts records.` });
        } else {
          disaggregationKind(d.def, scope, env.hasAdminLevel, `/disaggregations/${[...disaggregations.keys()].indexOf(ind.by)}`, issues);
        }
      }
    }
  });
  checkDerived(def, envFor, issues);
  // One message per place: a row-level disaggregation used by several indicators reports once.
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const id = `${issue.pointer}\u0000${issue.code}\u0000${issue.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export { fieldKind };

/** The number an average reads, as operands: one number, or two dates (from, to). */
export function averageOperands(value: string | { readonly days: readonly string[] }): { readonly names: readonly string[]; readonly kind: 'number' | 'date' } {
  return typeof value === 'string' ? { names: [value], kind: 'number' } : { names: value.days, kind: 'date' };
}

/**
 * Derived figures: unique keys (among indicators too), counts that exist (`<indicator>` or
 * `<indicator>.<bucket>` of a split indicator, never another derived figure, so there are no cycles), exactly
 * one of `ratio` and `average`, an average over a one-row indicator of records, of a number or two dates.
 */
function checkDerived(def: ReportDefinition, envFor: (recordType: string) => ReportCheckEnv | undefined, issues: ReportIssue[]): void {
  const indicators = new Map(def.indicators.map((ind) => [ind.key, ind]));
  const derivedKeys = new Set((def.derived ?? []).map((d) => d.key));
  const fail = (pointer: string, message: string): void => {
    // The code of malformed report definitions (bundle issue codes are a closed catalogue).
    issues.push({ pointer, code: 'report_invalid_condition', message });
  };
  const seen = new Set<string>();
  def.derived?.forEach((d, i) => {
    const at = `/derived/${i}`;
    if (indicators.has(d.key) || seen.has(d.key)) issues.push({ pointer: `${at}/key`, code: 'duplicate_key', message: `"${d.key}" is already an indicator or derived figure of this report.` });
    seen.add(d.key);
    if ((d.ratio === undefined) === (d.average === undefined)) {
      fail(at, 'A derived figure has exactly one of `ratio` and `average`.');
      return;
    }
    if (d.ratio !== undefined) {
      for (const side of ['numerator', 'denominator'] as const) {
        const ref = d.ratio[side];
        const [key, bucket] = ref.split('.') as [string, string | undefined];
        const ind = indicators.get(key);
        if (ind === undefined) {
          fail(`${at}/ratio/${side}`, derivedKeys.has(key) ? `"${key}" is a derived figure; ratios read indicators' counts only.` : `There is no indicator "${key}" in this report.`);
        } else if (bucket !== undefined && ind.by === undefined) {
          fail(`${at}/ratio/${side}`, `"${key}" is not split, so it has no row "${bucket}".`);
        }
      }
      if (d.ratio.numerator === d.ratio.denominator) fail(`${at}/ratio`, 'The numerator and the denominator are the same count.');
      return;
    }
    const average = d.average as NonNullable<typeof d.average>;
    const over = indicators.get(average.over);
    if (over === undefined) {
      fail(`${at}/average/over`, derivedKeys.has(average.over) ? `"${average.over}" is a derived figure; averages run over an indicator's records.` : `There is no indicator "${average.over}" in this report.`);
      return;
    }
    if (over.rows !== undefined || over.by !== undefined) {
      fail(`${at}/average/over`, `Averages run over the records of a one-row indicator; "${over.key}" counts subform rows or is split.`);
      return;
    }
    const env = envFor(over.recordType ?? def.recordType);
    if (env === undefined) return; // reported with the indicator
    const scope: OperandScope = { field: (key) => env.field(key) };
    const { names, kind } = averageOperands(average.of);
    names.forEach((name, j) => {
      const pointer = typeof average.of === 'string' ? `${at}/average/of` : `${at}/average/of/days/${j}`;
      const found = resolveOperand(name, scope, noParam);
      if (!found.ok) issues.push({ pointer, code: found.code, message: found.message });
      // Calculated fields (`any`) are read as numbers where they hold one, as bands do.
      else if (found.operand.kind !== kind && !(kind === 'number' && found.operand.kind === 'any')) issues.push({ pointer, code: 'report_type_mismatch', message: `"${name}" is not a ${kind}.` });
    });
  });
}
