import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { RequirePermission } from '../auth/decorators.js';
import { HavenError } from '../common/errors.js';
import { CurrentActor, type Actor } from '../users/request-actor.js';
import { LocalizationService } from './localization.service.js';
import { LocationImportQuery, LookupOverlayBody, OverlayQuery } from './localization.dto.js';
import { LOOKUP_KEY } from './metadata.dto.js';

/**
 * Localization by system administrators without committee approval (docs/governance.md): lookup overlays and
 * the location hierarchy. Changes are versioned, audited and in force on every instance when the call returns.
 */
@ApiTags('configuration localization')
@ApiBearerAuth()
@Controller()
export class LocalizationController {
  constructor(private readonly localization: LocalizationService) {}

  @Post('lookups/:key/overlay')
  @HttpCode(200)
  @RequirePermission('localize', 'lookup')
  @ApiOperation({ summary: 'Add, relabel, order, disable (or re-enable) options of a localizable lookup. No delete: options records use stay valid.' })
  overlay(@Param('key') key: string, @Body() body: LookupOverlayBody, @Query() query: OverlayQuery, @CurrentActor() actor: Actor) {
    if (!LOOKUP_KEY.test(key)) throw HavenError.notFound(`No lookup "${key}".`);
    return this.localization.overlayLookup(key, body, actor, query.locale);
  }

  @Post('locations/import')
  @HttpCode(200)
  @RequirePermission('import', 'location')
  @ApiConsumes('text/csv')
  @ApiOperation({
    summary:
      'Check (dryRun=true, default) or import (dryRun=false, all or nothing) the location hierarchy as CSV: code, parent_code, admin_level, name:<locale>…, latitude, longitude, disabled.',
  })
  importLocations(@Req() req: Request, @Query() query: LocationImportQuery, @CurrentActor() actor: Actor) {
    if (typeof req.body !== 'string') {
      throw new HavenError('unsupported_media_type', 'This route takes the hierarchy as CSV (Content-Type: text/csv).', [
        { code: 'unsupported_media_type', path: '', message: `Content-Type "${req.headers['content-type'] ?? ''}" is not accepted here.` },
      ]);
    }
    return this.localization.importLocations(req.body, query.dryRun !== 'false', actor);
  }

  @Get('locations/export')
  @RequirePermission('export', 'location')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="locations.csv"')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'The localizable location hierarchy as the CSV the import takes.' })
  exportLocations() {
    return this.localization.exportLocations();
  }
}
