import { Module } from '@nestjs/common';
import { ConfigBundlesModule } from '../config/config.module.js';
import { ReportsController } from './reports.controller.js';
import { ReportsService } from './reports.service.js';

/** Aggregate reports (docs/reports.md). Audit (AuditService) comes from its global module. */
@Module({
  imports: [ConfigBundlesModule],
  providers: [ReportsService],
  controllers: [ReportsController],
})
export class ReportsModule {}
