import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'caseworker1' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  username: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}

export class SecondFactorDto {
  @ApiProperty({ description: 'The 6-digit code of the authenticator app, or one of the recovery codes.' })
  @IsString()
  @MinLength(6)
  @MaxLength(64)
  code: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  currentPassword: string;

  @ApiProperty({ description: 'At least 12 characters (the bundle settings decide), not the username, not a common password.' })
  @IsString()
  @MaxLength(1024)
  newPassword: string;
}

export class DisableTotpDto {
  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({ description: 'A current code or a recovery code.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  code?: string;
}
