import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { referralSettings, type RecordFacts, type TransferConfig } from '../../engine/index.js';
import { HavenError, type Issue } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { NotificationsService, type NotificationEventKey } from '../notifications/notifications.service.js';
import type { FieldChange } from '../records/merge.js';
import { RecordEventsRepository } from '../records/record-events.js';
import { factsOf, type RecordRow } from '../records/record.types.js';
import type { Actor } from '../users/request-actor.js';
import { auditContext, TransitionSupport, transitionView, type Recipient, type TransitionView } from './transition-support.js';
import type { NoteInput, ReasonInput, TransferInput } from './transitions.dto.js';
import { TransitionsRepository, type TransitionKind, type TransitionRow, type TransitionStatus } from './transitions.repository.js';

const noTransfer = () => HavenError.notFound('No such transfer.');
const noRequest = () => HavenError.notFound('No such transfer request.');

/**
 * Transfers and transfer requests (docs/referrals.md). A transfer shares the record with its receiver while
 * pending (`record_share` kind `transfer`), so they can look before accepting; acceptance moves ownership
 * (`RecordEventsRepository.apply({ ownerId })`), ends the receiver's share (they own it now) and, unless the module
 * says `previousOwnerKeepsAccess`, leaves the previous owner with whatever their scope still reaches. A transfer
 * request asks the owner to transfer a record to the requester; accepting it creates that transfer.
 */
@Injectable()
export class TransfersService {
  constructor(
    private readonly repo: TransitionsRepository,
    private readonly support: TransitionSupport,
    private readonly events: RecordEventsRepository,
    private readonly notifications: NotificationsService,
    private readonly config: ActiveConfigService,
  ) {}

  async create(recordType: string, id: string, input: TransferInput, actor: Actor): Promise<{ id: string }> {
    return this.repo.transaction(async (tx) => {
      const { row, facts } = await this.support.lockFor(tx, actor, recordType, id, 'transfer');
      const config = this.configOf(row);
      const issues: Issue[] = [];
      const to = await this.support.recipient(input.toUser, actor, issues);
      if (issues.length > 0 || to === undefined) throw HavenError.validation(issues, 'The transfer is not valid: nothing was stored.');
      return { id: await this.open(tx, row, facts, config, to, input.notes, input.consentOverrideReason, actor) };
    });
  }

  async accept(id: string, actor: Actor): Promise<TransitionView> {
    return this.act(id, actor, 'receiver', async (tx, t, row) => {
      const p = actor.principal;
      if (!p.ability.canRecord('receive_transfer', row.module, row.recordType)) throw new HavenError('forbidden', 'Your role no longer receives transfers of this record type.');
      const config = this.configOf(row);
      const moved = await this.move(tx, t, 'accepted', 'accepted');
      const previousOwner = row.ownerId;
      await this.repo.unshare(tx, row.id, p.userId, 'transfer');
      if (config.previousOwnerKeepsAccess) await this.repo.share(tx, row.id, previousOwner, 'transfer', p.userId);
      const changes: FieldChange[] = [
        { path: `$transfer/${t.id}`, from: 'pending', to: 'accepted' },
        { path: '$owner', from: row.ownerUsername, to: p.username },
      ];
      if (config.previousOwnerKeepsAccess) changes.push({ path: `$share/${row.ownerUsername}`, from: null, to: 'transfer' });
      await this.events.apply(
        tx,
        {
          recordId: row.id,
          expectedVersion: row.version,
          action: 'transfer_accept',
          changes,
          ownerId: p.userId,
          refreshShares: true,
          auditDetails: { transferId: t.id, fromOwner: previousOwner, toOwner: p.userId, toAgency: p.agencyCode, previousOwnerKeepsAccess: config.previousOwnerKeepsAccess },
        },
        auditContext(actor),
      );
      await this.notify(tx, 'transfer_accepted', [t.fromUser, previousOwner], row.id, actor, { transferId: t.id });
      return moved;
    });
  }

  async reject(id: string, input: ReasonInput, actor: Actor): Promise<TransitionView> {
    return this.act(id, actor, 'receiver', async (tx, t, row) => {
      const moved = await this.move(tx, t, 'rejected', 'rejected', input.reason);
      await this.end(tx, t, row, actor, 'transfer_reject', 'rejected', input.reason);
      await this.notify(tx, 'transfer_rejected', [t.fromUser, row.ownerId], row.id, actor, { transferId: t.id, reason: input.reason });
      return moved;
    });
  }

  async revoke(id: string, input: ReasonInput, actor: Actor): Promise<TransitionView> {
    return this.act(id, actor, 'sender', async (tx, t, row) => {
      const moved = await this.move(tx, t, 'revoked', 'revoked', input.reason);
      await this.end(tx, t, row, actor, 'transfer_revoke', 'revoked', input.reason);
      await this.notify(tx, 'transfer_revoked', [t.toUser], row.id, actor, { transferId: t.id });
      return moved;
    });
  }

  /** A user who may `request_transfer` on the record (and receive transfers) asks its owner to transfer it to them. */
  async request(recordType: string, id: string, input: NoteInput, actor: Actor): Promise<{ id: string }> {
    const p = actor.principal;
    return this.repo.transaction(async (tx) => {
      const { row } = await this.support.lockFor(tx, actor, recordType, id, 'request_transfer', false);
      this.configOf(row);
      if (row.ownerId === p.userId) throw new HavenError('conflict', 'You own this record already.');
      if (!p.ability.canRecord('receive_transfer', row.module, row.recordType)) throw new HavenError('forbidden', 'Your role does not receive transfers of this record type.');
      if ((await this.repo.open(tx, row.id, 'transfer_request', ['pending'], { from: p.userId })).length > 0) {
        throw new HavenError('conflict', 'You asked for a transfer of this record already.');
      }
      const requestId = await this.repo.insert(tx, { kind: 'transfer_request', recordId: row.id, fromUser: p.userId, fromAgency: p.agencyCode, toUser: row.ownerId, toAgency: row.ownerAgency, notes: input.notes });
      await this.events.apply(
        tx,
        {
          recordId: row.id,
          expectedVersion: row.version,
          action: 'transfer_request',
          changes: [{ path: `$transfer_request/${requestId}`, from: null, to: { status: 'pending', fromUser: p.username } }],
          auditDetails: { transferRequestId: requestId, fromUser: p.userId, fromAgency: p.agencyCode },
        },
        auditContext(actor),
      );
      await this.notify(tx, 'transfer_requested', [row.ownerId], row.id, actor, { transferRequestId: requestId });
      return { id: requestId };
    });
  }

  /** The record's owner accepts a transfer request: a pending transfer to the requester (consent as for any transfer). */
  async acceptRequest(id: string, input: ReasonInput, actor: Actor): Promise<TransitionView & { transferId: string }> {
    let transferId = '';
    const view = await this.actOnRequest(id, actor, async (tx, t, row) => {
      const p = actor.principal;
      const facts = factsOf(row);
      if (!p.ability.canRecord('transfer', row.module, row.recordType, facts)) throw new HavenError('forbidden', 'You may not transfer this record.');
      const moved = await this.repo.move(tx, t.id, ['pending'], 'accepted', { responseNote: input.reason });
      if (moved === undefined) throw new HavenError('conflict', `This transfer request is ${t.status}.`);
      const issues: Issue[] = [];
      const to = t.fromUsername === null ? undefined : await this.support.recipient(t.fromUsername, actor, issues);
      if (to === undefined) throw HavenError.validation(issues.length ? issues : [{ code: 'unknown_user', path: '', message: 'The requester is gone.' }]);
      await this.events.apply(
        tx,
        { recordId: row.id, expectedVersion: row.version, action: 'transfer_request_accept', changes: [{ path: `$transfer_request/${t.id}`, from: 'pending', to: 'accepted' }], auditDetails: { transferRequestId: t.id } },
        auditContext(actor),
      );
      const locked = await this.support.lockRecordOf(tx, t);
      transferId = await this.open(tx, locked, factsOf(locked), this.configOf(locked), to, input.reason, input.consentOverrideReason, actor, t.id);
      return moved;
    });
    return { ...view, transferId };
  }

  async rejectRequest(id: string, input: ReasonInput, actor: Actor): Promise<TransitionView> {
    return this.actOnRequest(id, actor, async (tx, t, row) => {
      const moved = await this.repo.move(tx, t.id, ['pending'], 'rejected', { responseNote: input.reason });
      if (moved === undefined) throw new HavenError('conflict', `This transfer request is ${t.status}.`);
      await this.events.apply(
        tx,
        { recordId: row.id, expectedVersion: row.version, action: 'transfer_request_reject', changes: [{ path: `$transfer_request/${t.id}`, from: 'pending', to: 'rejected' }], auditDetails: { transferRequestId: t.id, reason: input.reason } },
        auditContext(actor),
      );
      await this.notify(tx, 'transfer_rejected', [t.fromUser], row.id, actor, { transferRequestId: t.id, reason: input.reason });
      return moved;
    });
  }

  /** Transfers and transfer requests of a record, for those who may read it (through a share: only their own). */
  async ofRecord(recordType: string, id: string, actor: Actor): Promise<{ items: TransitionView[] }> {
    const row = await this.support.readable(actor, recordType, id);
    const all = TransitionSupport.readsWithoutShares(actor.principal.ability, factsOf(row));
    const items = await this.repo.ofRecord(row.id, ['transfer', 'transfer_request'], all ? undefined : actor.principal.userId);
    return { items: items.map((i) => transitionView(i, all || i.fromUser === actor.principal.userId)) };
  }

  async mine(actor: Actor, status: string | null, direction: 'incoming' | 'outgoing' | null): Promise<{ items: TransitionView[] }> {
    const items = await this.repo.ofUser(actor.principal.userId, ['transfer', 'transfer_request'], status, direction);
    return { items: items.map((i) => transitionView(i, i.fromUser === actor.principal.userId)) };
  }

  private configOf(row: RecordRow): TransferConfig {
    const config = referralSettings(this.config.current()).transfer(row.module, row.recordType);
    if (config === undefined) throw new HavenError('conflict', `Records of type ${row.module}/${row.recordType} cannot be transferred.`);
    return config;
  }

  /** A pending transfer of the locked record to `to`: consent, one open transfer at a time, the receiver's share. */
  private async open(tx: EntityManager, row: RecordRow, facts: RecordFacts, config: TransferConfig, to: Recipient, notes: string | null, overrideReason: string | null, actor: Actor, requestId?: string): Promise<string> {
    const p = actor.principal;
    const issues: Issue[] = [];
    if (to.id === row.ownerId) issues.push({ code: 'invalid_value', path: '/toUser', message: 'The record already belongs to this user.' });
    else if (!to.principal.ability.canRecord('receive_transfer', row.module, row.recordType)) issues.push({ code: 'not_eligible', path: '/toUser', message: `${to.username} does not receive transfers of this record type.` });
    if (issues.length > 0) throw HavenError.validation(issues, 'The transfer is not valid: nothing was stored.');
    if ((await this.repo.open(tx, row.id, 'transfer', ['pending'])).length > 0) throw new HavenError('conflict', 'A transfer of this record is already pending.');
    const consent = this.support.checkConsent(config.consent, row, facts, actor, overrideReason);
    const transferId = await this.repo.insert(tx, {
      kind: 'transfer',
      recordId: row.id,
      fromUser: p.userId,
      fromAgency: p.agencyCode,
      toUser: to.id,
      toAgency: to.principal.agencyCode,
      notes,
      consentOverridden: consent.overridden,
      consentOverrideReason: consent.overridden ? overrideReason : null,
    });
    await this.repo.share(tx, row.id, to.id, 'transfer', p.userId);
    await this.events.apply(
      tx,
      {
        recordId: row.id,
        expectedVersion: row.version,
        action: 'transfer_create',
        changes: [
          { path: `$transfer/${transferId}`, from: null, to: { status: 'pending', toUser: to.username } },
          { path: `$share/${to.username}`, from: null, to: 'transfer' },
        ],
        refreshShares: true,
        auditDetails: {
          transferId,
          toUser: to.id,
          toAgency: to.principal.agencyCode,
          consentOverridden: consent.overridden,
          ...(consent.overridden ? { consentOverrideReason: overrideReason } : {}),
          ...(requestId === undefined ? {} : { transferRequestId: requestId }),
        },
      },
      auditContext(actor),
    );
    await this.notify(tx, 'transfer_received', [to.id], row.id, actor, { transferId });
    return transferId;
  }

  /** A pending transfer that ends without moving ownership: the receiver's share goes. */
  private async end(tx: EntityManager, t: TransitionRow, row: RecordRow, actor: Actor, action: string, to: string, reason: string | null): Promise<void> {
    const unshared = t.toUser !== null && (await this.repo.unshare(tx, row.id, t.toUser, 'transfer'));
    const changes: FieldChange[] = [{ path: `$transfer/${t.id}`, from: 'pending', to }];
    if (unshared) changes.push({ path: `$share/${t.toUsername}`, from: 'transfer', to: null });
    await this.events.apply(
      tx,
      { recordId: row.id, expectedVersion: row.version, action, changes, refreshShares: unshared, auditDetails: { transferId: t.id, toUser: t.toUser, ...(reason ? { reason } : {}) } },
      auditContext(actor),
    );
  }

  private async move(tx: EntityManager, t: TransitionRow, to: TransitionStatus, what: string, note?: string | null): Promise<TransitionRow> {
    const moved = await this.repo.move(tx, t.id, ['pending'], to, { responseNote: note ?? null });
    if (moved === undefined) throw new HavenError('conflict', `This transfer is ${t.status}: it cannot be ${what} now.`);
    return moved;
  }

  private act(id: string, actor: Actor, part: 'receiver' | 'sender', work: (tx: EntityManager, t: TransitionRow, row: RecordRow) => Promise<TransitionRow>): Promise<TransitionView> {
    return this.run(id, ['transfer'], noTransfer, actor, (t, row) => {
      const me = actor.principal.userId;
      const isReceiver = t.toUser === me;
      const isSender = t.fromUser === me || (row.ownerId === me && t.status === 'pending');
      if (!isReceiver && !isSender) throw noTransfer();
      if (part === 'receiver' && !isReceiver) throw new HavenError('forbidden', 'Only the receiver of the transfer can do this.');
      if (part === 'sender' && !isSender) throw new HavenError('forbidden', 'Only the sender of the transfer or the owner of the record can do this.');
    }, work);
  }

  private actOnRequest(id: string, actor: Actor, work: (tx: EntityManager, t: TransitionRow, row: RecordRow) => Promise<TransitionRow>): Promise<TransitionView> {
    return this.run(id, ['transfer_request'], noRequest, actor, (t, row) => {
      const me = actor.principal.userId;
      if (row.ownerId !== me) {
        if (t.fromUser === me || t.toUser === me) throw new HavenError('forbidden', 'Only the owner of the record can answer a transfer request.');
        throw noRequest();
      }
    }, work);
  }

  /** Locks the record, re-reads the transition under the lock, checks the caller's part, runs the action. */
  private async run(
    id: string,
    kinds: TransitionKind[],
    missing: () => HavenError,
    actor: Actor,
    check: (t: TransitionRow, row: RecordRow) => void,
    work: (tx: EntityManager, t: TransitionRow, row: RecordRow) => Promise<TransitionRow>,
  ): Promise<TransitionView> {
    const found = await this.repo.find(id, kinds);
    if (found === undefined) throw missing();
    return this.repo.transaction(async (tx) => {
      const row = await this.support.lockRecordOf(tx, found);
      const t = (await this.repo.find(id, kinds, tx)) as TransitionRow;
      check(t, row);
      return transitionView(await work(tx, t, row), t.fromUser === actor.principal.userId || row.ownerId === actor.principal.userId);
    });
  }

  private async notify(tx: EntityManager, event: NotificationEventKey, recipients: (string | null)[], recordId: string, actor: Actor, details: Record<string, unknown>): Promise<void> {
    await this.notifications.enqueue(tx, { event, recipients: recipients.filter((r): r is string => r !== null), recordId, actorId: actor.principal.userId, details });
  }
}
