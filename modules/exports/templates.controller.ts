import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
}
