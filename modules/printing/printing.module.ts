import { Module } from '@nestjs/common';
import { ConfigBundlesModule } from '../config/config.module.js';
import { RecordsModule } from '../records/records.module.js';
import { PdfRenderer } from './pdf-renderer.js';
import { PrintController } from './print.controller.js';
import { PrintService } from './print.service.js';

/** Printable documents of records (`GET /records/:type/:id/print`), rendered from the bundles' document templates; PDF through the system Chromium. */
@Module({
  imports: [ConfigBundlesModule, RecordsModule],
  providers: [PrintService, PdfRenderer],
  controllers: [PrintController],
})
export class PrintingModule {}
