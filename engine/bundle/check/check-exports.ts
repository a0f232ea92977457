/**
 * Export mappings (`exports/<key>.json`): their module and record type exist, exactly one data sheet,
 * unique keys, menus that name columns, logic that sees only `record`, `row` and `meta.*`, imports that
 * can write their fields, and — the point of the check — no column that writes an identifying field as
 * it is (`identifying_in_export`): an identifying field may only be a direct argument of a
 * de-identifying operation (`DEIDENTIFYING_OPERATORS`).
 */
import { isSubform, type FieldDefinition, type LeafFieldDefinition } from '../../fields/index.js';
import type { FieldRead, LogicEnv } from '../../rules/logic-walk.js';
import { DEIDENTIFYING_OPERATORS, ROW_SELECTING_OPERATORS } from '../../rules/operators.js';
import type { ExportColumn, ExportColumnImport, ExportMapping } from '../schema/export.js';
import type { ParsedBundle } from '../types.js';
import { adminLevelLookup } from './check-forms.js';
import type { CheckContext, Namespace } from './context.js';
import { checkLogicAt, namespaceLogicEnv } from './logic-env.js';

/** Field types an import can write from one cell. */
const IMPORTABLE_TYPES: ReadonlySet<string> = new Set([
  'text', 'textarea', 'number', 'date', 'yes_no', 'tick_box', 'radio', 'select', 'multi_select', 'location',
]);
const TEXT_TYPES: ReadonlySet<string> = new Set(['text', 'textarea']);
const CHOICE_TYPES: ReadonlySet<string> = new Set(['radio', 'select', 'multi_select']);

type AnyField = FieldDefinition | LeafFieldDefinition;

/** Which reads of a namespace carry identifying data. */
class Identifying {
  constructor(private readonly ns: Namespace | undefined) {}

  /** A top-level field: identifying itself, or a subform that is or holds an identifying field. */
  field(key: string): boolean {
    const def = this.ns?.fields.get(key)?.def;
    if (def === undefined) return false;
    if (isSubform(def)) return def.identifying === true || def.fields.some((child) => child.identifying === true);
    return def.identifying === true;
  }

  /** A field of a subform's rows (an identifying subform goes whole), or whole rows (`field` undefined). */
  row(subform: string, field: string | undefined): boolean {
    if (field === undefined) return this.field(subform);
    const parent = this.ns?.fields.get(subform)?.def;
    if (parent?.identifying === true) return true;
    return this.ns?.subforms.get(subform)?.get(field)?.def.identifying === true;
  }

  /** A field of rows of unknown origin: identifying if it is in any subform. */
  anyRow(field: string): boolean {
    for (const subform of this.ns?.subforms.keys() ?? []) if (this.row(subform, field)) return true;
    return false;
  }

  of(read: FieldRead): boolean {
    if (read.subform !== undefined) return this.row(read.subform, read.field);
    if (read.rows === true) return read.field !== undefined && this.anyRow(read.field);
    return read.field !== undefined && this.field(read.field);
  }
}

/** Whether a read is handed only to an operation whose output cannot identify (see operators.ts). */
function deidentified(read: FieldRead, wholeRows: boolean): boolean {
  const via = read.via;
  if (via === undefined) return false;
  if (Object.prototype.hasOwnProperty.call(DEIDENTIFYING_OPERATORS, via.op)) return true;
  return wholeRows && via.arg === 0 && ROW_SELECTING_OPERATORS.has(via.op);
}

function describeRead(read: FieldRead): string {
  if (read.subform !== undefined) return read.field === undefined ? `the rows of "${read.subform}"` : `"${read.subform}.${read.field}"`;
  if (read.rows === true) return read.field === undefined ? 'rows' : `"${read.field}" of rows`;
  return `"${read.field}"`;
}

/** `{ "field": "<key>" }`: a column that writes one field's stored value. */
export function fieldShortcut(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const field = (value as Record<string, unknown>)['field'];
  return keys.length === 1 && typeof field === 'string' ? field : undefined;
}

export function checkExports(ctx: CheckContext): void {
  const hasAdminLevel = adminLevelLookup(ctx);
  for (const bundle of ctx.bundles) {
    for (const { def, file } of bundle.exports) new ExportCheck(ctx, bundle, file, def, hasAdminLevel).run();
  }
}

class ExportCheck {
  private ns: Namespace | undefined;
  private identifying = new Identifying(undefined);

  constructor(
    private readonly ctx: CheckContext,
    private readonly bundle: ParsedBundle,
    private readonly file: string,
    private readonly def: ExportMapping,
    private readonly hasAdminLevel: (level: number | string) => boolean | undefined,
  ) {}

  private report(pointer: string, code: Parameters<CheckContext['report']>[3], message: string): void {
    this.ctx.report(this.bundle, this.file, pointer, code, message);
  }

  run(): void {
    const { ctx, bundle, def } = this;
    const module = ctx.modules.get(def.module);
    if (module === undefined || !ctx.sees(bundle, module.bundle)) {
      if (!ctx.isBroken('module', def.module)) this.report('/module', 'unknown_module', `There is no module "${def.module}" in this bundle or its dependencies.`);
    } else if (!module.def.recordTypes.includes(def.recordType)) {
      this.report('/recordType', 'unknown_record_type', `Module "${def.module}" does not list record type "${def.recordType}".`);
    } else {
      this.ns = ctx.namespace(def.module, def.recordType);
      this.identifying = new Identifying(this.ns);
    }

    if (def.include !== undefined) checkLogicAt(ctx, bundle, this.file, this.env(), def.include, '/include', undefined);
    const columns = this.checkSheets();
    this.checkImports(columns);
  }

  /** The logic environment of the mapping; `onRead` collects reads when given. */
  private env(onRead?: (read: FieldRead) => void): LogicEnv {
    return {
      ...namespaceLogicEnv(this.ctx, this.bundle, this.ns),
      context: 'export',
      hasAdminLevel: this.hasAdminLevel,
      ...(onRead === undefined ? {} : { onRead }),
    };
  }

  /** Sheets, columns and menus; returns the data sheet's columns with their pointers. */
  private checkSheets(): { column: ExportColumn; at: string }[] {
    const { def } = this;
    const sheetKeys = new Set<string>();
    const dataSheets: number[] = [];
    def.sheets.forEach((sheet, i) => {
      const at = `/sheets/${i}`;
      if (sheetKeys.has(sheet.key)) this.report(`${at}/key`, 'duplicate_key', `Sheet "${sheet.key}" appears twice.`);
      sheetKeys.add(sheet.key);
      if ((sheet.columns === undefined) === (sheet.menus === undefined)) {
        this.report(at, 'invalid_sheet', 'A sheet has either `columns` (a data sheet) or `menus` (a menu sheet).');
      } else if (sheet.columns !== undefined) {
        dataSheets.push(i);
        if (sheet.maxValues !== undefined) this.report(`${at}/maxValues`, 'invalid_sheet', '`maxValues` limits the values of a menu sheet; a data sheet has one row per record.');
      }
    });
    if (dataSheets.length !== 1) {
      this.report('/sheets', 'invalid_sheet', `An export mapping has exactly one data sheet (with \`columns\`); this one has ${dataSheets.length}.`);
    }
    const menuSheets = def.sheets.filter((sheet) => sheet.menus !== undefined && sheet.columns === undefined).length;
    if (menuSheets > 1) this.report('/sheets', 'invalid_sheet', `An export mapping has at most one menu sheet (with \`menus\`); this one has ${menuSheets}.`);

    const columns: { column: ExportColumn; at: string }[] = [];
    const columnKeys = new Set<string>();
    for (const i of dataSheets.slice(0, 1)) {
      def.sheets[i]?.columns?.forEach((column, j) => {
        const at = `/sheets/${i}/columns/${j}`;
        if (columnKeys.has(column.key)) this.report(`${at}/key`, 'duplicate_key', `Column "${column.key}" appears twice.`);
        columnKeys.add(column.key);
        columns.push({ column, at });
        this.checkColumnValue(column, at);
      });
    }
    def.sheets.forEach((sheet, i) => {
      const froms = new Set<string>();
      sheet.menus?.forEach((menu, j) => {
        const at = `/sheets/${i}/menus/${j}/from`;
        if (froms.has(menu.from)) this.report(at, 'duplicate_key', `Menu "${menu.from}" appears twice in this sheet.`);
        froms.add(menu.from);
        if (dataSheets.length === 1 && !columnKeys.has(menu.from)) this.report(at, 'unknown_column', `"${menu.from}" is not a column of the data sheet.`);
      });
    });
    return columns;
  }

  private checkColumnValue(column: ExportColumn, at: string): void {
    const field = fieldShortcut(column.value);
    if (field !== undefined) {
      const pointer = `${at}/value/field`;
      const entry = this.ns?.fields.get(field);
      if (this.ns === undefined) return;
      if (entry === undefined) {
        if (!this.ns.brokenFields.has(field)) this.report(pointer, 'unknown_field', `"${field}" is not a field of ${this.def.module}/${this.def.recordType}.`);
      } else if (this.identifying.field(field)) {
        this.report(pointer, 'identifying_in_export', `Column "${column.key}" would write the identifying field "${field}" as it is: read it through a de-identifying operation (${Object.keys(DEIDENTIFYING_OPERATORS).join(', ')}).`);
      }
      return;
    }
    const reads: FieldRead[] = [];
    checkLogicAt(this.ctx, this.bundle, this.file, this.env((read) => reads.push(read)), column.value, `${at}/value`, undefined);
    for (const read of reads) {
      if (!this.identifying.of(read)) continue;
      // `record.<subform>` is whole rows too: the rows of "<subform>".
      const wholeRows = read.field === undefined || (read.subform === undefined && read.rows !== true && this.isSubformField(read.field));
      if (deidentified(read, wholeRows)) continue;
      const rowsOf = read.subform ?? (read.rows === true ? undefined : read.field);
      const what = wholeRows
        ? `${rowsOf === undefined ? 'rows' : `the rows of "${rowsOf}"`}, which hold identifying fields,`
        : `${describeRead(read)}, which is identifying,`;
      this.report(
        read.pointer,
        'identifying_in_export',
        `Column "${column.key}" would write ${what} as it is: hand it directly to a de-identifying operation (${Object.keys(DEIDENTIFYING_OPERATORS).join(', ')}).`,
      );
    }
  }

  private isSubformField(key: string): boolean {
    const def = this.ns?.fields.get(key)?.def;
    return def !== undefined && isSubform(def);
  }

  private checkImports(columns: readonly { column: ExportColumn; at: string }[]): void {
    const { def } = this;
    if (this.ns === undefined) return;
    const ns = this.ns;
    const written = new Map<string, string>();
    for (const { column, at } of columns) {
      const spec = column.import;
      if (spec === undefined) continue;
      const pointer = `${at}/import`;
      const [first, second] = spec.field.split('.') as [string, string | undefined];
      let target: AnyField | undefined;
      if (second === undefined) {
        target = ns.fields.get(first)?.def;
        if (target === undefined) {
          if (!ns.brokenFields.has(first)) this.report(`${pointer}/field`, 'unknown_field', `"${first}" is not a field of ${def.module}/${def.recordType}.`);
          continue;
        }
      } else {
        const rows = ns.subforms.get(first);
        target = rows?.get(second)?.def;
        if (target === undefined) {
          if (!ns.brokenFields.has(first)) this.report(`${pointer}/field`, 'unknown_field', `"${spec.field}" is not a field of a subform of ${def.module}/${def.recordType}.`);
          continue;
        }
      }
      const previous = written.get(spec.field);
      if (previous !== undefined && target.type !== 'location') {
        this.report(`${pointer}/field`, 'invalid_import', `Column "${previous}" already imports into "${spec.field}".`);
      }
      written.set(spec.field, column.key);
      this.checkImportTarget(target, spec, pointer);
    }
    const unmapped = def.import?.unmappedField;
    if (unmapped !== undefined) {
      const target = ns.fields.get(unmapped)?.def;
      if (target === undefined) {
        if (!ns.brokenFields.has(unmapped)) this.report('/import/unmappedField', 'unknown_field', `"${unmapped}" is not a field of ${def.module}/${def.recordType}.`);
      } else if (!TEXT_TYPES.has(target.type)) {
        this.report('/import/unmappedField', 'invalid_import', `"${unmapped}" must be a text or textarea field to keep the values that cannot be imported.`);
      }
    }
  }

  private checkImportTarget(target: AnyField, spec: ExportColumnImport, pointer: string): void {
    if (!IMPORTABLE_TYPES.has(target.type)) {
      this.report(`${pointer}/field`, 'invalid_import', `A cell cannot be imported into a ${target.type} field.`);
      return;
    }
    if (target.compute !== undefined && target.compute.when === undefined) {
      this.report(`${pointer}/field`, 'invalid_import', `"${target.key}" is computed: an imported value would be refused.`);
    }
    if (spec.level !== undefined) {
      if (target.type !== 'location') this.report(`${pointer}/level`, 'invalid_import', '`level` is for location fields.');
      else if (this.hasAdminLevel(spec.level) === false) this.report(`${pointer}/level`, 'unknown_admin_level', `No location file declares the admin level ${JSON.stringify(spec.level)}.`);
    }
    if (spec.separator !== undefined && target.type !== 'multi_select') this.report(`${pointer}/separator`, 'invalid_import', '`separator` is for multi-select fields.');
    if (spec.map === undefined) return;
    const options = this.optionValues(target);
    for (const [text, value] of Object.entries(spec.map)) {
      const at = `${pointer}/map/${text.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (value === null) continue;
      if (options !== undefined) {
        if (typeof value !== 'string' || !options.has(value)) this.report(at, 'invalid_import', `${JSON.stringify(value)} is not an option of "${target.key}".`);
      } else if (target.type === 'yes_no' || target.type === 'tick_box') {
        if (typeof value !== 'boolean') this.report(at, 'invalid_import', `"${target.key}" stores true or false.`);
      } else if (target.type === 'number') {
        if (typeof value !== 'number') this.report(at, 'invalid_import', `"${target.key}" stores numbers.`);
      } else if (typeof value !== 'string') {
        this.report(at, 'invalid_import', `"${target.key}" stores text.`);
      }
    }
  }

  /** Option values of a choice field; undefined for other fields or an unresolved lookup. */
  private optionValues(target: AnyField): ReadonlySet<string> | undefined {
    if (!CHOICE_TYPES.has(target.type)) return undefined;
    const def = target as { readonly options?: readonly { readonly value: string }[]; readonly lookup?: string };
    if (def.options !== undefined) return new Set(def.options.map((option) => option.value));
    if (def.lookup === undefined) return undefined;
    const found = this.ctx.resolveLookup(this.bundle, def.lookup);
    return found.status === 'found' ? new Set(found.lookup.values.map((option) => option.value)) : undefined;
  }
}
