import { Module } from '@nestjs/common';
import { ConfigBundlesModule } from '../config/config.module.js';
import { AttachmentsController } from './attachments/attachments.controller.js';
import { AttachmentsRepository } from './attachments/attachments.repository.js';
import { AttachmentsService } from './attachments/attachments.service.js';
import { AttachmentUploadInterceptor } from './attachments/upload.interceptor.js';
import { CaseIncidentController } from './case-incident.controller.js';
import { CaseIncidentService } from './case-incident.service.js';
import { RecordEventsRepository } from './record-events.js';
import { RecordIndexes } from './record-indexes.js';
import { RecordsReadController } from './records-read.controller.js';
import { RecordsReadService } from './records-read.service.js';
import { RecordsController } from './records.controller.js';
import { RecordsRepository } from './records.repository.js';
import { RecordsService } from './records.service.js';

/**
 * Records of every configured type: the write path (create, update, disable/enable) and, alongside it, the read
 * path, attachments and incident-from-case. Audit (AuditService) comes from its global module.
 */
@Module({
  imports: [ConfigBundlesModule],
  providers: [
    // write path
    RecordsRepository,
    RecordsService,
    RecordEventsRepository,
    // read path
    RecordsReadService,
    RecordIndexes,
    // attachments
    AttachmentsRepository,
    AttachmentsService,
    AttachmentUploadInterceptor,
    // incident from case
    CaseIncidentService,
  ],
  controllers: [RecordsController, RecordsReadController, AttachmentsController, CaseIncidentController],
  exports: [RecordsRepository, RecordsService, RecordEventsRepository, RecordsReadService],
})
export class RecordsModule {}
