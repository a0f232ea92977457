import { Controller, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { type Actor, CurrentActor } from '../users/request-actor.js';
import { ImportUploadInterceptor } from './import-upload.interceptor.js';
import { IrImportService } from './ir-import.service.js';

type UploadRequest = Request & { file?: { buffer: Buffer; originalname: string }; body?: Record<string, unknown> };

/** Legacy GBVIMS Incident Recorder spreadsheets into incidents (docs/incident-recorder.md). */
@ApiTags('exports')
@ApiBearerAuth()
@Controller('imports')
export class IrImportController {
  constructor(private readonly imports: IrImportService) {}

  @Post('incident-recorder')
  @HttpCode(200)
  @UseInterceptors(ImportUploadInterceptor)
  @ApiOperation({
    summary: 'Import an Incident Recorder spreadsheet: every row an incident you own (needs `create` on incidents), all or nothing.',
    description:
      '`dryRun=true` reports every row\'s problems (`{ row, column, code, message }`) and stores nothing. A real run with any problem is a 400 listing them (`error.details.report`) and stores nothing; otherwise every incident is created in one transaction.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' }, dryRun: { type: 'boolean', default: false }, module: { type: 'string', example: 'gbv' } },
    },
  })
  @ApiOkResponse({ description: '`{ dryRun, module, recordType, rows, created, ids, problems: [{ row, column, code, message }] }`' })
  run(@Req() req: UploadRequest, @CurrentActor() actor: Actor) {
    const body = req.body && typeof req.body === 'object' ? req.body : {};
    return this.imports.import(actor, { file: req.file, dryRun: body.dryRun, module: body.module });
  }
}
