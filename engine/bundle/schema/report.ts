/**
 * JSON Schema of `reports/<key>.json`: aggregate reports (docs/reports.md). Indicators count
 * records (or subform rows) matching a condition in the report subset of JSON Logic; disaggregations split
 * the counts by option values, age bands, admin levels, periods or agency; derived figures (rates, averages)
 * are computed from the counts. Cross-references, the condition
 * subset and field types are checked by `check/check-reports.ts`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Key, Logic, OptionValue, StringEnum, Text } from './common.js';

const strict = { additionalProperties: false } as const;

/** `<field>`, `row.<field>` (a field of the counted subform rows) or a `$` pseudo-variable (`$created_at`). */
export const REPORT_FIELD_PATTERN = '^(\\$[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?|(row\\.)?[a-z][a-z0-9_]*)$';
const FieldRef = Type.String({ pattern: REPORT_FIELD_PATTERN });

export const REPORT_PERIODS = ['month', 'quarter', 'year'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

export const ReportBandSchema = Type.Object(
  {
    /** Option-value spelling (`0_11`, `61_older`), like the lookup values the bands often mirror. */
    key: OptionValue,
    label: Text,
    /** Inclusive bounds; a band without `min` (`max`) is open below (above). */
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
  },
  strict,
);
export type ReportBand = Static<typeof ReportBandSchema>;

export const ReportDisaggregationSchema = Type.Object(
  {
    key: Key,
    label: Text,
    /** The field split by: its options (choice and yes/no fields), or with one of the three below. */
    field: FieldRef,
    /** Number ranges (ages): one column per band, plus "not recorded" and "other". */
    bands: Type.Optional(Type.Array(ReportBandSchema, { minItems: 1 })),
    /** A location field counted at this admin level (number or key): the ancestor at that level. */
    adminLevel: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Key])),
    /** A date field (or `$created_at`, `$closed_at`) counted by calendar period. */
    period: Type.Optional(StringEnum(REPORT_PERIODS)),
  },
  strict,
);
export type ReportDisaggregation = Static<typeof ReportDisaggregationSchema>;

export const ReportIndicatorSchema = Type.Object(
  {
    key: Key,
    label: Text,
    description: Type.Optional(Type.String()),
    /** Condition (report subset) on top of the report's `where`. */
    where: Type.Optional(Logic),
    /**
     * Count records of another record type of the report's module (KPIs counting incidents in a case report).
     * The report's `where` does not apply to them; its date fields must then be pseudo-variables.
     */
    recordType: Type.Optional(Key),
    /** Count the rows of this subform (conditions may then read `row.<field>`). */
    rows: Type.Optional(Key),
    /** With `rows`: count the rows themselves (default) or the records that have a matching row. */
    count: Type.Optional(StringEnum(['rows', 'records'])),
    /** A disaggregation key: one table row per value (for example survivors by sex). */
    by: Type.Optional(Key),
  },
  strict,
);
export type ReportIndicator = Static<typeof ReportIndicatorSchema>;

/**
 * A count the derived figures read: `<indicator>` (a one-row indicator's row, or a split indicator's totals)
 * or `<indicator>.<bucket>` (one row of a split indicator).
 */
export const REPORT_COUNT_REF_PATTERN = '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)?$';
const CountRef = Type.String({ pattern: REPORT_COUNT_REF_PATTERN });

export const REPORT_DERIVED_FORMATS = ['percent', 'decimal'] as const;
export type ReportDerivedFormat = (typeof REPORT_DERIVED_FORMATS)[number];

/** A number an average reads: a number field or `$referrals`, or the days from one date to another. */
export const ReportAverageValueSchema = Type.Union([FieldRef, Type.Object({ days: Type.Array(FieldRef, { minItems: 2, maxItems: 2 }) }, strict)]);

/**
 * A figure derived from counts (docs/reports.md, "Rates and averages"): a ratio of two counts of the report, or
 * the average of a number over the records a one-row indicator counts. Published only where every count it
 * derives from is published unsuppressed.
 */
export const ReportDerivedSchema = Type.Object(
  {
    key: Key,
    label: Text,
    description: Type.Optional(Type.String()),
    ratio: Type.Optional(Type.Object({ numerator: CountRef, denominator: CountRef }, strict)),
    average: Type.Optional(Type.Object({ of: ReportAverageValueSchema, over: Key }, strict)),
    /** `percent`: 100 × the ratio, one decimal; `decimal`: two decimals. */
    format: StringEnum(REPORT_DERIVED_FORMATS),
  },
  strict,
);
export type ReportDerived = Static<typeof ReportDerivedSchema>;

export const ReportSchema = Type.Object(
  {
    key: Key,
    label: Text,
    description: Type.Optional(Type.String()),
    module: Key,
    recordType: Key,
    /** Base condition every counted record meets (consent for reporting, not disabled, …). */
    where: Type.Optional(Logic),
    /** Date fields the `from`/`to` filter may apply to; the first is the default. */
    dateFields: Type.Optional(Type.Array(FieldRef, { minItems: 1, uniqueItems: true })),
    /** Small-cell threshold; never below the system setting `reports.smallCellThreshold` (default 5). */
    threshold: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
    disaggregations: Type.Optional(Type.Array(ReportDisaggregationSchema)),
    indicators: Type.Array(ReportIndicatorSchema, { minItems: 1 }),
    /** Rates and averages computed from the indicators' counts. */
    derived: Type.Optional(Type.Array(ReportDerivedSchema)),
  },
  strict,
);
export type ReportDefinition = Static<typeof ReportSchema>;
