import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const KEY = /^[a-z][a-z0-9_]*$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const LOCATION_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export class LocaleQuery {
  @ApiPropertyOptional({ description: 'Locale of labels (falls back to the bundle base language).', example: 'fr' })
  @IsOptional()
  @IsString()
  @Matches(LOCALE, { message: 'locale must be a locale code such as en, fr or ar-IQ' })
  locale?: string;
}

export class FormsQuery extends LocaleQuery {
  @ApiProperty({ example: 'gbv' })
  @IsString()
  @Matches(KEY, { message: 'module must be a module key' })
  module: string;

  @ApiProperty({ example: 'incident' })
  @IsString()
  @Matches(KEY, { message: 'recordType must be a record type key' })
  recordType: string;
}

export class LocationsQuery extends LocaleQuery {
  @ApiPropertyOptional({ description: 'Only the children of this location code; empty for the top level.' })
  @IsOptional()
  @IsString()
  @Matches(/^$|^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'parent must be a location code' })
  parent?: string;

  @ApiPropertyOptional({ description: 'Only this admin level (0 = country).', minimum: 0, maximum: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10)
  level?: number;
}

export const LOOKUP_KEY = KEY;
export { LOCATION_CODE };
