import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '../auth/decorators.js';
import { HavenError } from '../common/errors.js';
import { CurrentActor, type Actor } from '../users/request-actor.js';
import { ActiveBundleQuery, BundleGetQuery, BundleListQuery, HASH, ImportBundleBody, ReviewBody, RollbackBody, SubmitBundleBody } from './governance.dto.js';
import { GovernanceService } from './governance.service.js';

function hashParam(value: string, name = 'hash'): string {
  if (!HASH.test(value)) throw HavenError.notFound(`No bundle "${value}" (${name} is 64 lowercase hex characters).`);
  return value;
}

/** The governance lifecycle of configuration bundles (docs/governance.md). Every change is audited. */
@ApiTags('configuration governance')
@ApiBearerAuth()
@Controller('config/bundles')
export class GovernanceController {
  constructor(private readonly governance: GovernanceService) {}

  @Post()
  @RequirePermission('import', 'bundle')
  @ApiOperation({ summary: 'Import a bundle as a draft (validated with the active bundles it depends on; 422 invalid_bundle with every issue).' })
  async import(@Body() body: ImportBundleBody, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const result = await this.governance.import(body.files, actor);
    res.status(result.created ? 201 : 200);
    return result;
  }

  @Get()
  @RequirePermission('read', 'bundle')
  @ApiOperation({ summary: 'Stored bundles, newest first: key, hash, state, description, submitter, approvals.' })
  list(@Query() query: BundleListQuery) {
    return this.governance.list({ bundle: query.bundle, state: query.state, page: query.page, pageSize: query.pageSize });
  }

  @Get('active')
  @RequirePermission('read', 'bundle')
  @ApiOperation({ summary: 'The active bundles (or one with ?bundle=), with what a rollback would return to.' })
  active(@Query() query: ActiveBundleQuery) {
    return this.governance.active(query.bundle);
  }

  @Post('rollback')
  @HttpCode(200)
  @RequirePermission('rollback', 'bundle')
  @ApiOperation({ summary: 'Return a bundle to its previously active version (takes effect on every instance at once).' })
  rollback(@Body() body: RollbackBody, @CurrentActor() actor: Actor) {
    return this.governance.rollback(body.bundle, actor);
  }

  @Get(':hash')
  @RequirePermission('read', 'bundle')
  @ApiOperation({ summary: 'One stored bundle with its reviews (and its files with ?files=true).' })
  get(@Param('hash') hash: string, @Query() query: BundleGetQuery) {
    return this.governance.get(hashParam(hash), query.files === 'true');
  }

  @Get(':hash/diff')
  @RequirePermission('read', 'bundle')
  @ApiOperation({ summary: 'The diff of a bundle against the active version of its key (what a submission is reviewed with).' })
  pendingDiff(@Param('hash') hash: string) {
    return this.governance.pendingDiff(hashParam(hash));
  }

  @Get(':a/diff/:b')
  @RequirePermission('read', 'bundle')
  @ApiOperation({ summary: 'A readable diff between two versions of one bundle, with breaking changes flagged.' })
  diff(@Param('a') a: string, @Param('b') b: string) {
    return this.governance.diff(hashParam(a, 'a'), hashParam(b, 'b'));
  }

  @Post(':hash/submit')
  @HttpCode(200)
  @RequirePermission('submit', 'bundle')
  @ApiOperation({ summary: 'Submit a draft for approval (a migration note is required when the diff has breaking changes).' })
  submit(@Param('hash') hash: string, @Body() body: SubmitBundleBody, @CurrentActor() actor: Actor) {
    return this.governance.submit(hashParam(hash), body, actor);
  }

  @Post(':hash/approve')
  @HttpCode(200)
  @RequirePermission('approve', 'bundle')
  @ApiOperation({
    summary:
      'Approve a submitted bundle (steering committee; never one\'s own submission, nor one whose submitter created this account, set its roles or reset its password: 403 approver_managed_by_submitter).',
  })
  approve(@Param('hash') hash: string, @Body() body: ReviewBody, @CurrentActor() actor: Actor) {
    return this.governance.review(hashParam(hash), 'approve', body.comment, actor);
  }

  @Post(':hash/reject')
  @HttpCode(200)
  @RequirePermission('reject', 'bundle')
  @ApiOperation({ summary: 'Reject a submitted (or approved, not yet active) bundle, with a comment.' })
  reject(@Param('hash') hash: string, @Body() body: ReviewBody, @CurrentActor() actor: Actor) {
    return this.governance.review(hashParam(hash), 'reject', body.comment, actor);
  }

  @Post(':hash/activate')
  @HttpCode(200)
  @RequirePermission('activate', 'bundle')
  @ApiOperation({ summary: 'Activate an approved bundle: atomic, without restart, on every instance. Other versions of the bundle under review or approved become superseded.' })
  activate(@Param('hash') hash: string, @CurrentActor() actor: Actor) {
    return this.governance.activate(hashParam(hash), actor);
  }
}
