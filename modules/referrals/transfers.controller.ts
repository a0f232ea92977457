import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor } from '../users/request-actor.js';
import { NotesBody, parseListQuery, parseNotesBody, parseReasonBody, parseTransferBody, ReasonBody, TransferBody } from './transitions.dto.js';
import { TransfersService } from './transfers.service.js';

/** Transfers and transfer requests (docs/referrals.md). */
@ApiTags('transfers')
@ApiBearerAuth()
@Controller()
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post('records/:recordType/:id/transfers')
  @ApiOperation({
    summary:
      'Transfer a record to a user of any agency whose role receives transfers. Needs `transfer` on the record and the consent the module asks for (or `consent_override` with `consentOverrideReason`, audited). The receiver reads the record while the transfer is pending; ownership moves when they accept.',
  })
  @ApiBody({ type: TransferBody })
  @ApiCreatedResponse({ description: '`{ "id" }` of the transfer.' })
  create(@Param('recordType') recordType: string, @Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.transfers.create(recordType, id, parseTransferBody(body), actor);
  }

  @Post('records/:recordType/:id/transfer-requests')
  @ApiOperation({ summary: 'Ask the owner of a record to transfer it to you. Needs `request_transfer` on the record and a role that receives transfers.' })
  @ApiBody({ type: NotesBody, required: false })
  @ApiCreatedResponse({ description: '`{ "id" }` of the transfer request.' })
  request(@Param('recordType') recordType: string, @Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.transfers.request(recordType, id, parseNotesBody(body), actor);
  }

  @Get('records/:recordType/:id/transfers')
  @ApiOperation({ summary: 'Transfers and transfer requests of a record you may read (only your own when you read it through a share).' })
  @ApiOkResponse({ description: '`{ items }`, oldest first.' })
  ofRecord(@Param('recordType') recordType: string, @Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.transfers.ofRecord(recordType, id, actor);
  }

  @Get('transfers')
  @ApiOperation({ summary: 'Transfers and transfer requests you sent or received, newest first.' })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'accepted', 'rejected', 'revoked'] })
  @ApiQuery({ name: 'direction', required: false, enum: ['incoming', 'outgoing'] })
  @ApiOkResponse({ description: '`{ items }`.' })
  mine(@Query() query: Record<string, unknown>, @CurrentActor() actor: Actor) {
    const { status, direction } = parseListQuery(query);
    return this.transfers.mine(actor, status, direction);
  }

  @Post('transfers/:id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept a transfer sent to you: you become the owner; the previous owner loses access unless the module says otherwise.' })
  @ApiOkResponse({ description: 'The transfer.' })
  accept(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.transfers.accept(id, actor);
  }

  @Post('transfers/:id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a pending transfer sent to you: you no longer read the record.' })
  @ApiBody({ type: ReasonBody, required: false })
  @ApiOkResponse({ description: 'The transfer.' })
  reject(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.transfers.reject(id, parseReasonBody(body), actor);
  }

  @Post('transfers/:id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take back a pending transfer you sent (or of a record you own).' })
  @ApiBody({ type: ReasonBody, required: false })
  @ApiOkResponse({ description: 'The transfer.' })
  revoke(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.transfers.revoke(id, parseReasonBody(body), actor);
  }

  @Post('transfer-requests/:id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'As the owner, accept a transfer request: a pending transfer to the requester is created (consent as for any transfer).' })
  @ApiBody({ type: ReasonBody, required: false })
  @ApiOkResponse({ description: 'The transfer request, with `transferId`.' })
  acceptRequest(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.transfers.acceptRequest(id, parseReasonBody(body), actor);
  }

  @Post('transfer-requests/:id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'As the owner, reject a transfer request.' })
  @ApiBody({ type: ReasonBody, required: false })
  @ApiOkResponse({ description: 'The transfer request.' })
  rejectRequest(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.transfers.rejectRequest(id, parseReasonBody(body), actor);
  }
}
