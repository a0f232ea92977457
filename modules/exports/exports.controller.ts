import { Readable } from 'node:stream';
import { Body, Controller, Get, HttpCode, Param, Post, Res, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { contentDisposition } from '../records/attachments/file-name.js';
import { type Actor, CurrentActor } from '../users/request-actor.js';
import { ExportCreatedDto, ExportJobDto, ExportJobListDto, ExportRequestDto } from './exports.dto.js';
import { ExportsService } from './exports.service.js';

/** Exports as background jobs (docs/exports.md). */
@ApiTags('exports')
@ApiBearerAuth()
@Controller('exports')
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue an export of the records you may export (the `export` action), redacted to the fields you may read.',
    description:
      'Everything is checked first; a 400 lists every problem (the filter uses the records list vocabulary and only fields you may read). The job runs on any instance; poll `GET /exports/{id}`, then download `GET /exports/{id}/file`. Audited at request and completion (format, record type, the names of the filtered fields, row count).',
  })
  @ApiBody({ type: ExportRequestDto })
  @ApiAcceptedResponse({ type: ExportCreatedDto })
  request(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.exports.request(actor, body);
  }

  @Get()
  @ApiOperation({ summary: 'Your exports, newest first (at most 100).' })
  @ApiOkResponse({ type: ExportJobListDto })
  list(@CurrentActor() actor: Actor) {
    return this.exports.list(actor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'State and progress of one of your exports. Anyone else’s export is a 404 like a missing one.' })
  @ApiOkResponse({ type: ExportJobDto })
  get(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.exports.get(actor, id);
  }

  @Get(':id/file')
  @ApiOperation({ summary: 'Download the file of one of your finished exports (audited); 404 before it is done, after it expired, and once you may no longer export or read the record type.' })
  @ApiProduces('text/csv', 'application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  @ApiOkResponse({ description: 'The file.' })
  async file(@Param('id') id: string, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const { job, chunks } = await this.exports.file(actor, id);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    return new StreamableFile(Readable.from(chunks), {
      type: job.contentType ?? 'application/octet-stream',
      disposition: contentDisposition(job.fileName ?? 'export'),
      ...(job.fileSize !== null ? { length: job.fileSize } : {}),
    });
  }
}
