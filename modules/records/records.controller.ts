import { Body, Controller, Headers, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type Actor, CurrentActor } from '../users/request-actor.js';
import type { RecordView } from './record.types.js';
import { CreateRecordBody, DisableRecordBody, EnableRecordBody, parseCreateBody, parseReason, parseUpdateBody, UpdateRecordBody } from './records.dto.js';
import { RecordsService } from './records.service.js';

/** The version travels as an entity tag too: `If-Match` on PATCH, `ETag` on every answer. */
function tagged(res: Response, view: RecordView): RecordView {
  res.setHeader('ETag', `"${view.version}"`);
  return view;
}

/** Record writes. Access is decided per record type and record by the caller's ability (in the service). */
@ApiTags('records')
@ApiBearerAuth()
@Controller('records')
export class RecordsController {
  constructor(private readonly records: RecordsService) {}

  @Post(':recordType')
  @ApiOperation({
    summary:
      'Create a record you then own. Every field sent must be one you may write (400 field_not_writable otherwise); attachment fields are filled only through the attachments routes (400 attachment_not_writable); computed fields are filled in; every problem is listed and nothing is stored on any.',
  })
  @ApiBody({ type: CreateRecordBody })
  @ApiCreatedResponse({ description: 'The record as you may read it.' })
  async create(@Param('recordType') recordType: string, @Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const view = await this.records.create(recordType, parseCreateBody(body), actor);
    res.setHeader('Location', `/api/v1/records/${encodeURIComponent(view.recordType)}/${view.id}`);
    return tagged(res, view);
  }

  @Patch(':recordType/:id')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Change fields of a record, based on a version. Edits to fields nobody changed since that version merge; otherwise 409 version_conflict with the current values (those you may read) and nothing is written. Attachment fields change only through the attachments routes (400 attachment_not_writable; sending back the stored value is no change).',
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'The version the change is based on, e.g. "3" (instead of `version` in the body).' })
  @ApiBody({ type: UpdateRecordBody })
  @ApiOkResponse({ description: 'The record after the change.' })
  async update(
    @Param('recordType') recordType: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ) {
    return tagged(res, await this.records.update(recordType, id, parseUpdateBody(body, ifMatch), actor));
  }

  @Post(':recordType/:id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a record: hidden from lists, never deleted. The reason goes to the record history.' })
  @ApiBody({ type: DisableRecordBody })
  @ApiOkResponse({ description: 'The record, disabled.' })
  async disable(@Param('recordType') recordType: string, @Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    return tagged(res, await this.records.setDisabled(recordType, id, true, parseReason(body, true), actor));
  }

  @Post(':recordType/:id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled record again (needs the same permission as disabling).' })
  @ApiBody({ type: EnableRecordBody, required: false })
  @ApiOkResponse({ description: 'The record, enabled.' })
  async enable(@Param('recordType') recordType: string, @Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    return tagged(res, await this.records.setDisabled(recordType, id, false, parseReason(body, false), actor));
  }
}
