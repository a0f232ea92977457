import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  assembleReportTable,
  buildReportQuery,
  groupableDisaggregations,
  reportDefinitions,
  reportTextKeys,
  validateReportParams,
  type CompiledConfig,
  type ReportCountRow,
  type ReportDefinition,
  type ReportFormat,
  type ReportTable,
} from '../../engine/index.js';
import { AuditService } from '../audit/audit.service.js';
import { HavenError } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { systemSettings } from '../config/system-settings.js';
import { scopeSql, SqlParams } from '../records/scope-sql.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { reportCsv, reportRows, reportXlsx } from './report-files.js';
import { reportConditions, reportModules } from './report-scope.js';

export interface ReportSummary {
  key: string;
  label: string;
  description?: string;
  module: string;
  recordType: string;
  dateFields: string[];
  groupBy: { key: string; label: string }[];
  threshold: number;
}

export type ReportResult =
  | { format: 'json'; table: ReportTable }
  | { format: 'csv' | 'xlsx'; table: ReportTable; bytes: Buffer; contentType: string; fileName: string };

const KEY = /^[a-z][a-z0-9_]{0,62}$/;
/** Per-statement sort and materialisation memory of a report run (PostgreSQL `work_mem`, this transaction only). */
const REPORT_WORK_MEM = '64MB';
const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } as const;

/** Words of the spreadsheet header (the table's own labels come from the bundle). */
const FILE_TEXTS: Record<string, { indicator: string; value: string; total: string; notRecorded: string; other: string; all: string }> = {
  en: { indicator: 'Indicator', value: 'Value', total: 'Total', notRecorded: 'Not recorded', other: 'Other', all: 'All' },
  fr: { indicator: 'Indicateur', value: 'Valeur', total: 'Total', notRecorded: 'Non renseigné', other: 'Autre', all: 'Tous' },
  ar: { indicator: 'المؤشر', value: 'القيمة', total: 'المجموع', notRecorded: 'غير مسجل', other: 'أخرى', all: 'الكل' },
  es: { indicator: 'Indicador', value: 'Valor', total: 'Total', notRecorded: 'No registrado', other: 'Otro', all: 'Todos' },
};

/**
 * Aggregate reports (docs/reports.md): definitions from the active bundles, run as one SQL statement over the
 * records the caller's report scope reaches (`report-scope.ts`), small cells suppressed before anything leaves,
 * every run audited (`report.run`: key and parameters, never a count).
 */
@Injectable()
export class ReportsService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
  ) {}

  private runnable(actor: Actor, compiled: CompiledConfig): ReportDefinition[] {
    const ability = actor.principal.ability;
    if (!ability.aggregateReports) throw new HavenError('forbidden', 'Aggregate reports need a role with `reports.aggregate`.');
    const modules = reportModules(compiled, ability);
    return compiled.source.flatMap((bundle) => reportDefinitions(bundle).map((r) => r.def)).filter((def) => modules.has(def.module));
  }

  private threshold(compiled: CompiledConfig, def: ReportDefinition): number {
    return Math.max(def.threshold ?? 0, systemSettings(compiled).reports.smallCellThreshold, 2);
  }

  list(actor: Actor, locale?: string): ReportSummary[] {
    const compiled = this.config.current();
    const lang = this.locale(actor, locale);
    const t = (key: string, base: string) => compiled.texts.text(key, lang) ?? base;
    return this.runnable(actor, compiled).map((def) => ({
      key: def.key,
      label: t(reportTextKeys.label(def.key), def.label),
      ...(def.description === undefined ? {} : { description: def.description }),
      module: def.module,
      recordType: def.recordType,
      dateFields: [...(def.dateFields ?? [])],
      groupBy: groupableDisaggregations(def).map((key) => {
        const d = (def.disaggregations ?? []).find((x) => x.key === key)!;
        return { key, label: t(reportTextKeys.disaggregation(def.key, key), d.label) };
      }),
      threshold: this.threshold(compiled, def),
    }));
  }

  private locale(actor: Actor, requested: string | undefined): string {
    return requested !== undefined && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(requested) ? requested : actor.principal.locale;
  }

  async run(actor: Actor, key: string, query: Record<string, unknown>): Promise<ReportResult> {
    const compiled = this.config.current();
    const def = KEY.test(key) ? this.runnable(actor, compiled).find((r) => r.key === key) : undefined;
    if (def === undefined) throw HavenError.notFound('No such report.');
    const { params, format, issues } = validateReportParams(def, query);
    if (issues.length > 0) throw HavenError.validation(issues.map((i) => ({ code: i.code, path: i.path, message: i.message })), 'The report parameters are not valid.');
    const locale = this.locale(actor, typeof query['locale'] === 'string' ? query['locale'] : undefined);
    const texts = FILE_TEXTS[locale.split('-')[0] as string] ?? (FILE_TEXTS['en'] as (typeof FILE_TEXTS)[string]);

    const sql = new SqlParams();
    const types = [...new Set([def.recordType, ...def.indicators.flatMap((i) => (i.recordType === undefined ? [] : [i.recordType]))])];
    const scope = types
      // Disabled records count only for those who may see them (their `disable` scope), as on every read path.
      .map((rt) => {
        const disabled = scopeSql(actor.principal.ability.recordConditions('disable', def.module, rt), sql);
        return `(r.record_type = ${sql.add(rt)}::text AND ${scopeSql(reportConditions(actor.principal, def.module, rt), sql)} AND (NOT r.disabled OR ${disabled}))`;
      })
      .join(' OR ');
    const agencies = await this.agencyNames(def, params.groupBy);
    const { sql: text, plan } = buildReportQuery({
      config: compiled,
      report: def,
      params,
      scopeSql: scope,
      param: (value) => sql.add(value),
      locale,
      minimumThreshold: this.threshold(compiled, def),
      agencyLabel: (code) => agencies.get(code) ?? code,
    });
    // Read-only, with room to keep the statement's working sets in memory (the base rows are re-read per indicator).
    const counts: ReportCountRow[] = await this.ds.transaction(async (tx) => {
      await tx.query(`SET TRANSACTION READ ONLY`);
      await tx.query(`SET LOCAL work_mem = '${REPORT_WORK_MEM}'`);
      return tx.query(text, sql.values);
    });
    const table = assembleReportTable({ ...plan, texts: { notRecorded: texts.notRecorded, other: texts.other, all: texts.all } }, counts);

    await this.audit.record({
      ...auditActor(actor),
      action: 'report.run',
      objectType: 'report',
      objectId: def.key,
      details: { params: { ...params }, format, suppressed: table.suppressed },
    });
    if (format === 'json') return { format, table };
    const rows = reportRows(table, texts);
    const bytes = format === 'csv' ? reportCsv(rows) : await reportXlsx(table, rows);
    return { format, table, bytes, contentType: CONTENT_TYPES[format], fileName: `${def.key}.${format satisfies ReportFormat}` };
  }

  /** Agency names for an agency split (codes otherwise). */
  private async agencyNames(def: ReportDefinition, groupBy: string | undefined): Promise<Map<string, string>> {
    const uses = (key: string | undefined) => (def.disaggregations ?? []).some((d) => d.key === key && d.field === '$agency');
    if (!uses(groupBy) && !def.indicators.some((i) => uses(i.by))) return new Map();
    const rows: { code: string; name: string }[] = await this.ds.query('SELECT code, name FROM agency');
    return new Map(rows.map((r) => [r.code, r.name]));
  }
}
