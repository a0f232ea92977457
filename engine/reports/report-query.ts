/**
 * A report run as SQL: one statement per run. A `base` CTE selects the records of the report's module and
 * record type that the caller's scope reaches, the report's condition and the filters hold for; each
 * indicator adds a branch of a UNION ALL with its own condition, subform rows (`jsonb_array_elements`) and
 * bucket keys (row bucket `rk`, column bucket `ck`, multi-selects unnested with a LATERAL join); one
 * GROUP BY with GROUPING SETS then yields every cell, row total, column total and grand total as counts of
 * DISTINCT units (records, or record + row ordinal), so totals are true counts even where a multi-select
 * puts one record in several buckets. Nothing is loaded into memory but the counts.
 *
 * Values reach SQL only as parameters (through `param`); field keys only after validation (see operands.ts).
 */
import type { ReportDefinition, ReportDerivedFormat, ReportDisaggregation } from '../bundle/schema/report.js';
import type { CompiledConfig, CompiledRecordType } from '../compile/types.js';
import { translationKeys as k } from '../i18n/translation-keys.js';
import { conditionSql, parseCondition } from './condition.js';
import { averageOperands, disaggregationKind, type DisaggregationKind, type ReportIssue } from './check-report.js';
import { resolveOperand, type Operand, type OperandScope, type ReportField } from './operands.js';
import { reportTextKeys } from './report-texts.js';

export const NONE_BUCKET = '_none';
export const OTHER_BUCKET = '_other';

export interface ReportRunParams {
  readonly from?: string;
  readonly to?: string;
  readonly dateField?: string;
  readonly groupBy?: string;
  readonly agency?: string;
  readonly group?: string;
}

export interface Bucket {
  readonly key: string;
  readonly label: string;
}

/** One split, ready for SQL and labels. */
export interface Dimension {
  readonly key: string;
  readonly label: string;
  readonly kind: DisaggregationKind;
  /** Buckets always shown, in order (without `_none`/`_other`, which are added by the table). */
  readonly fixed: readonly Bucket[];
  /** Label of a bucket key seen in the data but not fixed (periods, agencies, statuses). */
  labelOf(key: string): string;
}

export interface PlannedIndicator {
  readonly key: string;
  readonly label: string;
  readonly rowDimension?: Dimension;
}

/** A rate or average (`derived` in the definition), computed from the counts by `assembleReportTable`. */
export interface PlannedDerived {
  readonly key: string;
  readonly label: string;
  readonly format: ReportDerivedFormat;
  /** Count references (`<indicator>` or `<indicator>.<bucket>`) of a ratio. */
  readonly ratio?: { readonly numerator: string; readonly denominator: string };
  /** An average: the index of its sums in the counts (`i`: the indicators' count + its place among the derived figures), and the indicator whose records it runs over. */
  readonly average?: { readonly index: number; readonly over: string };
}

export interface ReportPlan {
  readonly key: string;
  readonly label: string;
  readonly threshold: number;
  readonly indicators: readonly PlannedIndicator[];
  readonly derived?: readonly PlannedDerived[];
  /** Columns: the `groupBy` split, or one column `all`. */
  readonly columnDimension?: Dimension;
  /** Fixed column keys from the date range (periods), when the split is a period and both ends are given. */
  readonly columnRange?: readonly string[];
  readonly texts: { readonly notRecorded: string; readonly other: string; readonly all: string };
}

export interface ReportQuery {
  readonly sql: string;
  readonly plan: ReportPlan;
}

export interface ReportQueryInput {
  readonly config: CompiledConfig;
  readonly report: ReportDefinition;
  readonly params: ReportRunParams;
  /** The caller's scope as a predicate over alias `r` (its values already bound through `param`). */
  readonly scopeSql: string;
  readonly param: (value: unknown) => string;
  readonly locale?: string;
  /** The system's minimum threshold (settings `reports.smallCellThreshold`, default 5). */
  readonly minimumThreshold?: number;
  /** Labels of agency codes (the `$agency` split). */
  readonly agencyLabel?: (code: string) => string;
}

/** Reports' view of a compiled record type's fields. */
export function compiledFieldScope(config: CompiledConfig, rt: CompiledRecordType): {
  field(key: string): ReportField | undefined;
  subform(key: string): ((field: string) => ReportField | undefined) | undefined;
} {
  const view = (path: string): ReportField | undefined => {
    const info = rt.field(path);
    if (info === undefined || !info.stored) return undefined;
    const def = info.definition as { options?: readonly { value: string; label: string }[] };
    const lookup = info.lookup === undefined ? undefined : config.lookups.get(info.lookup);
    const options = lookup?.values.map((o) => o.value) ?? def.options?.map((o) => o.value);
    return {
      type: info.type,
      identifying: info.identifying,
      ...(options === undefined ? {} : { options }),
      ...(info.lookup === undefined ? {} : { lookup: info.lookup }),
      ...(def.options === undefined ? {} : { optionLabels: new Map(def.options.map((o) => [o.value, o.label])) }),
    };
  };
  return {
    field: (key) => (rt.subforms.some((s) => s.key === key) ? { type: 'subform', identifying: false } : view(key)),
    subform: (key) => (rt.subforms.some((s) => s.key === key) ? (field: string) => view(`${key}.${field}`) : undefined),
  };
}

/** Every period key (`2026-03`, `2026-Q1`, `2026`) from one date to another, at most `limit`. */
export function periodsBetween(period: 'month' | 'quarter' | 'year', from: string, to: string, limit = 240): string[] {
  const out: string[] = [];
  let year = Number(from.slice(0, 4));
  let month = Number(from.slice(5, 7));
  const endYear = Number(to.slice(0, 4));
  const endMonth = Number(to.slice(5, 7));
  const step = period === 'month' ? 1 : period === 'quarter' ? 3 : 12;
  if (period === 'quarter') month = month - ((month - 1) % 3);
  if (period === 'year') month = 1;
  while ((year < endYear || (year === endYear && month <= endMonth)) && out.length < limit) {
    out.push(period === 'month' ? `${year}-${String(month).padStart(2, '0')}` : period === 'quarter' ? `${year}-Q${(month + 2) / 3}` : String(year));
    month += step;
    while (month > 12) {
      month -= 12;
      year += 1;
    }
  }
  return out;
}

class QueryBuilder {
  private laterals = 0;
  private readonly maps = new Map<string, string>();
  constructor(
    private readonly input: ReportQueryInput,
    private readonly rt: CompiledRecordType,
    private readonly fields: ReturnType<typeof compiledFieldScope>,
  ) {}

  private t(key: string, base: string): string {
    return this.input.config.texts.text(key, this.input.locale) ?? base;
  }

  operand(name: string, scope: OperandScope): Operand {
    const found = resolveOperand(name, scope, this.input.param);
    if (!found.ok) throw new Error(`Report ${this.input.report.key}: ${found.message}`);
    this.uses(found.operand);
    return found.operand;
  }

  /** Top-level data keys the statement reads (the base keeps only these: see `build`). */
  private readonly keys = new Set<string>();
  private uses(o: Operand): void {
    if (o.field !== undefined && !o.row) this.keys.add(o.name);
  }

  /** Labels and fixed buckets of a disaggregation. */
  dimension(d: ReportDisaggregation, scope: OperandScope): Dimension {
    const issues: ReportIssue[] = [];
    const kind = disaggregationKind(d, scope, (level) => this.input.config.locations.levelNumber(level) !== undefined, '', issues);
    if (kind === undefined) throw new Error(`Report ${this.input.report.key}: ${issues.map((i) => i.message).join(' ')}`);
    const report = this.input.report.key;
    const o = this.operand(d.field, scope);
    const label = this.t(reportTextKeys.disaggregation(report, d.key), d.label);
    const identity = (key: string): string => key;
    let fixed: Bucket[] = [];
    let labelOf = identity;
    if (kind === 'values' || kind === 'multi') {
      if (o.kind === 'boolean') {
        // Labels of the shared yes/no lookup when the configuration has one (core does), translated with it.
        const yesNo = this.input.config.lookups.get('yes_no')?.values;
        const text = (value: 'yes' | 'no', base: string) => this.t(k.lookupValue('yes_no', value), yesNo?.find((v) => v.value === value)?.label ?? base);
        fixed = [
          { key: 'true', label: text('yes', 'Yes') },
          { key: 'false', label: text('no', 'No') },
        ];
      } else {
        const field = o.field as ReportField;
        const path = o.row ? [this.rowSubform(scope), d.field.slice(4)] : [d.field];
        fixed = (field.options ?? []).map((value) => ({
          key: value,
          label:
            field.lookup !== undefined
              ? this.t(k.lookupValue(field.lookup, value), this.input.config.lookups.get(field.lookup)?.values.find((v) => v.value === value)?.label ?? value)
              : this.t(k.fieldText(this.rt.module, this.rt.key, path, `option.${value}`), field.optionLabels?.get(value) ?? value),
        }));
      }
    } else if (kind === 'bands') {
      fixed = (d.bands ?? []).map((band) => ({ key: band.key, label: this.t(reportTextKeys.band(report, d.key, band.key), band.label) }));
    } else if (kind === 'admin') {
      const locations = this.input.config.locations;
      const level = locations.levelNumber(d.adminLevel as number | string) as number;
      fixed = [...locations.nodes.values()]
        .filter((node) => node.level === level)
        .map((node) => ({ key: node.code, label: this.t(k.location(node.code), node.name) }));
    } else if (kind === 'discovered' && d.field === '$agency') {
      labelOf = this.input.agencyLabel ?? identity;
    } else if (kind === 'discovered' && d.field === '$status') {
      // Workflow state labels of the record type, when its workflow declares the state.
      labelOf = (key) => this.t(k.workflowText(this.rt.module, this.rt.key, 'state', key, 'label'), key);
    }
    return { key: d.key, label, kind, fixed, labelOf };
  }

  private rowSubform(scope: OperandScope & { subformKey?: string }): string {
    return scope.subformKey ?? '';
  }

  /** SQL of a bucket key (text, never NULL) and the LATERAL join it needs. */
  bucket(d: ReportDisaggregation, dim: Dimension, scope: OperandScope): { expr: string; join: string } {
    const o = this.operand(d.field, scope);
    const p = this.input.param;
    // Bound only where used: PostgreSQL cannot type a parameter that no expression mentions.
    const none = (): string => `${p(NONE_BUCKET)}::text`;
    const other = (): string => `${p(OTHER_BUCKET)}::text`;
    const known = (text: string): string =>
      `(CASE WHEN ${text} IS NULL OR ${text} = '' THEN ${none()} WHEN ${text} = ANY(${p(dim.fixed.map((b) => b.key))}::text[]) THEN ${text} ELSE ${other()} END)`;
    switch (dim.kind) {
      case 'values':
        return { expr: known(o.kind === 'boolean' ? `(${o.sql('boolean')})::text` : o.sql('string')), join: '' };
      case 'multi': {
        const alias = `m${++this.laterals}`;
        const j = o.jsonSql as string;
        return {
          expr: known(`${alias}.v`),
          join: ` LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(${j}) = 'array' THEN ${j} ELSE '[]'::jsonb END) AS ${alias}(v) ON true`,
        };
      }
      case 'bands': {
        const n = o.sql('number');
        const arms = (d.bands ?? []).map((band) => {
          const parts = [
            ...(band.min === undefined ? [] : [`${n} >= ${p(band.min)}::numeric`]),
            ...(band.max === undefined ? [] : [`${n} <= ${p(band.max)}::numeric`]),
          ];
          return ` WHEN ${parts.length ? parts.join(' AND ') : 'true'} THEN ${p(band.key)}::text`;
        });
        return { expr: `(CASE WHEN ${n} IS NULL THEN ${none()}${arms.join('')} ELSE ${other()} END)`, join: '' };
      }
      case 'admin': {
        const locations = this.input.config.locations;
        const level = locations.levelNumber(d.adminLevel as number | string) as number;
        const ancestors: Record<string, string> = {};
        for (const node of locations.nodes.values()) {
          let at: typeof node | undefined = node;
          while (at !== undefined && at.level > level) at = at.parent === undefined ? undefined : locations.nodes.get(at.parent);
          if (at !== undefined && at.level === level) ancestors[node.code] = at.code;
        }
        const text = o.sql('string');
        // One parameter per map, however many indicators split by it.
        const json = JSON.stringify(ancestors);
        const map = this.maps.get(json) ?? p(json);
        this.maps.set(json, map);
        return { expr: `(CASE WHEN ${text} IS NULL OR ${text} = '' THEN ${none()} ELSE coalesce(${map}::jsonb ->> ${text}, ${other()}) END)`, join: '' };
      }
      case 'period': {
        const date = o.sql('date');
        const key =
          d.period === 'month' ? `left(${date}, 7)` : d.period === 'year' ? `left(${date}, 4)` : `left(${date}, 4) || '-Q' || ((substr(${date}, 6, 2)::int + 2) / 3)::text`;
        return { expr: `coalesce(${key}, ${none()})`, join: '' };
      }
      case 'discovered':
        return { expr: `coalesce(nullif(${o.sql('string')}, ''), ${none()})`, join: '' };
    }
  }

  build(): ReportQuery {
    const { input, fields } = this;
    const { report, params, param } = input;
    const recordScope: OperandScope = { field: fields.field };
    const types = [...new Set([report.recordType, ...report.indicators.flatMap((ind) => (ind.recordType === undefined ? [] : [ind.recordType]))])];
    const mixed = types.length > 1;
    // Conditions on typed columns (scope, module, type, agency, group) and on the data (the report's, the dates).
    const columnWhere: string[] = [
      `r.module = ${param(report.module)}::text`,
      mixed ? `r.record_type = ANY(${param(types)}::text[])` : `r.record_type = ${param(report.recordType)}::text`,
      `(${input.scopeSql})`,
    ];
    if (params.agency !== undefined) columnWhere.push(`r.owner_agency = ${param(params.agency)}::text`);
    if (params.group !== undefined) columnWhere.push(`r.owner_groups @> ARRAY[${param(params.group)}::text]`);
    const dataWhere: string[] = [];
    if (report.where !== undefined) {
      const condition = this.condition(report.where, recordScope);
      dataWhere.push(mixed ? `(r.record_type <> ${param(report.recordType)}::text OR ${condition})` : condition);
    }
    const dateField = params.dateField ?? report.dateFields?.[0];
    if (dateField !== undefined && (params.from !== undefined || params.to !== undefined)) {
      const date = this.operand(dateField, recordScope).sql('date');
      if (params.from !== undefined) dataWhere.push(`coalesce(${date} COLLATE "C" >= ${param(params.from)}::text, false)`);
      if (params.to !== undefined) dataWhere.push(`coalesce(${date} COLLATE "C" <= ${param(params.to)}::text, false)`);
    }

    const disaggregations = new Map((report.disaggregations ?? []).map((d) => [d.key, d]));
    const columnDef = params.groupBy === undefined ? undefined : disaggregations.get(params.groupBy);
    const columnDimension = columnDef === undefined ? undefined : this.dimension(columnDef, recordScope);
    const threshold = Math.max(report.threshold ?? 0, input.minimumThreshold ?? 5);

    const indicators: PlannedIndicator[] = [];
    /** Branches whose units may repeat within a bucket (multi-select splits, records having several rows). */
    const repeating: string[] = [];
    const plain: string[] = [];
    /** Branches of the averages: one unit per record with its value `v` (repeating when a split unnests). */
    const averagePlain: string[] = [];
    const averageRepeating: string[] = [];
    const derived: PlannedDerived[] = (report.derived ?? []).map((d, j) => ({
      key: d.key,
      label: this.t(reportTextKeys.indicator(report.key, d.key), d.label),
      format: d.format,
      ...(d.ratio === undefined ? {} : { ratio: { numerator: d.ratio.numerator, denominator: d.ratio.denominator } }),
      ...(d.average === undefined ? {} : { average: { index: report.indicators.length + j, over: d.average.over } }),
    }));
    report.indicators.forEach((ind, i) => {
      this.laterals = 0;
      const own = ind.recordType === undefined || ind.recordType === report.recordType ? fields : compiledFieldScope(input.config, input.config.recordType(report.module, ind.recordType));
      const scope: OperandScope & { subformKey?: string } =
        ind.rows === undefined ? { field: own.field } : { field: own.field, rowField: own.subform(ind.rows) as (key: string) => ReportField | undefined, subformKey: ind.rows };
      const rowDef = ind.by === undefined ? undefined : disaggregations.get(ind.by);
      const rowDimension = rowDef === undefined ? undefined : this.dimension(rowDef, scope);
      indicators.push({
        key: ind.key,
        label: this.t(reportTextKeys.indicator(report.key, ind.key), ind.label),
        ...(rowDimension === undefined ? {} : { rowDimension }),
      });
      let from = 'base r';
      if (ind.rows !== undefined) {
        this.keys.add(ind.rows);
        const j = `r.data->'${ind.rows}'`;
        from += ` CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(${j}) = 'array' THEN ${j} ELSE '[]'::jsonb END) WITH ORDINALITY AS x(row, n)`;
      }
      const rk = rowDef === undefined || rowDimension === undefined ? { expr: `''::text`, join: '' } : this.bucket(rowDef, rowDimension, scope);
      // Column splits read the report's record type; records of another type have no such field ("not recorded").
      const ck =
        columnDef === undefined || columnDimension === undefined
          ? { expr: `''::text`, join: '' }
          : own === fields || columnDef.field.startsWith('$')
            ? this.bucket(columnDef, columnDimension, own === fields ? recordScope : { field: own.field })
            : { expr: `${param(NONE_BUCKET)}::text`, join: '' };
      const countsRows = ind.rows !== undefined && ind.count !== 'records';
      const unit = countsRows ? `r.id::text || ':' || x.n::text` : 'r.id::text';
      const conditions = [
        ...(mixed ? [`r.record_type = ${param(ind.recordType ?? report.recordType)}::text`] : []),
        ...(ind.where === undefined ? [] : [this.condition(ind.where, scope)]),
      ];
      const condition = conditions.length === 0 ? 'true' : conditions.join(' AND ');
      const branch = `SELECT ${i} AS i, ${rk.expr} AS rk, ${ck.expr} AS ck, ${unit} AS u FROM ${from}${rk.join}${ck.join} WHERE ${condition}`;
      // A unit is in one bucket pair at most unless a split unnests a multi-select or several rows stand for one record.
      const repeats = rk.join !== '' || ck.join !== '' || (ind.rows !== undefined && !countsRows);
      (repeats ? repeating : plain).push(branch);
      (report.derived ?? []).forEach((d, j) => {
        if (d.average === undefined || d.average.over !== ind.key) return;
        const { names, kind } = averageOperands(d.average.of);
        const values = names.map((name) => this.operand(name, scope));
        const v =
          kind === 'number'
            ? (values[0] as Operand).sql('number')
            : `((${(values[1] as Operand).sql('date')})::date - (${(values[0] as Operand).sql('date')})::date)`;
        const unitsOf = `SELECT ${report.indicators.length + j} AS i, ''::text AS rk, ${ck.expr} AS ck, r.id::text AS u, (${v})::numeric AS v FROM ${from}${ck.join} WHERE ${condition} AND (${v}) IS NOT NULL`;
        (ck.join !== '' ? averageRepeating : averagePlain).push(unitsOf);
      });
    });

    // The base keeps only the data keys the statement reads, as a small jsonb. PostgreSQL decompresses a TOASTed
    // value on every access: a record's whole `data` read once per indicator and bucket costs seconds on thousands
    // of records. `r.data - '{}'` hands back the value decompressed once (OFFSET 0 keeps the planner from inlining
    // it into every reference), and the keys are then picked from memory.
    const keys = [...this.keys].sort();
    // jsonb_build_object takes at most 100 arguments: 40 keys per call, concatenated.
    const chunks: string[] = [];
    for (let at = 0; at < keys.length; at += 40) {
      chunks.push(`jsonb_build_object(${keys.slice(at, at + 40).map((key) => `'${key}', d.d->'${key}'`).join(', ')})`);
    }
    const slim = chunks.length === 0 ? `'{}'::jsonb` : chunks.join(' || ');
    const grouped = (units: string, count: string, sum = 'NULL'): string =>
      `SELECT i, rk, ck, ${count}::int AS n, ${sum}::float8 AS s, GROUPING(rk, ck)::int AS g FROM ${units} GROUP BY i, GROUPING SETS ((rk, ck), (rk), (ck), ())`;
    // Averages: the number of records with a value and the sum of their values. Where a split unnests a
    // multi-select, a record stands in several buckets and each total must add its value once: the distinct
    // "unit:value" pairs of the group are summed.
    const distinctSum = `(SELECT sum(split_part(e, ':', 2)::numeric) FROM unnest(array_agg(DISTINCT u || ':' || v::text)) AS e)`;
    const parts = [
      ...(plain.length ? [grouped('plain_units', 'count(*)')] : []),
      ...(repeating.length ? [grouped('repeating_units', 'count(DISTINCT u)')] : []),
      ...(averagePlain.length ? [grouped('average_plain_units', 'count(*)', 'sum(v)')] : []),
      ...(averageRepeating.length ? [grouped('average_repeating_units', 'count(DISTINCT u)', distinctSum)] : []),
    ];
    // Distinct counts only where a unit can repeat: plain counts can be hashed, distinct ones must be sorted.
    // Two steps: the records in scope (typed-column conditions, index-friendly) with their slim data, then the
    // report's own conditions over the slim data, so no condition decompresses a record's data again.
    const sql = `WITH scoped AS MATERIALIZED (
  SELECT r.id, r.record_type, ${slim} AS data, r.status, r.owner_agency, r.owner_groups, r.disabled, r.flagged, r.created_at
    FROM record r CROSS JOIN LATERAL (SELECT r.data - '{}'::text[] AS d OFFSET 0) d
   WHERE ${columnWhere.join('\n     AND ')}
), base AS MATERIALIZED (
  SELECT * FROM scoped r WHERE ${dataWhere.length ? dataWhere.join('\n     AND ') : 'true'}
)${plain.length ? `, plain_units AS (
  ${plain.join('\n  UNION ALL\n  ')}
)` : ''}${repeating.length ? `, repeating_units AS (
  ${repeating.join('\n  UNION ALL\n  ')}
)` : ''}${averagePlain.length ? `, average_plain_units AS (
  ${averagePlain.join('\n  UNION ALL\n  ')}
)` : ''}${averageRepeating.length ? `, average_repeating_units AS (
  ${averageRepeating.join('\n  UNION ALL\n  ')}
)` : ''}
${parts.join('\nUNION ALL\n')}`;

    const columnRange =
      columnDef?.period !== undefined && params.from !== undefined && params.to !== undefined ? periodsBetween(columnDef.period, params.from, params.to) : undefined;
    return {
      sql,
      plan: {
        key: report.key,
        label: this.t(reportTextKeys.label(report.key), report.label),
        threshold,
        indicators,
        ...(derived.length === 0 ? {} : { derived }),
        ...(columnDimension === undefined ? {} : { columnDimension }),
        ...(columnRange === undefined ? {} : { columnRange }),
        texts: { notRecorded: 'Not recorded', other: 'Other', all: 'All' },
      },
    };
  }

  private condition(logic: unknown, scope: OperandScope): string {
    const parsed = parseCondition(logic, scope, this.input.param);
    if (parsed.node === undefined) throw new Error(`Report ${this.input.report.key}: ${parsed.issues.map((i) => i.message).join(' ')}`);
    for (const o of parsed.operands) this.uses(o);
    return conditionSql(parsed.node, this.input.param);
  }
}

/**
 * The SQL and plan of one run. The definition passed the bundle checks and `params` passed
 * `validateReportParams`; anything else is a caller bug (thrown).
 */
export function buildReportQuery(input: ReportQueryInput): ReportQuery {
  const rt = input.config.recordType(input.report.module, input.report.recordType);
  return new QueryBuilder(input, rt, compiledFieldScope(input.config, rt)).build();
}
