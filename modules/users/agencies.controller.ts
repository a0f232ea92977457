import { Body, Controller, Get, Header, HttpCode, Param, Patch, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/decorators.js';
import { AgenciesService } from './agencies.service.js';
import { AgencyListQuery, AgencyPage, AgencyView, CreateAgencyBody, UpdateAgencyBody } from './agency.dto.js';
import { type Actor, CurrentActor } from './request-actor.js';

@ApiTags('admin: agencies')
@ApiBearerAuth()
@Controller('agencies')
export class AgenciesController {
  constructor(private readonly agencies: AgenciesService) {}

  @Post()
  @RequirePermission('create', 'agency')
  @ApiOperation({ summary: 'Create an agency (code unique whatever the case).' })
  @ApiCreatedResponse({ type: AgencyView })
  create(@Body() body: CreateAgencyBody, @CurrentActor() actor: Actor) {
    return this.agencies.create(body, actor);
  }

  @Get()
  @RequirePermission('read', 'agency')
  @ApiOperation({ summary: 'Agencies, by code.' })
  @ApiOkResponse({ type: AgencyPage })
  list(@Query() query: AgencyListQuery, @CurrentActor() actor: Actor) {
    return this.agencies.list(query, actor);
  }

  @Get(':code')
  @RequirePermission('read', 'agency')
  @ApiOkResponse({ type: AgencyView })
  get(@Param('code') code: string, @CurrentActor() actor: Actor) {
    return this.agencies.get(code, actor);
  }

  @Get(':code/logo')
  @RequirePermission('read', 'agency')
  @Header('Cache-Control', 'private, no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  @ApiProduces('image/png', 'image/jpeg')
  @ApiOperation({ summary: "The agency's logo (404 when it has none)." })
  async logo(@Param('code') code: string, @CurrentActor() actor: Actor) {
    const logo = await this.agencies.logo(code, actor);
    return new StreamableFile(logo.data, { type: logo.contentType, length: logo.data.length });
  }

  @Patch(':code')
  @HttpCode(200)
  @RequirePermission('update', 'agency')
  @ApiOperation({ summary: 'Change the name, logo or disabled flag of an agency (the code never changes).' })
  @ApiOkResponse({ type: AgencyView })
  update(@Param('code') code: string, @Body() body: UpdateAgencyBody, @CurrentActor() actor: Actor) {
    return this.agencies.update(code, body, actor);
  }
}
