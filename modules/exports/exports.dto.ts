import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Documentation of the export request (the body is checked by `planExport`, which lists every problem). */
export class ExportRequestDto {
  @ApiProperty({ enum: ['incident-recorder', 'csv', 'xlsx', 'json'] }) format: string;
  @ApiProperty({ example: 'incident' }) recordType: string;
  @ApiPropertyOptional({ example: 'gbv', description: 'Needed only when several modules you can export define the record type.' }) module?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { incident_date: { gte: '2026-01-01' }, incident_location: 'XX01' },
    description: 'The records list filters as JSON: `{ "<field>": <value> | [<values>] | { "eq|gt|gte|lt|lte": <value> } }`; only fields you may read.',
  })
  filter?: Record<string, unknown>;
  @ApiPropertyOptional({ example: 'fr', description: 'Headers and labels; default: your locale.' }) locale?: string;
  @ApiPropertyOptional({ description: 'CSV/XLSX: labels in the locale (default) or raw keys (false).' }) labels?: boolean;
  @ApiPropertyOptional({ description: 'Key of one of your export templates (CSV, XLSX, JSON): narrows the columns.' }) template?: string;
}

export class ExportCreatedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
}

export class ExportErrorDto {
  @ApiProperty({ example: 'access_revoked' }) code: string;
  @ApiProperty() message: string;
}

export class ExportJobDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['queued', 'running', 'done', 'failed', 'expired'] }) status: string;
  @ApiProperty() format: string;
  @ApiProperty() module: string;
  @ApiProperty() recordType: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) filter: Record<string, unknown>;
  @ApiProperty() locale: string;
  @ApiProperty() labels: boolean;
  @ApiProperty({ nullable: true, type: String }) template: string | null;
  @ApiProperty({ description: 'Records processed so far.' }) rowsDone: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Records the export covers (known once it runs).' }) rowsTotal: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Records written to the file (the Incident Recorder leaves out incidents without consent).' }) rowsWritten: number | null;
  @ApiProperty({ minimum: 0, maximum: 100 }) percent: number;
  @ApiProperty({ nullable: true, type: ExportErrorDto }) error: ExportErrorDto | null;
  @ApiProperty({ nullable: true, type: String }) fileName: string | null;
  @ApiProperty({ nullable: true, type: Number }) fileSize: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) startedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the file is deleted.' }) expiresAt: string | null;
}

export class ExportJobListDto {
  @ApiProperty({ type: [ExportJobDto] }) items: ExportJobDto[];
}

export class ExportTemplateRequestDto {
  @ApiProperty({ example: 'monthly_summary', description: 'Your key for it (`[a-z][a-z0-9_]*`), unique among your templates.' }) key: string;
  @ApiProperty({ example: 'Monthly summary' }) name: string;
  @ApiProperty({ example: 'incident' }) recordType: string;
  @ApiPropertyOptional({ example: 'gbv' }) module?: string;
  @ApiPropertyOptional({ type: [String], description: 'Form keys: every field of these forms.' }) forms?: string[];
  @ApiPropertyOptional({ type: [String], description: 'Top-level field keys.' }) fields?: string[];
}

export class ExportTemplateDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() key: string;
  @ApiProperty() name: string;
  @ApiProperty() module: string;
  @ApiProperty() recordType: string;
  @ApiProperty({ type: [String] }) forms: string[];
  @ApiProperty({ type: [String] }) fields: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}
