import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { DataSource, type EntityManager } from 'typeorm';
import { compileExportMapping, listExportMappings, type CompiledExport } from '../../engine/index.js';
import { HavenError, type Issue } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { RecordEventsRepository } from '../records/record-events.js';
import { RecordsRepository } from '../records/records.repository.js';
import { RecordsService } from '../records/records.service.js';
import type { Actor } from '../users/request-actor.js';
import { checkZipSize } from './zip-guard.js';

/** One problem of one spreadsheet row (row numbers as the spreadsheet shows them: the header is row 1). */
export interface ImportProblem {
  row: number;
  column: string;
  code: string;
  message: string;
}

export interface ImportReport {
  dryRun: boolean;
  module: string;
  recordType: string;
  /** Data rows read (empty rows are skipped). */
  rows: number;
  /** Incidents created (0 on a dry run or when any row has a problem). */
  created: number;
  ids: string[];
  problems: ImportProblem[];
}

/** Field the mapping writes what no field takes into; read-only for users, so it is set as a system change. */
const UNMAPPED_FIELD = 'ir_imported_values';
const MAX_ROWS = 50_000;
/** Largest workbook once unpacked: 50,000 rows of the 42 columns take about 85 MB of sheet XML. */
const MAX_INFLATED_BYTES = 128 * 1024 * 1024;

/** The stored form of a cell for `importRow`: text, numbers, booleans and dates as they are, formulas by result. */
function cellValue(value: ExcelJS.CellValue): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date || typeof value !== 'object') return value;
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('result' in value) return value.result instanceof Date || typeof value.result !== 'object' ? (value.result ?? null) : null;
  return null;
}

class RollBack extends Error {}

/**
 * Imports legacy GBVIMS Incident Recorder spreadsheets into incidents (docs/incident-recorder.md, "Reading old
 * Incident Recorders back"). Each data row goes through the mapping's `importRow`, then `RecordsService.create`
 * with the importer as owner — every row in ONE transaction, each in a savepoint so that every row's problems are
 * collected. A dry run, or any problem on any row, rolls the whole transaction back: nothing is stored. Cells
 * without a field of their own are kept in the incident's read-only `ir_imported_values`, set as a recorded
 * system change (`record.ir_import`, with history) right after the create.
 */
@Injectable()
export class IrImportService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
    private readonly records: RecordsService,
    private readonly repo: RecordsRepository,
    private readonly events: RecordEventsRepository,
  ) {}

  private mapping(module: string | undefined): CompiledExport {
    const compiled = this.config.current();
    const found = listExportMappings(compiled).filter((m) => m.format === 'incident-recorder' && (module === undefined || m.module === module));
    if (found.length === 0) throw HavenError.validation([{ code: 'not_found', path: '/module', message: 'The configuration has no Incident Recorder mapping for this module.' }]);
    if (found.length > 1) throw HavenError.validation([{ code: 'module_required', path: '/module', message: `Give module (${found.map((m) => m.module).join(', ')}).` }]);
    return compileExportMapping(compiled, found[0].key);
  }

  async import(actor: Actor, input: { file?: { buffer: Buffer; originalname: string }; dryRun?: unknown; module?: unknown }): Promise<ImportReport> {
    const issues: Issue[] = [];
    if (!input.file) issues.push({ code: 'required', path: '/file', message: 'Send the spreadsheet (.xlsx) in the part named `file`.' });
    const dryRunText = input.dryRun === undefined ? 'false' : String(input.dryRun);
    if (dryRunText !== 'true' && dryRunText !== 'false') issues.push({ code: 'invalid_value', path: '/dryRun', message: 'dryRun is true or false.' });
    const module = input.module === undefined || input.module === '' ? undefined : String(input.module);
    if (issues.length) throw HavenError.validation(issues, 'The import request is not valid.');
    const dryRun = dryRunText === 'true';
    const mapping = this.mapping(module);
    const ability = actor.principal.ability;
    if (!ability.canRecord('create', mapping.module, mapping.recordType)) {
      if (ability.canRecord('read', mapping.module, mapping.recordType)) throw new HavenError('forbidden', `You may not create ${mapping.recordType} records.`);
      throw HavenError.notFound('No such record type.');
    }

    // The workbook as inflated must stay within reason before a spreadsheet library unpacks it into memory.
    const inflated = await checkZipSize(input.file!.buffer, MAX_INFLATED_BYTES);
    if (!inflated.ok) {
      throw HavenError.validation([
        inflated.reason === 'too_large'
          ? { code: 'too_large', path: '/file', message: `The workbook unpacks to more than ${MAX_INFLATED_BYTES / 1024 / 1024} MB; split it (at most ${MAX_ROWS} rows per import).` }
          : { code: 'unreadable_file', path: '/file', message: 'The file is not an .xlsx workbook.' },
      ]);
    }
    const book = new ExcelJS.Workbook();
    try {
      await book.xlsx.load(input.file!.buffer as unknown as ArrayBuffer);
    } catch {
      throw HavenError.validation([{ code: 'unreadable_file', path: '/file', message: 'The file is not an .xlsx workbook.' }]);
    }
    const sheet = book.worksheets[0];
    if (!sheet || sheet.rowCount < 1) throw HavenError.validation([{ code: 'empty_file', path: '/file', message: 'The workbook has no data sheet.' }]);
    const headers = ((sheet.getRow(1).values as ExcelJS.CellValue[]) ?? []).slice(1).map(cellValue);
    const rows: Array<{ number: number; cells: unknown[] }> = [];
    sheet.eachRow({ includeEmpty: false }, (row, number) => {
      if (number === 1) return;
      const cells = ((row.values as ExcelJS.CellValue[]) ?? []).slice(1).map(cellValue);
      if (cells.some((c) => c !== null && c !== '')) rows.push({ number, cells });
    });
    if (rows.length > MAX_ROWS) throw HavenError.validation([{ code: 'too_many', path: '/file', message: `At most ${MAX_ROWS} rows per import.` }]);

    const report: ImportReport = { dryRun, module: mapping.module, recordType: mapping.recordType, rows: rows.length, created: 0, ids: [], problems: [] };
    try {
      await this.ds.transaction(async (tx) => {
        const unknownHeaders = new Set<string>();
        for (const row of rows) await this.importRow(tx, actor, mapping, headers, row, report, unknownHeaders);
        if (dryRun || report.problems.length > 0) throw new RollBack();
      });
    } catch (err) {
      if (!(err instanceof RollBack)) throw err;
      report.ids = [];
      report.created = 0;
      if (!dryRun) {
        throw new HavenError('validation_failed', 'The spreadsheet has problems; nothing was imported.', report.problems.map(toIssue), { report });
      }
      return report;
    }
    report.created = report.ids.length;
    return report;
  }

  private async importRow(
    tx: EntityManager,
    actor: Actor,
    mapping: CompiledExport,
    headers: unknown[],
    row: { number: number; cells: unknown[] },
    report: ImportReport,
    unknownHeaders: Set<string>,
  ): Promise<void> {
    const result = mapping.importRow(headers, row.cells, { rowId: () => randomUUID() });
    for (const issue of result.issues) {
      // An unknown header is reported once, on the first row with a cell under it (whichever row that is).
      if (issue.code === 'unknown_header') {
        if (unknownHeaders.has(issue.column)) continue;
        unknownHeaders.add(issue.column);
      }
      report.problems.push({ row: row.number, column: issue.column, code: issue.code, message: issue.message });
    }
    const { [UNMAPPED_FIELD]: unmapped, ...data } = result.data;
    await tx.query('SAVEPOINT ir_row');
    try {
      const view = await this.records.create(mapping.recordType, { module: mapping.module, data }, actor, tx);
      if (typeof unmapped === 'string' && unmapped !== '') await this.keepUnmapped(tx, actor, mapping.recordType, view.id, unmapped);
      report.ids.push(view.id);
      await tx.query('RELEASE SAVEPOINT ir_row');
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT ir_row');
      if (!(err instanceof HavenError)) throw err;
      const issues = err.issues.length ? err.issues : [{ code: err.code, path: '', message: err.message }];
      for (const issue of issues) {
        report.problems.push({ row: row.number, column: issue.path.replace(/^\/data\//, '').split('/')[0] || '', code: issue.code, message: issue.message });
      }
    }
  }

  private async keepUnmapped(tx: EntityManager, actor: Actor, recordType: string, id: string, text: string): Promise<void> {
    const row = await this.repo.lock(tx, id, recordType);
    if (!row) throw new Error(`imported record ${id} vanished`);
    await this.events.apply(
      tx,
      {
        recordId: id,
        expectedVersion: row.version,
        action: 'ir_import',
        changes: [{ path: UNMAPPED_FIELD, from: null, to: text }],
        auditDetails: { fields: [UNMAPPED_FIELD] },
        data: { ...row.data, [UNMAPPED_FIELD]: text },
        fieldVersions: { ...row.fieldVersions, [UNMAPPED_FIELD]: row.version + 1 },
      },
      { actorId: actor.principal.userId, actor: actor.principal.username, clientIp: actor.clientIp, requestId: actor.requestId },
    );
  }
}

function toIssue(p: ImportProblem): Issue {
  return { code: p.code, path: `/rows/${p.row}/${p.column}`, message: `Row ${p.row}, ${p.column}: ${p.message}`, params: { row: p.row, column: p.column } };
}
