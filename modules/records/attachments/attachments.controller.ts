import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res, StreamableFile, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type Actor, CurrentActor } from '../../users/request-actor.js';
import { type AttachmentMeta, AttachmentsService } from './attachments.service.js';
import { contentDisposition } from './file-name.js';
import { AttachmentUploadInterceptor, type UploadedBytes } from './upload.interceptor.js';

type UploadRequest = Request & { file?: UploadedBytes; body?: Record<string, unknown> };

/** The answer to an upload or a removal: the file's metadata as the record now holds it, and the record's version. */
function answer(res: Response, result: { attachment: AttachmentMeta; version: number }) {
  res.setHeader('ETag', `"${result.version}"`);
  return { ...result.attachment, recordVersion: result.version };
}

/** Files of a record's attachment fields (docs/decisions/0006-attachments.md). */
@ApiTags('records')
@ApiBearerAuth()
@Controller('records')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post(':recordType/:id/attachments')
  @UseInterceptors(AttachmentUploadInterceptor)
  @ApiOperation({
    summary: 'Attach a file to an attachment field of a record (a new record version, with history and audit).',
    description:
      'multipart/form-data with `file`, `field` (an attachment field you may write) and optionally `description`. The file must be of a type the bundle allows (`attachments.allowedTypes`) and the field accepts (`kinds`); its content is checked, not only its declared type. Larger than `attachments.maxBytes` is a 413.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file', 'field'],
      properties: { file: { type: 'string', format: 'binary' }, field: { type: 'string', example: 'other_documents' }, description: { type: 'string', maxLength: 1000 } },
    },
  })
  @ApiCreatedResponse({ description: '`{ id, fileName, contentType, size, description, uploadedAt, recordVersion }`' })
  async upload(
    @Param('recordType') recordType: string,
    @Param('id') id: string,
    @Req() req: UploadRequest,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ) {
    const body = req.body && typeof req.body === 'object' ? { ...req.body } : {};
    return answer(res, await this.attachments.upload(recordType, id, { body, file: req.file }, actor));
  }

  @Get(':recordType/:id/attachments/:attachmentId')
  @ApiOperation({
    summary: 'Download a file (audited). A file you may not read — record out of scope, field not readable, removed — is a 404.',
  })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The bytes, as an attachment download.' })
  async download(
    @Param('recordType') recordType: string,
    @Param('id') id: string,
    @Param('attachmentId') attachmentId: string,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const file = await this.attachments.download(recordType, id, attachmentId, actor);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('ETag', `"${file.sha256}"`);
    return new StreamableFile(file.bytes, { type: file.contentType, disposition: contentDisposition(file.fileName), length: file.bytes.length });
  }

  @Delete(':recordType/:id/attachments/:attachmentId')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Remove a file: its metadata stays in the record with `removed: true` (history), its bytes are never served again.',
  })
  @ApiOkResponse({ description: 'The file metadata (`removed: true`) and the record version.' })
  async remove(
    @Param('recordType') recordType: string,
    @Param('id') id: string,
    @Param('attachmentId') attachmentId: string,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ) {
    return answer(res, await this.attachments.remove(recordType, id, attachmentId, actor));
  }
}
