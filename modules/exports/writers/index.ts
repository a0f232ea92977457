import { csvFormat } from './csv.js';
import { incidentRecorderFormat } from './incident-recorder.js';
import { jsonFormat } from './json.js';
import type { ExportFormatDefinition } from './writer.js';
import { xlsxFormat } from './xlsx.js';

/** Every export format, by its `format` name (a new format is one file here and one line below). */
export const EXPORT_FORMATS: ReadonlyMap<string, ExportFormatDefinition> = new Map(
  [incidentRecorderFormat, csvFormat, xlsxFormat, jsonFormat].map((f) => [f.format, f] as const),
);

export type { ExportFormatDefinition, ExportWriter, ExportWriterContext } from './writer.js';
