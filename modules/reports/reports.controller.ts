import { Controller, Get, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentActor, type Actor } from '../users/request-actor.js';
import { ReportSummaryDto, ReportTableDto } from './reports.dto.js';
import { ReportsService } from './reports.service.js';

const RUN_DESCRIPTION = `
Runs one aggregate report over the records your report scope reaches (a role's \`read\` grant on the record type;
for aggregate-only roles such as programme managers, the records of your agency) and returns a table:
\`{ columns, indicators, rows: [{ key, indicator, value?, label, cells, total }], totals, suppressed, threshold }\`.

Counts from 1 to threshold−1 are shown as \`"<5"\` (with the default threshold 5); where a row or column would
then let a reader recompute a hidden count from its total, more counts are hidden and shown as \`"*"\`. Zeros stay 0.

**from**, **to** (YYYY-MM-DD, inclusive) filter on **dateField** (one of the report's \`dateFields\`, default the
first); **groupBy** splits the columns by one of the report's disaggregations; **agency** and **group** narrow the
records to one agency or user group (within your scope). **format** \`json\` (default), \`csv\` or \`xlsx\`.
Every problem with the parameters is listed in one 400. Each run is audited (\`report.run\`).`;

@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get()
  @ApiOperation({
    summary: 'The aggregate reports you may run, labelled in your locale (needs a role with `reports.aggregate`).',
  })
  @ApiQuery({ name: 'locale', required: false, type: String, example: 'fr' })
  @ApiOkResponse({ type: ReportSummaryDto, isArray: true })
  list(@CurrentActor() actor: Actor, @Query('locale') locale?: string) {
    return this.reports.list(actor, typeof locale === 'string' ? locale : undefined);
  }

  @Get(':key')
  @ApiOperation({ summary: 'Run one aggregate report (counts in SQL, small cells suppressed).', description: RUN_DESCRIPTION })
  @ApiQuery({ name: 'from', required: false, type: String, example: '2026-01-01' })
  @ApiQuery({ name: 'to', required: false, type: String, example: '2026-12-31' })
  @ApiQuery({ name: 'dateField', required: false, type: String, example: 'date_of_first_report' })
  @ApiQuery({ name: 'groupBy', required: false, type: String, example: 'report_quarter' })
  @ApiQuery({ name: 'agency', required: false, type: String })
  @ApiQuery({ name: 'group', required: false, type: String })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv', 'xlsx'] })
  @ApiQuery({ name: 'locale', required: false, type: String })
  @ApiProduces('application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  @ApiOkResponse({ type: ReportTableDto })
  async run(@Param('key') key: string, @Query() query: Record<string, unknown>, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const result = await this.reports.run(actor, key, query);
    res.setHeader('Cache-Control', 'private, no-store');
    if (result.format === 'json') return result.table;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    return new StreamableFile(result.bytes, {
      type: result.contentType,
      disposition: `attachment; filename="${result.fileName}"`,
      length: result.bytes.length,
    });
  }
}
