/**
 * Translation keys (docs/config-format.md, "translations"). Derived from where a text stands, so
 * translators never edit definitions and a relabelled field keeps its translations' key.
 */
export const translationKeys = {
  bundleTitle: (): string => 'bundle.title',
  moduleLabel: (module: string): string => `module.${module}.label`,
  recordTypeLabel: (module: string, recordType: string): string => `recordType.${module}.${recordType}.label`,
  formGroupLabel: (module: string, recordType: string, group: string): string => `formGroup.${module}.${recordType}.${group}.label`,
  formText: (module: string, recordType: string, form: string, text: 'label' | 'help'): string =>
    `form.${module}.${recordType}.${form}.${text}`,
  /** `fieldPath` is `[field]` or `[subform, field]`; `suffix` is `label`, `help`, `tickLabel`, `option.<v>`, `item.<k>`… */
  fieldText: (module: string, recordType: string, fieldPath: readonly string[], suffix: string): string =>
    `field.${module}.${recordType}.${fieldPath.join('.')}.${suffix}`,
  lookupLabel: (lookup: string): string => `lookup.${lookup}.label`,
  lookupValue: (lookup: string, value: string): string => `lookup.${lookup}.value.${value}`,
  /** `level` is the admin level's key (`county`), like every other key segment. */
  locationLevel: (levelKey: string): string => `location.level.${levelKey}`,
  location: (code: string): string => `location.${code}`,
  ruleMessage: (module: string, recordType: string, rule: string): string => `rule.${module}.${recordType}.${rule}.message`,
  roleLabel: (role: string): string => `role.${role}.label`,
  exportLabel: (exportKey: string): string => `export.${exportKey}.label`,
  exportSheetLabel: (exportKey: string, sheet: string): string => `export.${exportKey}.${sheet}.label`,
  /** `column` is a data-sheet column's key, or a menu's `from` on a menu sheet. */
  exportHeader: (exportKey: string, sheet: string, column: string): string => `export.${exportKey}.${sheet}.${column}.header`,
  /** Workflow texts: `state.<key>.label`, `transition.<key>.label`, `transition.<key>.guard`, `approval.<key>.label`. */
  workflowText: (module: string, recordType: string, part: 'state' | 'transition' | 'approval', key: string, text: 'label' | 'guard'): string =>
    `workflow.${module}.${recordType}.${part}.${key}.${text}`,
} as const;
