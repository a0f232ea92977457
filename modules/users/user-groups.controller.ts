import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/decorators.js';
import { type Actor, CurrentActor } from './request-actor.js';
import { CreateUserGroupBody, UpdateUserGroupBody, UserGroupListQuery, UserGroupPage, UserGroupView } from './user-group.dto.js';
import { UserGroupsService } from './user-groups.service.js';

@ApiTags('admin: user groups')
@ApiBearerAuth()
@Controller('user-groups')
export class UserGroupsController {
  constructor(private readonly groups: UserGroupsService) {}

  @Post()
  @RequirePermission('create', 'user_group')
  @ApiOperation({ summary: 'Create a user group (code unique whatever the case), in an agency or across agencies.' })
  @ApiCreatedResponse({ type: UserGroupView })
  create(@Body() body: CreateUserGroupBody, @CurrentActor() actor: Actor) {
    return this.groups.create(body, actor);
  }

  @Get()
  @RequirePermission('read', 'user_group')
  @ApiOperation({ summary: 'User groups, by code.' })
  @ApiOkResponse({ type: UserGroupPage })
  list(@Query() query: UserGroupListQuery, @CurrentActor() actor: Actor) {
    return this.groups.list(query, actor);
  }

  @Get(':code')
  @RequirePermission('read', 'user_group')
  @ApiOkResponse({ type: UserGroupView })
  get(@Param('code') code: string, @CurrentActor() actor: Actor) {
    return this.groups.get(code, actor);
  }

  @Patch(':code')
  @HttpCode(200)
  @RequirePermission('update', 'user_group')
  @ApiOperation({ summary: 'Change the name, agency or disabled flag of a group (the code never changes).' })
  @ApiOkResponse({ type: UserGroupView })
  update(@Param('code') code: string, @Body() body: UpdateUserGroupBody, @CurrentActor() actor: Actor) {
    return this.groups.update(code, body, actor);
  }
}
