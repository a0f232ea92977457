import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor } from '../users/request-actor.js';
import { ReferralsService } from './referrals.service.js';
import { AcceptReferralBody, parseAcceptBody, parseListQuery, parseReasonBody, parseReferralBody, ReasonBody, ReferralBody } from './transitions.dto.js';

/** Referrals (docs/referrals.md). Who may act is decided per record and referral in the service. */
@ApiTags('referrals')
@ApiBearerAuth()
@Controller()
export class ReferralsController {
  constructor(private readonly referrals: ReferralsService) {}

  @Post('records/:recordType/:id/referrals')
  @ApiOperation({
    summary:
      'Refer a record to a user of any agency for a service. Needs `refer` on the record; the receiver’s role receives referrals of the module (or, across modules, of theirs: accepting then creates a record there). Refused with 409 and `consent_required` issues unless the record holds the consent the module asks for, or your role grants `consent_override` and you give `consentOverrideReason` (audited). A pending referral grants no access.',
  })
  @ApiBody({ type: ReferralBody })
  @ApiCreatedResponse({ description: '`{ "id" }` of the referral.' })
  create(@Param('recordType') recordType: string, @Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.referrals.create(recordType, id, parseReferralBody(body), actor);
  }

  @Get('records/:recordType/:id/referrals')
  @ApiOperation({ summary: 'The referrals of a record you may read (only your own when you read it through a referral).' })
  @ApiOkResponse({ description: '`{ items }`: referrals, oldest first.' })
  ofRecord(@Param('recordType') recordType: string, @Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.referrals.ofRecord(recordType, id, actor);
  }

  @Get('referrals')
  @ApiOperation({ summary: 'Referrals you sent or received, newest first.' })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'accepted', 'declined', 'revoked', 'done'] })
  @ApiQuery({ name: 'direction', required: false, enum: ['incoming', 'outgoing'] })
  @ApiOkResponse({ description: '`{ items }`.' })
  mine(@Query() query: Record<string, unknown>, @CurrentActor() actor: Actor) {
    const { status, direction } = parseListQuery(query);
    return this.referrals.mine(actor, status, direction);
  }

  @Post('referrals/:id/accept')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Accept a referral sent to you: you can then read the shared forms of the record. Across modules: a new record of your module, owned by you, linked to the original, starting with the mapped fields and `data` (its forms and rules apply: 400 with every issue when it is not valid).',
  })
  @ApiBody({ type: AcceptReferralBody, required: false })
  @ApiOkResponse({ description: 'The referral (across modules with `createdRecordId`).' })
  accept(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.referrals.accept(id, parseAcceptBody(body).data, actor);
  }

  @Post('referrals/:id/decline')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decline a pending referral sent to you, with a reason.' })
  @ApiBody({ type: ReasonBody })
  @ApiOkResponse({ description: 'The referral.' })
  decline(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.referrals.decline(id, parseReasonBody(body, 'Say why the referral is declined.'), actor);
  }

  @Post('referrals/:id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take back a referral you sent (or of a record you own): the receiver no longer reads the record.' })
  @ApiBody({ type: ReasonBody, required: false })
  @ApiOkResponse({ description: 'The referral.' })
  revoke(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.referrals.revoke(id, parseReasonBody(body), actor);
  }

  @Post('referrals/:id/done')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark the service of an accepted referral provided. You keep reading the shared forms until the owner revokes the referral.' })
  @ApiBody({ type: ReasonBody, required: false })
  @ApiOkResponse({ description: 'The referral.' })
  done(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.referrals.done(id, parseReasonBody(body), actor);
  }
}
