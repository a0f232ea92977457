import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type Actor, CurrentActor } from '../users/request-actor.js';
import { CaseIncidentService, parseIncidentFromCaseBody } from './case-incident.service.js';

/** `POST /records/case/:id/incidents`: an incident made from a case, linked to it. */
@ApiTags('records')
@ApiBearerAuth()
@Controller('records')
export class CaseIncidentController {
  constructor(private readonly incidents: CaseIncidentService) {}

  @Post('case/:id/incidents')
  @ApiOperation({
    summary:
      'Create an incident from a case: it starts with the case fields the module maps (`fieldMap.case_to_incident`) that you may read on the case and write on the incident, you own it, and it is linked to the case. Needs `incident_from_case` on the case and `create` on incidents.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['module'],
      properties: { module: { type: 'string', example: 'gbv' }, data: { type: 'object', description: 'Further incident fields (applied over the copied ones).' } },
    },
  })
  @ApiCreatedResponse({ description: 'The new incident as you may read it, with `linkedFrom` (the case) and `copiedFields`.' })
  async create(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const view = await this.incidents.create(id, parseIncidentFromCaseBody(body), actor);
    res.setHeader('Location', `/api/v1/records/incident/${view.id}`);
    res.setHeader('ETag', `"${view.version}"`);
    return view;
  }
}
