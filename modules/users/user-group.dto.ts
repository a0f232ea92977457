import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../common/pagination.js';
import { CODE, OptionalNotNull, QueryBoolean, Trim } from './dto-helpers.js';

export class CreateUserGroupBody {
  @ApiProperty({ example: 'irc-north-gbv', description: 'Unique (whatever the case). Cannot be changed later.' })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(CODE, { message: 'code must use letters, digits, ".", "_" and "-", starting with a letter or digit' })
  code: string;

  @ApiProperty({ example: 'IRC North: GBV team' })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ description: 'Code of the agency the group belongs to; omitted or null for a group across agencies.', nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  agency?: string | null;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class UpdateUserGroupBody {
  @ApiPropertyOptional()
  @OptionalNotNull()
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Agency code, or null for a group across agencies.', nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  agency?: string | null;

  @ApiPropertyOptional({ description: 'Needs the `disable` permission on user groups. A disabled group cannot be given to users and grants no group access.' })
  @OptionalNotNull()
  @IsBoolean()
  disabled?: boolean;
}

export class UserGroupListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Part of the code or name.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ description: 'Only the groups of this agency (code).' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  agency?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  disabled?: boolean;
}

export class UserGroupView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String, description: 'Agency code, or null for a group across agencies.' }) agency: string | null;
  @ApiProperty() disabled: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class UserGroupPage {
  @ApiProperty({ type: [UserGroupView] }) items: UserGroupView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}
