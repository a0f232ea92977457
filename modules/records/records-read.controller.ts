import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentActor, type Actor } from '../users/request-actor.js';
import { LIST_LIMITS } from './query/list-params.js';
import { HistoryDto, RecordModuleQuery, RecordPageDto, RecordViewDto } from './records-read.dto.js';
import { RecordsReadService } from './records-read.service.js';

const LIST_DESCRIPTION = `
Records of one type that you may read, as redacted record views, newest first by default.

**module** — required only when several modules you can read define the record type (e.g. \`case\`).

**Filters** — \`filter[<name>]=<value>\`; several filters are ANDed:
- equality: \`filter[sex]=female\`; a list matches any of its values: \`filter[sex]=female,male\` (repeating the parameter works too);
- ranges on numbers and dates: \`filter[age][gte]=12&filter[age][lt]=18\`, \`filter[incident_date][gte]=2025-01-01\` (operators \`eq\`, \`gt\`, \`gte\`, \`lt\`, \`lte\`; dates \`YYYY-MM-DD\`, date-time fields also take ISO 8601 date-times);
- yes/no and tick boxes: \`filter[consent_reporting]=true\`;
- locations match the location and everything below it: \`filter[incident_location]=XX01\` matches XX01 and all its districts and camps;
- multi-selects match records holding any of the values;
- subform fields as \`filter[<subform>.<field>]=…\` (a record matches when one of its rows does);
- record columns: \`filter[status]=open\`, \`filter[flagged]=true\`, \`filter[owner]=<username>[,<username>]\`, \`filter[shortId]=…\`, \`filter[createdAt][gte]=…\`, \`filter[updatedAt][lt]=…\` (ranges only); a data field with one of these names is \`filter[data.<key>]\`;
- \`filter[disabled]=true\` (only disabled records) or \`true,false\` (both) needs the \`disable\` action; by default disabled records are not listed.

**Sort** — \`sort=<name>\` or \`sort=-<name>\` (descending), up to ${LIST_LIMITS.sortKeys} comma-separated keys: \`createdAt\` (default \`-createdAt\`), \`updatedAt\`, \`shortId\`, \`status\`, or a top-level data field (numbers numerically, dates chronologically, others as text; empty values last).

**Search** — \`q\` (at most ${LIST_LIMITS.q} characters): case-insensitive substring match over the short and display ids and the record type's searchable fields that you may read.

**Paging** — \`page\` (1–${LIST_LIMITS.page}), \`pageSize\` (1–${LIST_LIMITS.pageSize}, default ${LIST_LIMITS.defaultPageSize}). \`total\` is exact up to 10,000; beyond that it is the planner's estimate and \`totalIsEstimate\` is true.

A field you may not read cannot be filtered, sorted or searched on: it is a 400 with one issue per bad parameter (\`/filter/<name>\`, \`/filter/<name>/<operator>\`, \`/sort\`, \`/q\`, \`/page\`), exactly as for a field that does not exist. A record type you cannot read is a 404 like an unknown one.`;

/** GET routes of records (the write routes live in records.controller.ts). */
@ApiTags('records')
@ApiBearerAuth()
@Controller('records')
export class RecordsReadController {
  constructor(private readonly records: RecordsReadService) {}

  @Get(':recordType')
  @ApiOperation({ summary: 'List, filter, sort and search records of one type.', description: LIST_DESCRIPTION })
  @ApiQuery({ name: 'module', required: false, type: String, example: 'gbv' })
  @ApiQuery({ name: 'q', required: false, type: String, description: `Search text (max ${LIST_LIMITS.q} characters).` })
  @ApiQuery({
    name: 'filter',
    required: false,
    style: 'deepObject',
    explode: true,
    schema: { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }] } },
    description: 'filter[<field>]=<v>[,<v>…] or filter[<field>][eq|gt|gte|lt|lte]=<v>; see the operation description.',
  })
  @ApiQuery({ name: 'sort', required: false, type: String, example: '-createdAt', description: '<field> or -<field>, comma-separated (max 3).' })
  @ApiQuery({ name: 'page', required: false, type: Number, example: 1 })
  @ApiQuery({ name: 'pageSize', required: false, type: Number, example: 20 })
  @ApiOkResponse({ type: RecordPageDto })
  list(@Param('recordType') recordType: string, @Req() req: Request, @CurrentActor() actor: Actor) {
    const url = req.originalUrl ?? req.url;
    const at = url.indexOf('?');
    return this.records.list(actor, recordType, req.query, at < 0 ? '' : url.slice(at + 1));
  }

  @Get(':recordType/:id')
  @ApiOperation({
    summary: 'One record, cut down to the fields you may read on it.',
    description: 'A record that is missing, outside your scope, or disabled (without the `disable` action) is the same 404. Reads that return identifying fields are audited (`record.read`).',
  })
  @ApiOkResponse({ type: RecordViewDto })
  get(@Param('recordType') recordType: string, @Param('id') id: string, @Query() query: RecordModuleQuery, @CurrentActor() actor: Actor) {
    return this.records.get(actor, recordType, id, query.module);
  }

  @Get(':recordType/:id/history')
  @ApiOperation({
    summary: 'The change history of one record (needs `view_history`), limited to the fields you may read on it.',
    description: 'Each entry: version, time, actor (username), action and field-level changes `{ path, from, to }`. Changes to fields you may not read are left out; without `view_history` the record is a 404.',
  })
  @ApiOkResponse({ type: HistoryDto })
  history(@Param('recordType') recordType: string, @Param('id') id: string, @Query() query: RecordModuleQuery, @CurrentActor() actor: Actor) {
    return this.records.history(actor, recordType, id, query.module);
  }
}
