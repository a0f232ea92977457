import { Module } from '@nestjs/common';
import { ConfigBundlesModule } from '../config/config.module.js';
import { RecordsModule } from '../records/records.module.js';
import { ExportQueue } from './export-queue.js';
import { ExportRunner } from './export-runner.js';
import { ExportsController } from './exports.controller.js';
import { ExportsRepository } from './exports.repository.js';
import { ExportsService } from './exports.service.js';
import { ImportUploadInterceptor } from './import-upload.interceptor.js';
import { IrImportController } from './ir-import.controller.js';
import { IrImportService } from './ir-import.service.js';
import { ExportTemplatesController } from './templates.controller.js';
import { ExportTemplatesService } from './templates.service.js';

/**
 * Exports as background jobs on the PostgreSQL-backed queue, export templates and the Incident Recorder import
 * (docs/exports.md). Principals (PrincipalLoader) and audit come from their global modules.
 */
@Module({
  imports: [ConfigBundlesModule, RecordsModule],
  providers: [ExportsRepository, ExportRunner, ExportQueue, ExportsService, ExportTemplatesService, IrImportService, ImportUploadInterceptor],
  controllers: [ExportsController, ExportTemplatesController, IrImportController],
})
export class ExportsModule {}
