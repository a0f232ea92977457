import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor } from '../users/request-actor.js';
import { ExportTemplateDto, ExportTemplateRequestDto } from './exports.dto.js';
import { ExportTemplatesService } from './templates.service.js';

/** Saved column choices for exports (docs/exports.md, "Templates"). */
@ApiTags('exports')
@ApiBearerAuth()
@Controller('export-templates')
export class ExportTemplatesController {
  constructor(private readonly templates: ExportTemplatesService) {}

  @Post()
  @ApiOperation({
    summary: 'Save a named choice of forms and fields of a record type you can export.',
    description: 'Every form and field key is checked (a field you may not read is refused like an unknown one); 409 when you already have the key.',
  })
  @ApiBody({ type: ExportTemplateRequestDto })
  @ApiCreatedResponse({ type: ExportTemplateDto })
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.templates.create(actor, body);
  }

  @Get()
  @ApiOperation({ summary: 'Your export templates.' })
  @ApiOkResponse({ type: ExportTemplateDto, isArray: true })
  list(@CurrentActor() actor: Actor) {
    return this.templates.list(actor);
  }

  @Delete(':key')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one of your export templates (404 when you have none with this key); exports queued with it fail with template_missing.' })
  @ApiNoContentResponse()
  async remove(@Param('key') key: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.templates.remove(actor, key);
  }
}
