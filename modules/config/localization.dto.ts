import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';

const OPTION_VALUE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export class OverlayOptionBody {
  @ApiProperty({ example: 'breast_ironing', description: 'New option value (letters, digits, `_.+-`); never one the lookup has.' })
  @IsString()
  @MaxLength(100)
  @Matches(OPTION_VALUE, { message: 'value must be an option value (letters, digits, "_", ".", "+", "-")' })
  value: string;

  @ApiProperty({ example: 'Breast ironing', description: 'Label in the base language of the lookup\'s bundle.' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  label: string;

  @ApiPropertyOptional({ example: { fr: 'Repassage des seins' }, description: 'Labels in other locales.', type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  labels?: Record<string, string>;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tags?: string[];
}

/** One overlay change of one localizable lookup. There is no "delete": an option is disabled, never removed. */
export class LookupOverlayBody {
  @ApiPropertyOptional({ type: [OverlayOptionBody], description: 'New options (a value the lookup has is refused).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => OverlayOptionBody)
  add?: OverlayOptionBody[];

  @ApiPropertyOptional({ example: { type_of_practice_1: { en: 'Forced marriage', fr: 'Mariage forcé' } }, description: 'value -> locale -> label.', type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } })
  @IsOptional()
  @IsObject()
  rename?: Record<string, Record<string, string>>;

  @ApiPropertyOptional({ type: [String], description: 'Values shown first, in this order; the others follow.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5000)
  @IsString({ each: true })
  order?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Values no longer offered for new choices (records keep them).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5000)
  @IsString({ each: true })
  disable?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Values disabled by an earlier overlay, offered again.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5000)
  @IsString({ each: true })
  enable?: string[];
}

export class OverlayQuery {
  @ApiPropertyOptional({ description: 'Locale of the lookup returned.', example: 'fr' })
  @IsOptional()
  @IsString()
  @Matches(LOCALE, { message: 'locale must be a locale code such as en, fr or ar-IQ' })
  locale?: string;
}

export class LocationImportQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'true', description: '`true` (default): only check and report; `false`: import (all or nothing).' })
  @IsOptional()
  @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';
}
