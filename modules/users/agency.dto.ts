import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../common/pagination.js';
import { CODE, OptionalNotNull, QueryBoolean, Trim } from './dto-helpers.js';

const LOGO_DESCRIPTION = 'PNG or JPEG, 200 KB at most, as a base64 data URL (`data:image/png;base64,...`).';

export class CreateAgencyBody {
  @ApiProperty({ example: 'IRC', description: 'Unique (whatever the case); letters, digits, `.`, `_`, `-`. Cannot be changed later.' })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(CODE, { message: 'code must use letters, digits, ".", "_" and "-", starting with a letter or digit' })
  code: string;

  @ApiProperty({ example: 'International Rescue Committee' })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ description: LOGO_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MaxLength(300_000)
  logo?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class UpdateAgencyBody {
  @ApiPropertyOptional()
  @OptionalNotNull()
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: `${LOGO_DESCRIPTION} \`null\` removes the logo.`, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(300_000)
  logo?: string | null;

  @ApiPropertyOptional({ description: 'Needs the `disable` permission on agencies. A disabled agency cannot be given to new users.' })
  @OptionalNotNull()
  @IsBoolean()
  disabled?: boolean;
}

export class AgencyListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Part of the code or name.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  disabled?: boolean;
}

export class AgencyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty() disabled: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'Where the logo is served, or null without a logo.', example: '/api/v1/agencies/IRC/logo' })
  logoUrl: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class AgencyPage {
  @ApiProperty({ type: [AgencyView] }) items: AgencyView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}
