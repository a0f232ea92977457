import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class RecordModuleQuery {
  @ApiPropertyOptional({ description: 'Module of the record type; needed only when several modules you can read define it.', example: 'gbv' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  module?: string;
}

export class RecordFlagView {
  @ApiProperty() id: string;
  @ApiProperty() reason: string;
  @ApiPropertyOptional({ nullable: true, type: String }) date?: string | null;
  @ApiProperty() by: string;
  @ApiProperty() at: string;
  @ApiPropertyOptional() unflaggedAt?: string;
  @ApiPropertyOptional() unflagReason?: string;
}

export class RecordViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() shortId: string;
  @ApiProperty() displayId: string;
  @ApiProperty() recordType: string;
  @ApiProperty() module: string;
  @ApiProperty() version: number;
  @ApiProperty({ description: 'Username of the owner.' }) owner: string;
  @ApiProperty({ nullable: true, type: String, description: 'Owner agency code (snapshot).' }) agency: string | null;
  @ApiProperty() status: string;
  @ApiProperty({ type: [RecordFlagView] }) flags: RecordFlagView[];
  @ApiProperty() disabled: boolean;
  @ApiProperty() bundleHash: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The configured fields you may read on this record (others are absent).' })
  data: Record<string, unknown>;
}

export class RecordPageDto {
  @ApiProperty({ type: [RecordViewDto] }) items: RecordViewDto[];
  @ApiProperty({ description: 'Exact up to 10,000; beyond that an estimate (see totalIsEstimate).' }) total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiPropertyOptional({ description: 'Present (true) when total is the planner estimate of a result above 10,000.' }) totalIsEstimate?: boolean;
}

export class HistoryChangeDto {
  @ApiProperty({ description: '`<field>`, `<subform>/<row _id>` or `<subform>/<row _id>/<field>`.' }) path: string;
  @ApiProperty({ nullable: true, description: 'Value before (rows redacted to your readable fields).' }) from: unknown;
  @ApiProperty({ nullable: true, description: 'Value after.' }) to: unknown;
}

export class HistoryEntryDto {
  @ApiProperty() version: number;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ nullable: true, type: String, description: 'Username of who made the change.' }) actor: string | null;
  @ApiProperty({ example: 'update' }) action: string;
  @ApiProperty({ type: [HistoryChangeDto], description: 'Only changes to fields you may read on this record.' }) changes: HistoryChangeDto[];
}

export class HistoryDto {
  @ApiProperty({ type: [HistoryEntryDto] }) items: HistoryEntryDto[];
}
