import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { InboxService } from './inbox.service.js';
import { InboxPageDto, InboxQuery, MarkedReadDto, ReadAllDto, UnreadCountDto } from './notifications.dto.js';

/** The caller's in-app notifications (docs/notifications.md). Nobody reads anybody else's. */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly inbox: InboxService) {}

  @Get()
  @ApiOperation({
    summary: 'Your notifications, newest first.',
    description: 'Subjects are rendered in your locale from the bundle templates. `record` (with its display id) is present only while you may still read the record. `unread` counts all your unread notifications.',
  })
  @ApiOkResponse({ type: InboxPageDto })
  list(@Query() query: InboxQuery, @CurrentPrincipal() principal: Principal) {
    return this.inbox.list(principal, query.unread === undefined ? undefined : query.unread === 'true', query.page, query.pageSize);
  }

  @Get('unread-count')
  @ApiOperation({ summary: 'How many of your notifications are unread.' })
  @ApiOkResponse({ type: UnreadCountDto })
  async unreadCount(@CurrentPrincipal() principal: Principal) {
    return { unread: await this.inbox.unreadCount(principal) };
  }

  @Post('read-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Marks all your notifications read.' })
  @ApiOkResponse({ type: ReadAllDto })
  readAll(@CurrentPrincipal() principal: Principal) {
    return this.inbox.markAllRead(principal);
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Marks one of your notifications read (idempotent).', description: 'Another user\'s notification is a 404 like a missing one.' })
  @ApiOkResponse({ type: MarkedReadDto })
  read(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.inbox.markRead(principal, id);
  }
}
