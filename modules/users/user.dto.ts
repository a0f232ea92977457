import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsEmail, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../common/pagination.js';
import { CODE, LOCALE, OptionalNotNull, QueryBoolean, ROLE_KEY, Trim, USERNAME } from './dto-helpers.js';

const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

/** Profile fields a user may also change on themselves (with the `update` permission on users). */
class UserProfileFields {
  @ApiPropertyOptional({ description: 'The caseworker code exported to the GBVIMS Incident Recorder; null clears it.', example: 'CW-017', nullable: true, type: String })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(32)
  @Matches(CODE, { message: 'code must use letters, digits, ".", "_" and "-", starting with a letter or digit' })
  code?: string | null;

  @ApiPropertyOptional({ example: 'amina.khalil@example.org', nullable: true, type: String })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  email?: string | null;

  @ApiPropertyOptional({ description: 'One of the locales of the active configuration.', example: 'fr' })
  @OptionalNotNull()
  @IsString()
  @Matches(LOCALE, { message: 'locale must be a locale code such as en, fr or ar-IQ' })
  locale?: string;
}

export class CreateUserBody extends UserProfileFields {
  @ApiProperty({ example: 'amina.khalil', description: 'Unique whatever the case; letters, digits, `.`, `_`, `-`, `@`. Cannot be changed later.' })
  @Trim()
  @IsString()
  @MinLength(2)
  @MaxLength(64)
  @Matches(USERNAME, { message: 'username must use letters, digits, ".", "_", "-" and "@", starting with a letter or digit' })
  username: string;

  @ApiProperty({ description: 'Checked against the password policy of the active configuration (length, username, common passwords).' })
  @IsString()
  @MaxLength(1024)
  password: string;

  @ApiProperty({ example: 'Amina Khalil' })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  fullName: string;

  @ApiProperty({ description: 'Code of the agency the user works for.', example: 'IRC' })
  @IsString()
  @MaxLength(64)
  agency: string;

  @ApiPropertyOptional({ type: [String], description: 'Codes of user groups.', example: ['irc-north-gbv'], default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique(lower, { message: 'groups must not repeat a group' })
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  groups?: string[];

  @ApiProperty({ type: [String], description: 'Role keys of the active configuration.', example: ['gbv_caseworker'] })
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique(undefined, { message: 'roles must not repeat a role' })
  @IsString({ each: true })
  @Matches(ROLE_KEY, { each: true, message: 'each role must be a role key' })
  roles: string[];
}

export class UpdateUserBody extends UserProfileFields {
  @ApiPropertyOptional({ example: 'Amina Khalil' })
  @OptionalNotNull()
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  fullName?: string;

  @ApiPropertyOptional({ description: 'Agency code. Never on yourself.', type: String })
  @OptionalNotNull()
  @IsString()
  @MaxLength(64)
  agency?: string;

  @ApiPropertyOptional({ type: [String], description: 'Replaces the groups (codes). Never on yourself.' })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique(lower, { message: 'groups must not repeat a group' })
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  groups?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Replaces the roles (keys). Never on yourself.' })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique(undefined, { message: 'roles must not repeat a role' })
  @IsString({ each: true })
  @Matches(ROLE_KEY, { each: true, message: 'each role must be a role key' })
  roles?: string[];

  @ApiPropertyOptional({ description: 'Needs the `disable` permission. Never on yourself. Disabling ends every session of the user.' })
  @OptionalNotNull()
  @IsBoolean()
  disabled?: boolean;
}

export class ResetPasswordBody {
  @ApiProperty({ description: 'The new password; the user must change it at the next sign-in. Ends every session of the user.' })
  @IsString()
  @MaxLength(1024)
  password: string;
}

export class UserListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Agency code.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  agency?: string;

  @ApiPropertyOptional({ description: 'User group code.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  group?: string;

  @ApiPropertyOptional({ description: 'Role key.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  role?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ description: 'Part of the username, full name, caseworker code or e-mail.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class UserView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty() fullName: string;
  @ApiProperty({ nullable: true, type: String, description: 'Caseworker code.' }) code: string | null;
  @ApiProperty({ nullable: true, type: String }) email: string | null;
  @ApiProperty() locale: string;
  @ApiProperty({ nullable: true, type: String, description: 'Agency code.' }) agency: string | null;
  @ApiProperty({ type: [String], description: 'Group codes.' }) groups: string[];
  @ApiProperty({ type: [String], description: 'Role keys.' }) roles: string[];
  @ApiProperty() disabled: boolean;
  @ApiProperty() mustChangePassword: boolean;
  @ApiProperty() secondFactorEnabled: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastLoginAt: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) passwordChangedAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class UserPage {
  @ApiProperty({ type: [UserView] }) items: UserView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}
