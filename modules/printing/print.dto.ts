import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

export class PrintQuery {
  @ApiProperty({ description: 'Key of a document template of the bundles (`case_summary`, `referral_letter`, …).', example: 'case_summary' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,62}$/, { message: 'template is a template key (snake_case).' })
  template: string;

  @ApiPropertyOptional({ description: 'Locale of labels and wording (default: yours). Arabic prints right to left.', example: 'fr' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'locale is a locale code such as en, fr or ar.' })
  locale?: string;

  @ApiPropertyOptional({ description: 'The referral whose shared forms a `referral_letter` prints.', format: 'uuid' })
  @IsOptional()
  @IsUUID()
  referral?: string;

  @ApiPropertyOptional({ description: 'Module of the record type; needed only when several modules you can read define it.', example: 'gbv' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  module?: string;
}
