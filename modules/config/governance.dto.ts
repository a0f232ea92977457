import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { PageQuery } from '../common/pagination.js';

const KEY = /^[a-z][a-z0-9_]*$/;
export const HASH = /^[0-9a-f]{64}$/;
const trim = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
/** PostgreSQL text cannot hold NUL. */
const noNul = (name: string) =>
  ValidateBy({
    name: 'invalidCharacter',
    validator: { validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'), defaultMessage: () => `${name} cannot contain NUL characters` },
  });
const STATES = ['draft', 'submitted', 'approved', 'active', 'rejected', 'superseded'] as const;

export class ImportBundleBody {
  @ApiProperty({
    description: 'The bundle as `{ "<relative path>": "<file text>" }` (the shape `npm run config` reads from a folder).',
    example: { 'bundle.json': '{"key":"gbv","version":"2026.12.0",…}', 'lookups/gender.json': '{…}' },
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsObject()
  files: Record<string, string>;
}

export class BundleListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only this bundle key.', example: 'gbv' })
  @IsOptional()
  @IsString()
  @Matches(KEY, { message: 'bundle must be a bundle key' })
  bundle?: string;

  @ApiPropertyOptional({ enum: STATES })
  @IsOptional()
  @IsIn(STATES)
  state?: (typeof STATES)[number];
}

export class ActiveBundleQuery {
  @ApiPropertyOptional({ description: 'Only this bundle key.', example: 'gbv' })
  @IsOptional()
  @IsString()
  @Matches(KEY, { message: 'bundle must be a bundle key' })
  bundle?: string;
}

export class BundleGetQuery {
  @ApiPropertyOptional({ description: '`true` to include the files.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  files?: 'true' | 'false';
}

export class SubmitBundleBody {
  @ApiProperty({ description: 'What the change is and why (shown to approvers).', example: 'Adds the new referral pathway lookup values.' })
  @trim()
  @IsString()
  @MinLength(1, { message: 'description must not be empty' })
  @MaxLength(10_000)
  @noNul('description')
  description: string;

  @ApiPropertyOptional({ description: 'Required when the diff has breaking changes: how existing records and users are handled.' })
  @IsOptional()
  @trim()
  @IsString()
  @MaxLength(20_000)
  @noNul('migrationNote')
  migrationNote?: string;
}

export class ReviewBody {
  @ApiProperty({ description: 'The reviewer\'s comment (required).', example: 'Checked with the GBV sub-cluster: fine.' })
  @trim()
  @IsString()
  @MinLength(1, { message: 'comment must not be empty' })
  @MaxLength(10_000)
  @noNul('comment')
  comment: string;
}

export class RollbackBody {
  @ApiProperty({ description: 'Key of the bundle to return to its previously active version.', example: 'gbv' })
  @IsString()
  @Matches(KEY, { message: 'bundle must be a bundle key' })
  bundle: string;
}
