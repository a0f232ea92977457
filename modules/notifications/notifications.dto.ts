import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../common/pagination.js';

export class InboxQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: '`true`: unread only; `false`: read only; absent: all.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  unread?: 'true' | 'false';
}

export class InboxRecordDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayId: string;
  @ApiProperty() module: string;
  @ApiProperty() recordType: string;
}

export class InboxItemDto {
  @ApiProperty({ description: 'Notification id.' }) id: string;
  @ApiProperty({ description: 'Event key (approval_requested, referral_received, …; docs/notifications.md).' }) event: string;
  @ApiProperty({ description: 'Subject rendered from the bundle template in your locale.' }) subject: string;
  @ApiPropertyOptional({ type: InboxRecordDto, nullable: true, description: 'The record, only while you may still read it.' })
  record: InboxRecordDto | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Username of who caused it.' }) actor: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Keys only (approvalType, decision, service, transition, …).' })
  details: Record<string, string>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String }) readAt: string | null;
}

export class InboxPageDto {
  @ApiProperty({ type: [InboxItemDto] }) items: InboxItemDto[];
  @ApiProperty() total: number;
  @ApiProperty({ description: 'Unread notifications in total (whatever the filter).' }) unread: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}

export class UnreadCountDto {
  @ApiProperty() unread: number;
}

export class MarkedReadDto {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'date-time' }) readAt: string;
}

export class ReadAllDto {
  @ApiProperty({ description: 'How many notifications were marked read.' }) updated: number;
}
