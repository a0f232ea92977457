/**
 * Query parameters of a report run, validated against the report: every problem at once, each with a
 * stable code and a JSON pointer naming the parameter (`/from`). Nothing about a request reaches SQL
 * before it passed here.
 */
import type { ReportDefinition } from '../bundle/schema/report.js';
import type { ReportRunParams } from './report-query.js';

export interface ReportParamIssue {
  readonly code: 'invalid_date' | 'invalid_range' | 'invalid_value' | 'unknown_parameter' | 'invalid_type';
  readonly path: string;
  readonly message: string;
}

export const REPORT_PARAMS = ['from', 'to', 'dateField', 'groupBy', 'agency', 'group', 'format', 'locale'] as const;
export const REPORT_FORMATS = ['json', 'csv', 'xlsx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function realDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

export function validateReportParams(
  report: ReportDefinition,
  query: Readonly<Record<string, unknown>>,
): { params: ReportRunParams; format: ReportFormat; issues: ReportParamIssue[] } {
  const issues: ReportParamIssue[] = [];
  const params: { -readonly [K in keyof ReportRunParams]: ReportRunParams[K] } = {};
  const text = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      issues.push({ code: 'invalid_type', path: `/${name}`, message: `"${name}" is given once, as text.` });
      return undefined;
    }
    return value;
  };
  for (const name of Object.keys(query)) {
    if (!(REPORT_PARAMS as readonly string[]).includes(name)) {
      issues.push({ code: 'unknown_parameter', path: `/${name}`, message: `"${name}" is not a parameter of reports (${REPORT_PARAMS.join(', ')}).` });
    }
  }
  for (const name of ['from', 'to'] as const) {
    const value = text(name);
    if (value === undefined) continue;
    if (!realDate(value)) issues.push({ code: 'invalid_date', path: `/${name}`, message: `"${name}" is a date (YYYY-MM-DD).` });
    else params[name] = value;
  }
  if (params.from !== undefined && params.to !== undefined && params.from > params.to) {
    issues.push({ code: 'invalid_range', path: '/to', message: '"to" is before "from".' });
  }
  const dateFields = report.dateFields ?? [];
  const dateField = text('dateField');
  if (dateField !== undefined) {
    if (!dateFields.includes(dateField)) issues.push({ code: 'invalid_value', path: '/dateField', message: `"dateField" is one of: ${dateFields.join(', ') || '(none: this report has no date filter)'}.` });
    else params.dateField = dateField;
  }
  if ((query['from'] !== undefined || query['to'] !== undefined) && dateFields.length === 0) {
    issues.push({ code: 'invalid_value', path: '/from', message: 'This report has no date field to filter on.' });
  }
  const groupable = groupableDisaggregations(report);
  const groupBy = text('groupBy');
  if (groupBy !== undefined) {
    if (!groupable.includes(groupBy)) issues.push({ code: 'invalid_value', path: '/groupBy', message: `"groupBy" is one of: ${groupable.join(', ') || '(none)'}.` });
    else params.groupBy = groupBy;
  }
  for (const name of ['agency', 'group'] as const) {
    const value = text(name);
    if (value === undefined) continue;
    if (!CODE.test(value)) issues.push({ code: 'invalid_value', path: `/${name}`, message: `"${name}" is an ${name} code.` });
    else params[name] = value;
  }
  const rawFormat = text('format') ?? 'json';
  const format = (REPORT_FORMATS as readonly string[]).includes(rawFormat) ? (rawFormat as ReportFormat) : 'json';
  if (format !== rawFormat) issues.push({ code: 'invalid_value', path: '/format', message: `"format" is one of: ${REPORT_FORMATS.join(', ')}.` });
  text('locale');
  return { params, format, issues };
}

/**
 * Groupable disaggregations (the `groupBy` values) of a report: those over fields of the report's record
 * type. Row-level ones split subform rows, and one used only by indicators of another record type reads
 * that type's fields.
 */
export function groupableDisaggregations(report: ReportDefinition): string[] {
  const main = report.recordType;
  const usedElsewhereOnly = (key: string): boolean => {
    const users = report.indicators.filter((ind) => ind.by === key);
    return users.length > 0 && users.every((ind) => ind.recordType !== undefined && ind.recordType !== main);
  };
  return (report.disaggregations ?? []).filter((d) => !d.field.startsWith('row.') && !usedElsewhereOnly(d.key)).map((d) => d.key);
}
