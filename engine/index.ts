/**
 * Haven's metadata engine: the only module the server (and the browser) imports from `engine/`.
 *
 *   validate -> build -> run
 *   loadBundles(fileMaps)        parse + cross-check bundles; every issue at once, nothing built on any
 *   compileBundles(bundles)      AJV validators, prepared rules, compute order; memoised per bundle hashes
 *   compiled.recordType(m, rt)   .process(data, ctx, { supplied }) -> { data, issues }
 *   buildAbility(compiled, user) what the user may do, on which records, with which fields (per request)
 *
 * No NestJS, TypeORM or Node-only API is reachable from here (engine-imports.spec.ts enforces it).
 */

// ---- bundles: validate ------------------------------------------------------------------------
export { parseBundle, type ParseResult } from './bundle/parse-bundle.js';
export { checkBundles } from './bundle/check/check-bundles.js';
export { loadBundles, type LoadResult } from './bundle/load.js';
export { bundleHash } from './bundle/hash.js';
export {
  BUNDLE_ISSUE_CODES,
  IMPORT_ISSUE_CODES,
  RECORD_ISSUE_CODES,
  type BundleIssueCode,
  type ImportIssueCode,
  type RecordIssueCode,
} from './bundle/issue-codes.js';
export type { BundleIssue, FileKind, LoadedBundle, ParsedBundle, Sourced } from './bundle/types.js';
export { FILE_KINDS, classifyPath } from './bundle/schema/file-kinds.js';
export {
  KeyedDefinitionSchema,
  LocalesSchema,
  LocationsSchema,
  LookupSchema,
  ManifestSchema,
  ModuleSchema,
  RecordTypeSchema,
  RuleSchema,
  RulesFileSchema,
  SettingsSchema,
  TranslationsSchema,
  type KeyedDefinition,
  type LocalesFile,
  type LocationsFile,
  type LookupDefinition,
  type Manifest,
  type ModuleDefinition,
  type RecordTypeDefinition,
  type RuleDefinition,
  type RulesFile,
  type Settings,
  type Translations,
} from './bundle/schema/definitions.js';
export { FormSchema, type FormDefinition } from './bundle/schema/form.js';
export {
  EXPORT_CELL_TYPES,
  EXPORT_FORMATS,
  ExportMappingSchema,
  type ExportCellType,
  type ExportColumn,
  type ExportColumnImport,
  type ExportFormat,
  type ExportMapping,
  type ExportMenu,
  type ExportSheet,
} from './bundle/schema/export.js';
export {
  DOCUMENT_FORM_SOURCES,
  NOTIFICATION_EVENTS,
  TEMPLATE_KINDS,
  TEMPLATE_SOURCE_PATTERN,
  TemplateSchema,
  type DocumentFormSource,
  type NotificationEventKey,
  type TemplateDefinition,
  type TemplateKind,
  type TemplateLocale,
} from './bundle/schema/template.js';
export { AdminGrantSchema, RecordGrantSchema, RoleSchema, type AdminGrant, type RecordGrant, type RoleDefinition } from './bundle/schema/role.js';
export {
  ADMIN_ACTIONS,
  ADMIN_SCOPES,
  ADMIN_SUBJECTS,
  APPROVAL_TYPES,
  FIELD_SETS,
  FORM_ACCESS,
  RECORD_ACTIONS,
  RECORD_SCOPES,
  isAdminAction,
  isRecordAction,
  type ApprovalType,
  type FieldSet,
  type FormAccessLevel,
  type RecordAction,
} from './bundle/schema/role-catalogue.js';
export type { InlineOption, Compute } from './bundle/schema/common.js';

// ---- field types ------------------------------------------------------------------------------
export { FIELD_TYPE_NAMES, FieldSchema, type FieldDefinition, type LeafFieldDefinition, type SubformFieldDefinition } from './fields/index.js';
export { hasUnstorableCharacter } from './fields/support/normalise.js';

// ---- compile and run --------------------------------------------------------------------------
export { compileBundles, clearCompileCache, type CompileOptions } from './compile/compile-bundles.js';
export { EngineError, type EngineErrorCode } from './compile/engine-error.js';
export type {
  CompiledBundleInfo,
  CompiledConfig,
  CompiledRecordType,
  FieldInfo,
  LocaleInfo,
  ProcessContext,
  ProcessOptions,
  ProcessResult,
  RecordIssue,
  SubformInfo,
} from './compile/types.js';
export type { AdminLevel, CompiledLocations } from './compile/location-index.js';
export type { LocationNode } from './fields/field-type.js';
export type { RuleData, RuleUser } from './rules/context.js';
export { evaluateRule, type LogicIssue, type RuleOutcome } from './rules/evaluate.js';

// ---- workflows (states, transitions, approvals) ---------------------------------------------------
export {
  NOTIFY_TARGETS,
  WorkflowSchema,
  type ApprovalEffects,
  type NotifyTarget,
  type TransitionEffects,
  type WorkflowApproval,
  type WorkflowDefinition,
  type WorkflowState,
  type WorkflowTransition,
} from './bundle/schema/workflow.js';
export type {
  ApprovalStatus,
  CompiledWorkflow,
  FieldValues,
  WorkflowBlock,
  WorkflowBlockCode,
  WorkflowRecord,
} from './workflow/compile-workflow.js';
export { ALLOWED_OPERATORS, CUSTOM_OPERATORS, DEIDENTIFYING_OPERATORS, EXPORT_ONLY_OPERATORS } from './rules/operators.js';

// ---- export mappings (spreadsheets out, legacy spreadsheets in) --------------------------------
export { compileExportMapping, listExportMappings } from './exports/compile-export.js';
export { isFormulaLike, spreadsheetSafe } from './exports/cells.js';
export type {
  Cell,
  CompiledExport,
  ExportColumnInfo,
  ExportMeta,
  ImportIssue,
  ImportOptions,
  ImportResult,
  MenuCollector,
  MenuColumn,
} from './exports/types.js';

// ---- aggregate reports (counts in SQL, small cells suppressed) ------------------------------------
export { ReportSchema, REPORT_PERIODS, type ReportBand, type ReportDefinition, type ReportDisaggregation, type ReportIndicator } from './bundle/schema/report.js';
export { REPORT_OPERATORS, conditionSql, evaluateCondition, parseCondition, type CondNode, type ConditionIssue, type ParsedCondition } from './reports/condition.js';
export { PSEUDO_VARIABLES, type ConditionSubject, type RecordReportFacts } from './reports/operands.js';
export { suppressSmallCells, displayCount, type CellState, type SuppressedTable, type TableCounts } from './reports/suppress.js';
export { buildReportQuery, compiledFieldScope, type ReportPlan, type ReportQuery, type ReportQueryInput, type ReportRunParams } from './reports/report-query.js';
export { assembleReportTable, type ReportCountRow, type ReportTable, type ReportTableRow, type ReportTableTotals } from './reports/report-table.js';
export { REPORT_FORMATS, validateReportParams, groupableDisaggregations, type ReportFormat, type ReportParamIssue } from './reports/report-params.js';
export { reportDefinitions, reportTextKeys } from './reports/report-texts.js';
/** The reference table of the subset's meaning: the JS evaluator and the SQL on PostgreSQL must both give its answers. */
export { CASE_RECORDS as REPORT_CONDITION_RECORDS, CONDITION_CASES as REPORT_CONDITION_CASES, caseScope as reportConditionScope } from './reports/condition-cases.js';

// ---- overlays (localization without approval) ---------------------------------------------------
export {
  applyOverlays,
  type ConfigOverlays,
  type LocationOverlayNode,
  type LocationsOverlay,
  type LookupOverlay,
  type LookupOverlayOption,
  type OverlayResult,
} from './overlay/apply-overlays.js';

// ---- diff (governance review) -----------------------------------------------------------------
export { diffBundles, diffUsageQuestions } from './diff/diff-bundles.js';
export type {
  BreakingChange,
  BreakingCode,
  BundleDiff,
  ChangeKind,
  ChangeType,
  DataUsage,
  DiffChange,
  DiffHighlight,
  DiffInput,
  UsageQuestions,
} from './diff/types.js';

// ---- abilities (roles -> permissions) -----------------------------------------------------------
export { buildAbility } from './abilities/build-ability.js';
export { redactionNeeded, redactRecordData } from './abilities/redact.js';
export { NO_FIELDS, RECORD_SUBJECT } from './abilities/casl-rules.js';
export type {
  AbilityUser,
  AdminScope,
  AdminSubject,
  FormAccess,
  HavenAbility,
  RecordCondition,
  RecordFacts,
  RecordScope,
} from './abilities/types.js';

// ---- referrals, transfers, across modules (module files) -----------------------------------------
export {
  referralSettings,
  type CompiledConsent,
  type ConsentOutcome,
  type CrossModuleConfig,
  type ReferralConfig,
  type ReferralSettings,
  type TransferConfig,
} from './referrals/referral-config.js';
export { usesUnsharedFields, withoutShares } from './referrals/list-guard.js';
export type { ConsentDefinition, CrossModuleDefinition, ReferralDefinition, TransferDefinition } from './bundle/schema/definitions.js';

// ---- i18n -------------------------------------------------------------------------------------
export { translationKeys } from './i18n/translation-keys.js';
export { translationEntries, missingTranslations, type TranslationEntry } from './i18n/translation-entries.js';
export { exportTranslationTable, importTranslationTable, type TranslationTable } from './i18n/translation-table.js';
export type { TextIndex } from './i18n/text-index.js';
export {
  listLocations,
  localeDirection,
  localizeForms,
  localizeLookup,
  type LocalizationSource,
  type LocalizedField,
  type LocalizedForm,
  type LocalizedForms,
  type LocalizedLocation,
  type LocalizedOption,
} from './i18n/localize.js';
