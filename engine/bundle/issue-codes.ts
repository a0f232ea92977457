/**
 * The one catalogue of issue codes. Codes are stable snake_case strings: clients, translations and
 * tests key on them, so a code is never renamed or reused for another meaning (add a new one instead).
 */

/** Problems in a config bundle, reported as `{ bundle, file, pointer, code, message }`. */
export const BUNDLE_ISSUE_CODES = {
  // --- files -------------------------------------------------------------------------------------
  /** A path that is not one of the file kinds of docs/config-format.md. */
  unknown_file: 'unknown_file',
  /** The file is not valid JSON (the message gives the parser's reason). */
  invalid_json: 'invalid_json',
  /** JSON nested deeper than any definition needs (64 levels): refused before anything recurses into it. */
  nesting_too_deep: 'nesting_too_deep',
  /** The bundle has no (valid) `bundle.json`; nothing of it can be loaded. */
  missing_manifest: 'missing_manifest',
  /** A file's name does not match the keys inside it (`forms/<module>.<recordType>.<key>.json`, …). */
  file_name_mismatch: 'file_name_mismatch',

  // --- schema (one file against its kind's JSON Schema) ------------------------------------------
  /** A required property is absent. */
  missing_property: 'missing_property',
  /** A property the kind does not define (often a typo: `requried`). */
  unknown_property: 'unknown_property',
  /** A value of the wrong JSON type. */
  invalid_type: 'invalid_type',
  /** A string that does not match its pattern (keys must be snake_case, option values, locale codes…). */
  invalid_format: 'invalid_format',
  /** A value outside an enumeration or constant. */
  invalid_value: 'invalid_value',
  /** String shorter than allowed (e.g. an empty label). */
  too_short: 'too_short',
  /** String longer than allowed. */
  too_long: 'too_long',
  /** Number below its minimum. */
  too_small: 'too_small',
  /** Number above its maximum. */
  too_large: 'too_large',
  /** Array with fewer items than allowed. */
  too_few: 'too_few',
  /** Array with more items than allowed. */
  too_many: 'too_many',
  /** Array whose items must be unique are not. */
  not_unique: 'not_unique',
  /** A field `type` that no registered field type has. */
  unknown_field_type: 'unknown_field_type',
  /** A subform inside a subform (rows cannot nest). */
  nested_subform: 'nested_subform',
  /** Any other schema violation (the message says which). */
  schema_violation: 'schema_violation',

  // --- bundles and their dependencies ------------------------------------------------------------
  /** Two bundles with the same key were loaded together. */
  duplicate_bundle: 'duplicate_bundle',
  /** `dependsOn` names a bundle that was not loaded. */
  missing_dependency: 'missing_dependency',
  /** Bundles depend on each other in a cycle. */
  dependency_cycle: 'dependency_cycle',
  /** `baseLanguage` is not one of `locales`. */
  base_language_not_in_locales: 'base_language_not_in_locales',

  // --- keys and references -----------------------------------------------------------------------
  /** Two definitions of one kind share a key (forms, lookups, rules, roles, …; record types per module). */
  duplicate_key: 'duplicate_key',
  /** Two fields share a key in one namespace (a module's record type, or one subform's rows). */
  duplicate_field: 'duplicate_field',
  /** Two options of one lookup or one inline option list share a value. */
  duplicate_option: 'duplicate_option',
  /** A key the engine reserves (`constructor`; `total` as a tally item). */
  reserved_key: 'reserved_key',
  /** An alias equals a field key or another alias of the namespace. */
  alias_collision: 'alias_collision',
  /** A lookup that does not exist in this bundle or its dependencies. */
  unknown_lookup: 'unknown_lookup',
  /** A module that does not exist in this bundle or its dependencies. */
  unknown_module: 'unknown_module',
  /** A record type that the module does not list or that has no definition file. */
  unknown_record_type: 'unknown_record_type',
  /** A form `group` that is not one of the record type's `formGroups`. */
  unknown_form_group: 'unknown_form_group',
  /** A field named (listFields, indexes, rule path, rowLabelFields, fieldMap…) that does not exist. */
  unknown_field: 'unknown_field',
  /** A rule's `subform` that is not a subform field of the record type. */
  unknown_subform: 'unknown_subform',
  /** An `optionsIf` key that no option's `tags` contain. */
  unknown_option_tag: 'unknown_option_tag',
  /** A choice field with both `options` and `lookup`, or with neither. */
  invalid_option_source: 'invalid_option_source',

  // --- roles -------------------------------------------------------------------------------------
  /** An action that is not in the catalogue of docs/permissions.md (record actions, or the admin subject's). */
  unknown_action: 'unknown_action',
  /** A form key in a role's `forms` that is not a form of the grant's module and record types. */
  unknown_form: 'unknown_form',
  /** An `excludeFields` entry starting with `@` that is not a named field set (`@identifying`). */
  unknown_field_set: 'unknown_field_set',

  // --- field definitions -------------------------------------------------------------------------
  /** A `calculated` field without `compute`. */
  compute_required: 'compute_required',
  /** A field that is both `required` and `readOnly` (nobody could ever fill it). */
  required_read_only: 'required_read_only',
  /** Computed fields depend on each other in a cycle. */
  compute_cycle: 'compute_cycle',
  /** A `pattern` that is not a valid regular expression. */
  invalid_pattern: 'invalid_pattern',
  /** A lower bound above its upper bound (`min`/`max`, `minRows`/`maxRows`). */
  invalid_range: 'invalid_range',

  // --- JSON Logic --------------------------------------------------------------------------------
  /** An operator outside the allowed set (standard json-logic-js minus `method`/`log`, plus Haven's). */
  unknown_operator: 'unknown_operator',
  /** Malformed logic: an object with several keys, a wrong number of arguments, a computed `var` path. */
  invalid_logic: 'invalid_logic',
  /** A `var` path that does not start with `record.`, `row.`, `user.`, `today` or `now`. */
  invalid_var_path: 'invalid_var_path',
  /** A `var` path segment such as `__proto__`, `constructor` or `prototype`. */
  unsafe_var_path: 'unsafe_var_path',
  /** `record.<field>` or `row.<field>` naming a field that does not exist where the logic stands. */
  unknown_var_field: 'unknown_var_field',
  /** `row.…` used outside a subform. */
  row_outside_subform: 'row_outside_subform',

  // --- locations ---------------------------------------------------------------------------------
  /** Two locations share a code. */
  duplicate_location: 'duplicate_location',
  /** A location's `parent` does not exist. */
  unknown_parent_location: 'unknown_parent_location',
  /** A location level that is not its parent's level + 1 (or a root below level 0). */
  invalid_location_level: 'invalid_location_level',
  /** A level (of a location or a field's `adminLevels`) not declared in `adminLevels`. */
  unknown_admin_level: 'unknown_admin_level',
  /** Two location files declare the same level with different keys, or one key for two levels. */
  admin_level_conflict: 'admin_level_conflict',
  /** Locations are each other's ancestors. */
  location_cycle: 'location_cycle',

  // --- translations ------------------------------------------------------------------------------
  /** A translation file for a locale that is not in the manifest's `locales`. */
  unknown_locale: 'unknown_locale',
  /** A translation for a key that no definition of this bundle has. */
  unknown_translation_key: 'unknown_translation_key',

  // --- export mappings ---------------------------------------------------------------------------
  /**
   * An export column that reads a field marked `identifying` (or a subform holding one) other than as a
   * direct argument of a de-identifying operation (`year_of`, `band`, `count`, `is_empty`, …).
   */
  identifying_in_export: 'identifying_in_export',
  /** A menu's `from` that is not a column of the export's data sheet. */
  unknown_column: 'unknown_column',
  /** Not exactly one data sheet, or a sheet with both `columns` and `menus` (or neither). */
  invalid_sheet: 'invalid_sheet',
  /**
   * A column `import` that cannot write its field: a subform, layout, computed or attachment-like field,
   * `level` on a non-location field, `separator` on a single-value field; or an `unmappedField` that is not
   * a text field.
   */
  invalid_import: 'invalid_import',

  // --- workflows ---------------------------------------------------------------------------------
  /** A workflow state named (`initial`, a transition's `from`/`to`, an approval's `requestIn`/`moveTo`) that the workflow does not declare. */
  unknown_state: 'unknown_state',
  /** A transition named in an approval's `blocks` that the workflow does not declare. */
  unknown_transition: 'unknown_transition',
  /** An approval named by `requestApproval` or `requiresApproval` that the workflow does not declare. */
  unknown_approval: 'unknown_approval',
  /** A `setFields` entry naming a field a workflow cannot set (subform, layout, computed, attachment, signature…). */
  field_not_settable: 'field_not_settable',
  /** A second workflow for the same module and record type. */
  duplicate_workflow: 'duplicate_workflow',

  // --- referrals, transfers, across modules (module files) -----------------------------------------
  /** A `consent.services` key that is not a value of the referral's service lookup. */
  unknown_service: 'unknown_service',
  /** A consent field (a `consent.services` value) that is not a yes/no or tick-box field. */
  invalid_consent_field: 'invalid_consent_field',
  /** A cross-module field pair whose source and target fields differ in type (or in lookup, for choices). */
  field_type_mismatch: 'field_type_mismatch',
  /** A cross-module field marked `identifying` (or a subform holding one): such fields never travel. */
  identifying_in_cross_module: 'identifying_in_cross_module',
  /** A cross-module `from` record type without a `referrals` entry in its module. */
  not_referable: 'not_referable',

  // --- templates ---------------------------------------------------------------------------------
  /** A template whose parts do not fit its kind: a notification without `event` or `subject`, a document with `event`. */
  invalid_template: 'invalid_template',
  /** A template without the bundle's base language (every other locale falls back to it). */
  missing_template_locale: 'missing_template_locale',
  /** A template naming a `templates/<name>.hbs` source that the bundle does not contain. */
  missing_template_source: 'missing_template_source',
  /** A Handlebars source that does not compile, uses a helper outside the fixed set, a partial, or unescaped output. */
  template_syntax: 'template_syntax',
  /** Two notification templates answer the same event for the same record types. */
  ambiguous_template: 'ambiguous_template',

  // --- reports (docs/reports.md) -------------------------------------------------------------------
  /** A report condition using an operator outside the report subset of JSON Logic (`var`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `and`, `or`, `!`, `missing`). */
  report_unsupported_operator: 'report_unsupported_operator',
  /** A malformed report condition: wrong arguments, a comparison that is not one `var` against literals, … */
  report_invalid_condition: 'report_invalid_condition',
  /** A literal or use that does not fit the field's type (a string compared with a number field, ordering a choice field, …). */
  report_type_mismatch: 'report_type_mismatch',
  /** A literal that is not an option of the choice field it is compared with. */
  report_unknown_option: 'report_unknown_option',
  /** A disaggregation that does not fit its field (bands on a non-number, periods on a non-date, values of a free-text field, …). */
  report_invalid_disaggregation: 'report_invalid_disaggregation',
  /** An indicator's `by` naming no disaggregation of the report, or a row-level one on an indicator counting records. */
  report_unknown_disaggregation: 'report_unknown_disaggregation',
  /** A report reading a field marked `identifying` (counts over names or dates of birth single people out). */
  identifying_in_report: 'identifying_in_report',
  /** A workflow guard reading a field marked `identifying`: whether a transition is open would tell about it. */
  identifying_in_guard: 'identifying_in_guard',
} as const;

export type BundleIssueCode = keyof typeof BUNDLE_ISSUE_CODES;

/** Problems in record data, reported as `{ code, path, message, params? }` by `process()`. */
export const RECORD_ISSUE_CODES = {
  /** A required field (while visible) or a row's `_id` is missing or empty. */
  required: 'required',
  /** A key that is not a field of the record type (or of the subform row). */
  unknown_field: 'unknown_field',
  /** A value of the wrong JSON type (string for a number, object for a text…). */
  invalid_type: 'invalid_type',
  /** A value that is not one of the field's options. */
  not_an_option: 'not_an_option',
  /** An option whose `optionsIf` rule does not hold for this record. */
  option_not_available: 'option_not_available',
  /** Text longer than `maxLength`. */
  too_long: 'too_long',
  /** Text shorter than allowed. */
  too_short: 'too_short',
  /** Number below `min`. */
  too_small: 'too_small',
  /** Number above `max`. */
  too_large: 'too_large',
  /** More items than allowed (`maxItems`, `maxRows`, `maxFiles`). */
  too_many: 'too_many',
  /** Fewer rows than `minRows` (checked while the subform is visible). */
  too_few: 'too_few',
  /** Repeated values in a multi-select (or another unique list). */
  not_unique: 'not_unique',
  /** Not a real date / date-time in the expected ISO form. */
  invalid_date: 'invalid_date',
  /** A string not matching the field's pattern or phone format. */
  invalid_format: 'invalid_format',
  /** Any other value the schema refuses. */
  invalid_value: 'invalid_value',
  /** Text holding a character no record can store: NUL (`\u0000`) or an unpaired UTF-16 surrogate. */
  invalid_character: 'invalid_character',
  /** A date after today (after now for date-times) in a `notInFuture` field. */
  date_in_future: 'date_in_future',
  /** A date range whose `from` is after its `to`. */
  invalid_range: 'invalid_range',
  /** A location code that is not in the location hierarchy. */
  unknown_location: 'unknown_location',
  /** A location at an admin level the field does not allow. */
  location_level_not_allowed: 'location_level_not_allowed',
  /** An attachment whose content type is not one of the field's `kinds`. */
  attachment_kind_not_allowed: 'attachment_kind_not_allowed',
  /** A client-sent value of a computed field that differs from the computed value. */
  computed_mismatch: 'computed_mismatch',
  /** A validation rule of the bundle failed (the message is the rule's, localized). */
  rule_failed: 'rule_failed',
  /** A rule could not be evaluated on this data (reported instead of throwing). */
  rule_error: 'rule_error',
  /** The data could not be processed at all (an engine safety net: reported instead of throwing). */
  unprocessable: 'unprocessable',
} as const;

export type RecordIssueCode = keyof typeof RECORD_ISSUE_CODES;

/** Problems in one row of a spreadsheet read back through an export mapping (`importRow`). */
export const IMPORT_ISSUE_CODES = {
  /** A header that no column of the mapping has (in any locale); its cells are not imported. */
  unknown_header: 'unknown_header',
  /** A second header of the same column; its cells are not imported. */
  duplicate_header: 'duplicate_header',
  /** A cell the column's import cannot turn into a value of its field (not an option, a date, a number, a place). */
  unmapped_value: 'unmapped_value',
  /** Place names of several columns (county, district) that are not on one branch of the hierarchy. */
  location_mismatch: 'location_mismatch',
  /** A cell kept as text (a column without an import, a value that could not be mapped) holding a character no record can store (NUL, an unpaired surrogate). */
  invalid_character: 'invalid_character',
} as const;

export type ImportIssueCode = keyof typeof IMPORT_ISSUE_CODES;
