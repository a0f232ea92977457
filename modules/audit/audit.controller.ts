import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { AuditPage, AuditQuery } from './audit-query.dto.js';
import { AuditQueryService } from './audit-query.service.js';

@ApiTags('admin: audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get()
  @RequirePermission('read', 'audit')
  @ApiOperation({ summary: 'Audit rows, newest first, filtered by actor, action, object and time range.' })
  @ApiOkResponse({ type: AuditPage })
  search(@Query() query: AuditQuery, @CurrentPrincipal() principal: Principal) {
    return this.audit.search(query, principal);
  }
}
