/**
 * JSON Schema of `exports/<key>.json`: an export mapping (docs/config-format.md, "Export mappings").
 * What the schema cannot say (exactly one data sheet, columns and menus that exist, logic that sees
 * only what it may and never writes an identifying field verbatim) is checked in
 * `check/check-exports.ts`; `engine/exports/` compiles and runs mappings.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Key, Logic, StringEnum, Text } from './common.js';

const strict = { additionalProperties: false } as const;

/** Layouts the server knows how to write. `incident-recorder`: the GBVIMS Incident Recorder workbook. */
export const EXPORT_FORMATS = ['incident-recorder'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Cell types: how the writer stores a column's values (any value that is not of the type is written as text). */
export const EXPORT_CELL_TYPES = ['text', 'date', 'number'] as const;
export type ExportCellType = (typeof EXPORT_CELL_TYPES)[number];

/** A field path an import writes: `<field>` or `<subform>.<field>` (the first row of the subform). */
const FIELD_PATH_PATTERN = '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?$';

const ImportValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

/** How a column's cells are read back into a record (legacy spreadsheets). */
export const ExportColumnImportSchema = Type.Object(
  {
    /** The field written: a top-level field or `<subform>.<field>` (the first row). */
    field: Type.String({ pattern: FIELD_PATH_PATTERN }),
    /** Cell text -> stored value, tried before the field's own options (labels in any locale). */
    map: Type.Optional(Type.Record(Type.String({ minLength: 1 }), ImportValue)),
    /** Multi-select fields: the text between values in one cell (default ", "). */
    separator: Type.Optional(Type.String({ minLength: 1 })),
    /** Location fields: the admin level (key or number) whose place names the cell holds. */
    level: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Key])),
  },
  strict,
);
export type ExportColumnImport = Static<typeof ExportColumnImportSchema>;

export const ExportColumnSchema = Type.Object(
  {
    key: Key,
    header: Text,
    description: Type.Optional(Type.String()),
    /** JSON Logic over `{ record, meta }`, or `{ "field": "<key>" }` for a field's stored value. */
    value: Logic,
    type: Type.Optional(StringEnum(EXPORT_CELL_TYPES)),
    import: Type.Optional(ExportColumnImportSchema),
  },
  strict,
);
export type ExportColumn = Static<typeof ExportColumnSchema>;

/** One column of a menu sheet: the distinct values of a data-sheet column. */
export const ExportMenuSchema = Type.Object({ from: Key, header: Text }, strict);
export type ExportMenu = Static<typeof ExportMenuSchema>;

/** A data sheet (`columns`: one row per record) or a menu sheet (`menus`); the checker wants exactly one of both. */
export const ExportSheetSchema = Type.Object(
  {
    key: Key,
    label: Text,
    columns: Type.Optional(Type.Array(ExportColumnSchema, { minItems: 1 })),
    menus: Type.Optional(Type.Array(ExportMenuSchema, { minItems: 1 })),
    /** Menu sheets: at most this many values per menu (the Incident Recorder's menus have 50 rows). */
    maxValues: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  strict,
);
export type ExportSheet = Static<typeof ExportSheetSchema>;

export const ExportMappingSchema = Type.Object(
  {
    key: Key,
    label: Text,
    description: Type.Optional(Type.String()),
    module: Key,
    recordType: Key,
    format: StringEnum(EXPORT_FORMATS),
    /** JSON Logic over `{ record, meta }`: only records for which it holds are exported (default: all). */
    include: Type.Optional(Logic),
    sheets: Type.Array(ExportSheetSchema, { minItems: 1 }),
    /** Import of legacy spreadsheets: the text field that keeps the values of columns that cannot be imported. */
    import: Type.Optional(Type.Object({ unmappedField: Key }, strict)),
  },
  strict,
);
export type ExportMapping = Static<typeof ExportMappingSchema>;
