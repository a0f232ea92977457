import { Module } from '@nestjs/common';
import { ConfigBundlesModule } from '../config/config.module.js';
import { AgenciesController } from './agencies.controller.js';
import { AgenciesService } from './agencies.service.js';
import { UserGroupsController } from './user-groups.controller.js';
import { UserGroupsService } from './user-groups.service.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/**
 * Administration of agencies, user groups and users. Audit (AuditService) and sessions (SessionService) come
 * from their global modules.
 */
@Module({
  imports: [ConfigBundlesModule],
  providers: [AgenciesService, UserGroupsService, UsersService],
  controllers: [AgenciesController, UserGroupsController, UsersController],
})
export class UsersModule {}
