import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/decorators.js';
import { type Actor, CurrentActor } from './request-actor.js';
import { CreateUserBody, ResetPasswordBody, UpdateUserBody, UserListQuery, UserPage, UserView } from './user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('admin: users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @RequirePermission('create', 'user')
  @ApiOperation({ summary: 'Create a user (username unique whatever the case; password checked against the policy).' })
  @ApiCreatedResponse({ type: UserView })
  create(@Body() body: CreateUserBody, @CurrentActor() actor: Actor) {
    return this.users.create(body, actor);
  }

  @Get()
  @RequirePermission('read', 'user')
  @ApiOperation({ summary: 'Users within your scope, by username.' })
  @ApiOkResponse({ type: UserPage })
  list(@Query() query: UserListQuery, @CurrentActor() actor: Actor) {
    return this.users.list(query, actor);
  }

  @Get(':username')
  @RequirePermission('read', 'user')
  @ApiOkResponse({ type: UserView })
  get(@Param('username') username: string, @CurrentActor() actor: Actor) {
    return this.users.get(username, actor);
  }

  @Patch(':username')
  @HttpCode(200)
  @RequirePermission('update', 'user')
  @ApiOperation({
    summary: 'Change a user. Changing roles, groups or agency ends their sessions. Nobody changes their own roles, groups, agency or disabled flag (403).',
  })
  @ApiOkResponse({ type: UserView })
  update(@Param('username') username: string, @Body() body: UpdateUserBody, @CurrentActor() actor: Actor) {
    return this.users.update(username, body, actor);
  }

  @Post(':username/reset-password')
  @HttpCode(200)
  @RequirePermission('reset_password', 'user')
  @ApiOperation({ summary: 'Set a new password that the user must change at the next sign-in; ends their sessions.' })
  @ApiOkResponse({ type: UserView })
  resetPassword(@Param('username') username: string, @Body() body: ResetPasswordBody, @CurrentActor() actor: Actor) {
    return this.users.resetPassword(username, body, actor);
  }

  @Post(':username/disable')
  @HttpCode(200)
  @RequirePermission('disable', 'user')
  @ApiOperation({ summary: 'Disable a user: their sessions end at once and they cannot sign in.' })
  @ApiOkResponse({ type: UserView })
  disable(@Param('username') username: string, @CurrentActor() actor: Actor) {
    return this.users.setDisabled(username, true, actor);
  }

  @Post(':username/enable')
  @HttpCode(200)
  @RequirePermission('disable', 'user')
  @ApiOperation({ summary: 'Enable a disabled user again.' })
  @ApiOkResponse({ type: UserView })
  enable(@Param('username') username: string, @CurrentActor() actor: Actor) {
    return this.users.setDisabled(username, false, actor);
  }
}
