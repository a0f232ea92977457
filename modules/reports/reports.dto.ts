import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI shapes of the reports API (the engine's `ReportTable` is the source of truth). */
export class ReportOptionDto {
  @ApiProperty() key!: string;
  @ApiProperty() label!: string;
}

export class ReportSummaryDto {
  @ApiProperty({ example: 'gbvims_statistics' }) key!: string;
  @ApiProperty() label!: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty({ example: 'gbv' }) module!: string;
  @ApiProperty({ example: 'incident' }) recordType!: string;
  @ApiProperty({ type: [String], example: ['date_of_first_report', 'incident_date'] }) dateFields!: string[];
  @ApiProperty({ type: [ReportOptionDto] }) groupBy!: ReportOptionDto[];
  @ApiProperty({ example: 5 }) threshold!: number;
}

const COUNT = { oneOf: [{ type: 'integer' }, { type: 'string', example: '<5' }] };

export class ReportRowDto {
  @ApiProperty({ example: 'survivors_by_sex.female' }) key!: string;
  @ApiProperty() indicator!: string;
  @ApiProperty() indicatorLabel!: string;
  @ApiPropertyOptional({ description: 'Bucket of the indicator\'s split (`_none`: not recorded; `_other`: values outside the split).' }) value?: string;
  @ApiProperty() label!: string;
  @ApiProperty({ type: 'array', items: COUNT }) cells!: (number | string)[];
  @ApiProperty(COUNT) total!: number | string;
}

export class ReportTotalsDto {
  @ApiProperty() indicator!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ type: 'array', items: COUNT }) cells!: (number | string)[];
  @ApiProperty(COUNT) total!: number | string;
}

export class ReportIndicatorDto {
  @ApiProperty() key!: string;
  @ApiProperty() label!: string;
  @ApiPropertyOptional() by?: string;
}

const DERIVED = { oneOf: [{ type: 'number' }, { type: 'string', example: '*' }], nullable: true };

export class ReportDerivedDto {
  @ApiProperty({ example: 'case_closure_rate' }) key!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ enum: ['percent', 'decimal'], description: '`percent`: 100 × the ratio, one decimal; `decimal`: two decimals.' }) format!: string;
  @ApiProperty({ type: 'array', items: DERIVED, description: '`*` where a count it derives from is suppressed; null where there is nothing to divide by.' })
  cells!: (number | string | null)[];
  @ApiProperty(DERIVED) total!: number | string | null;
}

export class ReportTableDto {
  @ApiProperty() key!: string;
  @ApiProperty() label!: string;
  @ApiPropertyOptional({ type: ReportOptionDto }) groupBy?: ReportOptionDto;
  @ApiProperty({ type: [ReportOptionDto] }) columns!: ReportOptionDto[];
  @ApiProperty({ type: [ReportIndicatorDto] }) indicators!: ReportIndicatorDto[];
  @ApiProperty({ type: [ReportRowDto] }) rows!: ReportRowDto[];
  @ApiProperty({ type: [ReportTotalsDto] }) totals!: ReportTotalsDto[];
  @ApiProperty({ type: [ReportDerivedDto], description: 'Rates and averages derived from the counts.' }) derived!: ReportDerivedDto[];
  @ApiProperty({ description: 'True when some count is hidden.' }) suppressed!: boolean;
  @ApiProperty({ example: 5 }) threshold!: number;
}
