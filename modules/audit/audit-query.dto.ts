import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination.js';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Username of the actor (whatever the case).' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  user?: string;

  @ApiPropertyOptional({ description: 'Action, e.g. `user.update`; `user.*` for every action of a kind.', example: 'user.update' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ description: 'Id of the object the row is about (a username, an agency or group code, a record id).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  record?: string;

  @ApiPropertyOptional({ description: 'Type of the object, e.g. `user`, `agency`, `user_group`, `session`.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  objectType?: string;

  @ApiPropertyOptional({ description: 'From this instant (ISO 8601, inclusive).', example: '2025-01-01T00:00:00Z' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'from must be an ISO 8601 date or date-time' })
  from?: string;

  @ApiPropertyOptional({ description: 'Up to this instant (ISO 8601, exclusive).', example: '2025-02-01T00:00:00Z' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'to must be an ISO 8601 date or date-time' })
  to?: string;
}

export class AuditEntryView {
  @ApiProperty({ description: 'Increasing id of the row.' }) id: string;
  @ApiProperty({ type: String, format: 'date-time' }) at: string;
  @ApiProperty({ nullable: true, type: String, description: 'Username of the actor, or "system".' }) actor: string | null;
  @ApiProperty() action: string;
  @ApiProperty({ nullable: true, type: String }) objectType: string | null;
  @ApiProperty({ nullable: true, type: String }) objectId: string | null;
  @ApiProperty({ enum: ['allowed', 'denied', 'failed'] }) outcome: string;
  @ApiProperty({ nullable: true, type: String }) clientIp: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Ids, codes and field names; never field values.' })
  details: Record<string, unknown>;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items: AuditEntryView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}
