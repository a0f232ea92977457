import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { RecordView } from '../records/record.types.js';
import { CurrentActor, type Actor } from '../users/request-actor.js';
import { AssignService } from './assign.service.js';
import { FlagsService } from './flags.service.js';
import { ApprovalActionBody, AssignBody, FireTransitionBody, FlagBody, parseApprovalBody, parseAssignBody, parseFlagBody, parseTransitionBody, parseUnflagBody, UnflagBody } from './workflow.dto.js';
import { WorkflowService } from './workflow.service.js';

function tagged(res: Response, view: RecordView): RecordView {
  res.setHeader('ETag', `"${view.version}"`);
  return view;
}

const NOT_FOUND = 'A record you may not read answers exactly like a missing one (404).';

/**
 * Case workflow routes (docs/workflow.md): transitions, approvals, flags and assignment. Each answers with the record
 * as the caller may read it after the change (flags: with the new flag's id).
 */
@ApiTags('workflow')
@ApiBearerAuth()
@Controller('records')
export class WorkflowController {
  constructor(
    private readonly workflow: WorkflowService,
    private readonly flags: FlagsService,
    private readonly assignments: AssignService,
  ) {}

  @Get(':recordType/:id/transitions')
  @ApiOperation({
    summary: 'The record\'s current state and stage, and the transitions leaving it: those you may fire now, and the blocked ones with why (missing permission, pending or missing approval, the guard\'s message).',
    description: NOT_FOUND,
  })
  @ApiOkResponse({ description: '`{ status, state, states, transitions: [{ key, label, to, allowed, blocked: [{ code, message }] }], approvals: [{ type, status, canRequest, canDecide }] }`' })
  transitions(@Param('recordType') recordType: string, @Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.workflow.transitions(recordType, id, actor);
  }

  @Post(':recordType/:id/transitions/:transition')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Fire a transition: needs its record action, its guard to hold and no pending approval blocking it; applies its effects (set fields, request an approval, notify).',
    description: `409 conflict lists every reason it is blocked (codes guard_failed, approval_pending, approval_required, wrong_state); 403 without the action. ${NOT_FOUND}`,
  })
  @ApiBody({ type: FireTransitionBody, required: false })
  @ApiOkResponse({ description: 'The record after the transition.' })
  async fire(
    @Param('recordType') recordType: string,
    @Param('id') id: string,
    @Param('transition') transition: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ) {
    return tagged(res, await this.workflow.fire(recordType, id, transition, parseTransitionBody(body), actor));
  }

  @Get(':recordType/:id/approvals')
  @ApiOperation({ summary: 'The record\'s approval history (requests and decisions with their comments); needs view_history on the record.', description: NOT_FOUND })
  @ApiOkResponse({ description: '`{ items: [{ id, type, label, status, requestedBy, requestedAt, requestComment, decidedBy, decidedAt, decisionComment }] }`' })
  approvals(@Param('recordType') recordType: string, @Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.workflow.approvalHistory(recordType, id, actor);
  }

  @Post(':recordType/:id/approvals/:approvalType')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Request an approval (request_approval_<type>), or approve/reject the pending request (approve_<type>, a member of one of the owner\'s groups, never on one\'s own record or request; a comment is required to reject).',
    description: `At most one pending request per type (409 otherwise). ${NOT_FOUND}`,
  })
  @ApiBody({ type: ApprovalActionBody })
  @ApiOkResponse({ description: 'The record after the action.' })
  async approval(
    @Param('recordType') recordType: string,
    @Param('id') id: string,
    @Param('approvalType') approvalType: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ) {
    return tagged(res, await this.workflow.approval(recordType, id, approvalType, parseApprovalBody(body), actor));
  }

  @Post(':recordType/:id/flags')
  @ApiOperation({ summary: 'Flag a record with a reason and an optional review date (the `flag` action).', description: NOT_FOUND })
  @ApiBody({ type: FlagBody })
  @ApiCreatedResponse({ description: '`{ id, record }`: the new flag\'s id and the record.' })
  flag(@Param('recordType') recordType: string, @Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.flags.flag(recordType, id, parseFlagBody(body), actor);
  }

  @Post(':recordType/:id/flags/:flagId/unflag')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve a flag you raised, with a reason.', description: NOT_FOUND })
  @ApiBody({ type: UnflagBody })
  @ApiOkResponse({ description: 'The record after the change.' })
  async unflag(
    @Param('recordType') recordType: string,
    @Param('id') id: string,
    @Param('flagId') flagId: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ) {
    return tagged(res, await this.flags.unflag(recordType, id, flagId, parseUnflagBody(body), actor));
  }

  @Post(':recordType/:id/assign')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Give the record to another owner at once (the `assign` action): an active user of your agency, of one of your groups unless your grant reaches the whole agency, whose role lets them update the record.',
    description: NOT_FOUND,
  })
  @ApiBody({ type: AssignBody })
  @ApiOkResponse({ description: 'The record after the assignment (as you may still read it).' })
  async assign(@Param('recordType') recordType: string, @Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    return tagged(res, await this.assignments.assign(recordType, id, parseAssignBody(body).toUser, actor));
  }
}
