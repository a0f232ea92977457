import { Module } from '@nestjs/common';
import { ConfigBundlesModule } from '../config/config.module.js';
import { RecordsModule } from '../records/records.module.js';
import { AssignService } from './assign.service.js';
import { FlagsService } from './flags.service.js';
import { WorkflowController } from './workflow.controller.js';
import { WorkflowRepository } from './workflow.repository.js';
import { WorkflowService } from './workflow.service.js';

/**
 * Case workflow: transitions and approvals from the bundle's workflow files, flags and assignment. Writes go through
 * the records module's RecordEventsRepository; notifications through the global NotificationsModule.
 */
@Module({
  imports: [ConfigBundlesModule, RecordsModule],
  providers: [WorkflowRepository, WorkflowService, FlagsService, AssignService],
  controllers: [WorkflowController],
  exports: [WorkflowRepository],
})
export class WorkflowModule {}
