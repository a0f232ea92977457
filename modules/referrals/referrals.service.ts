import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { referralSettings, type CrossModuleConfig } from '../../engine/index.js';
import { HavenError, type Issue } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { NotificationsService, type NotificationEventKey } from '../notifications/notifications.service.js';
import { RecordEventsRepository } from '../records/record-events.js';
import type { FieldChange } from '../records/merge.js';
import { factsOf, type RecordRow } from '../records/record.types.js';
import { RecordsService } from '../records/records.service.js';
import type { Actor } from '../users/request-actor.js';
import { crossModuleData } from './cross-module.js';
import { auditContext, TransitionSupport, transitionView, type TransitionView } from './transition-support.js';
import type { ReasonInput, ReferralInput } from './transitions.dto.js';
import { TransitionsRepository, type TransitionRow, type TransitionStatus } from './transitions.repository.js';

const noReferral = () => HavenError.notFound('No such referral.');
const notNow = (t: TransitionRow, what: string) => new HavenError('conflict', `This referral is ${t.status}: it cannot be ${what} now.`);

/**
 * Referrals (docs/referrals.md): a record shared with a user of any agency for a service, only the forms the
 * module lists, after consent. Pending grants nothing; acceptance shares the record (`record_share` kind
 * `referral`, narrowed to the shared forms on every read path); decline and revocation end the share; done keeps
 * it until the owner revokes. A referral to a user who receives referrals only of another module creates, on
 * acceptance, a record of that module owned by the receiver, holding the mapped fields and linked to the original.
 *
 * Every action locks the record row, checks the caller's part, writes the transition, the share, the record's
 * history and audit row (`RecordEventsRepository.apply`, history path `$referral/<id>`) and the notification in one
 * transaction.
 */
@Injectable()
export class ReferralsService {
  constructor(
    private readonly repo: TransitionsRepository,
    private readonly support: TransitionSupport,
    private readonly events: RecordEventsRepository,
    private readonly notifications: NotificationsService,
    private readonly records: RecordsService,
    private readonly config: ActiveConfigService,
  ) {}

  async create(recordType: string, id: string, input: ReferralInput, actor: Actor): Promise<{ id: string }> {
    const p = actor.principal;
    const settings = referralSettings(this.config.current());
    return this.repo.transaction(async (tx) => {
      const { row, facts } = await this.support.lockFor(tx, actor, recordType, id, 'refer');
      const config = settings.referral(row.module, row.recordType);
      if (config === undefined) throw new HavenError('conflict', `Records of type ${row.module}/${row.recordType} cannot be referred.`);
      const issues: Issue[] = [];
      if (!config.services.includes(input.service)) issues.push({ code: 'not_an_option', path: '/service', message: `"${input.service}" is not a service of the lookup ${config.serviceLookup}.` });
      const recipient = await this.support.recipient(input.toUser, actor, issues);
      let cross: CrossModuleConfig | undefined;
      if (recipient !== undefined) {
        const ability = recipient.principal.ability;
        if (recipient.id === row.ownerId) issues.push({ code: 'invalid_value', path: '/toUser', message: 'The record already belongs to this user.' });
        else if (!ability.canRecord('receive_referral', row.module, row.recordType)) {
          cross = settings
            .crossModuleTargets(row.module, row.recordType)
            .find((c) => ability.canRecord('receive_referral', c.toModule, c.toRecordType) && ability.canRecord('create', c.toModule, c.toRecordType));
          if (cross === undefined) issues.push({ code: 'not_eligible', path: '/toUser', message: `${recipient.username} does not receive referrals of this record type.` });
        }
      }
      if (issues.length > 0) throw HavenError.validation(issues, 'The referral is not valid: nothing was stored.');
      const to = recipient!;
      const open = await this.repo.open(tx, row.id, 'referral', ['pending', 'accepted'], { to: to.id });
      if (open.length > 0) throw new HavenError('conflict', `A referral of this record to ${to.username} is already open.`);
      const consent = this.support.checkConsent(config.consent, row, facts, actor, input.consentOverrideReason, input.service);

      const referralId = await this.repo.insert(tx, {
        kind: 'referral',
        recordId: row.id,
        fromUser: p.userId,
        fromAgency: p.agencyCode,
        toUser: to.id,
        toAgency: to.principal.agencyCode,
        service: input.service,
        notes: input.notes,
        consentOverridden: consent.overridden,
        consentOverrideReason: consent.overridden ? input.consentOverrideReason : null,
        sharedForms: cross === undefined ? config.sharedForms : null,
        targetModule: cross?.toModule ?? null,
      });
      await this.events.apply(
        tx,
        {
          recordId: row.id,
          expectedVersion: row.version,
          action: 'referral_create',
          changes: [{ path: `$referral/${referralId}`, from: null, to: { status: 'pending', toUser: to.username, service: input.service, ...(cross ? { module: cross.toModule } : {}) } }],
          auditDetails: {
            referralId,
            toUser: to.id,
            toAgency: to.principal.agencyCode,
            service: input.service,
            ...(cross ? { targetModule: cross.toModule } : { sharedForms: config.sharedForms }),
            consentOverridden: consent.overridden,
            ...(consent.overridden ? { consentOverrideReason: input.consentOverrideReason } : {}),
          },
        },
        auditContext(actor),
      );
      await this.notify(tx, 'referral_received', [to.id], row.id, actor, { referralId, service: input.service });
      return { id: referralId };
    });
  }

  /** The receiver accepts: a share of the record (same module) or a new record of the receiving module (across modules). */
  async accept(id: string, data: Record<string, unknown>, actor: Actor): Promise<TransitionView> {
    return this.act(id, actor, 'receiver', async (tx, t, row) => {
      const p = actor.principal;
      if (t.targetModule === null) {
        if (Object.keys(data).length > 0) throw HavenError.validation([{ code: 'unknown_field', path: '/data', message: 'data is for referrals across modules only.' }]);
        if (!p.ability.canRecord('receive_referral', row.module, row.recordType)) throw new HavenError('forbidden', 'Your role no longer receives referrals of this record type.');
        const moved = await this.move(tx, t, ['pending'], 'accepted', 'accepted');
        await this.repo.share(tx, row.id, p.userId, 'referral', p.userId);
        await this.apply(tx, row, actor, 'referral_accept', t, 'pending', 'accepted', { refreshShares: true, share: p.username });
        await this.notify(tx, 'referral_accepted', [t.fromUser, row.ownerId], row.id, actor, { referralId: t.id, service: t.service });
        return moved;
      }
      const cross = referralSettings(this.config.current()).crossModule(row.module, row.recordType, t.targetModule);
      if (cross === undefined) throw new HavenError('conflict', `Referrals from ${row.module} to ${t.targetModule} are no longer configured.`);
      const moved0 = await this.move(tx, t, ['pending'], 'accepted', 'accepted');
      const mapped = crossModuleData(this.config.current(), cross, row, actor);
      const created = await this.records.create(cross.toRecordType, { module: cross.toModule, data: { ...mapped, ...data } }, actor, tx);
      await this.repo.link(tx, row.id, created.id, p.userId);
      const moved = (await this.repo.move(tx, t.id, ['accepted'], 'accepted', { createdRecordId: created.id })) ?? moved0;
      await this.apply(tx, row, actor, 'referral_accept', t, 'pending', 'accepted', { createdRecordId: created.id, targetModule: cross.toModule });
      await this.notify(tx, 'referral_accepted', [t.fromUser, row.ownerId], row.id, actor, { referralId: t.id, service: t.service, module: cross.toModule });
      return moved;
    });
  }

  async decline(id: string, input: ReasonInput, actor: Actor): Promise<TransitionView> {
    return this.act(id, actor, 'receiver', async (tx, t, row) => {
      const moved = await this.move(tx, t, ['pending'], 'declined', 'declined', input.reason);
      await this.apply(tx, row, actor, 'referral_decline', t, 'pending', 'declined', { reason: input.reason });
      await this.notify(tx, 'referral_declined', [t.fromUser, row.ownerId], row.id, actor, { referralId: t.id, service: t.service, reason: input.reason });
      return moved;
    });
  }

  /** The sender or the record's owner takes the referral back: the receiver's access ends. */
  async revoke(id: string, input: ReasonInput, actor: Actor): Promise<TransitionView> {
    return this.act(id, actor, 'sender', async (tx, t, row) => {
      // Across modules, once accepted, the receiver owns a record of their own: there is nothing to take back.
      const from: TransitionStatus[] = t.targetModule === null ? ['pending', 'accepted', 'done'] : ['pending'];
      const moved = await this.move(tx, t, from, 'revoked', 'revoked', input.reason);
      const unshared = t.toUser !== null && (await this.repo.unshare(tx, row.id, t.toUser, 'referral'));
      await this.apply(tx, row, actor, 'referral_revoke', t, t.status, 'revoked', { refreshShares: unshared, unshare: unshared ? t.toUsername : null });
      await this.notify(tx, 'referral_revoked', [t.toUser], row.id, actor, { referralId: t.id, service: t.service });
      return moved;
    });
  }

  /** The receiver marks the service provided; they keep reading the shared forms until the owner revokes. */
  async done(id: string, input: ReasonInput, actor: Actor): Promise<TransitionView> {
    return this.act(id, actor, 'receiver', async (tx, t, row) => {
      const moved = await this.move(tx, t, ['accepted'], 'done', 'marked done', input.reason);
      await this.apply(tx, row, actor, 'referral_done', t, 'accepted', 'done', {});
      await this.notify(tx, 'referral_done', [t.fromUser, row.ownerId], row.id, actor, { referralId: t.id, service: t.service });
      return moved;
    });
  }

  /** The referrals of a record, for those who may read it (a receiver reading it through a share: only theirs). */
  async ofRecord(recordType: string, id: string, actor: Actor): Promise<{ items: TransitionView[] }> {
    const { ability } = actor.principal;
    const row = await this.support.readable(actor, recordType, id);
    const all = TransitionSupport.readsWithoutShares(ability, factsOf(row));
    const items = await this.repo.ofRecord(row.id, ['referral'], all ? undefined : actor.principal.userId);
    return { items: items.map((i) => transitionView(i, all || i.fromUser === actor.principal.userId)) };
  }

  async mine(actor: Actor, status: string | null, direction: 'incoming' | 'outgoing' | null): Promise<{ items: TransitionView[] }> {
    const items = await this.repo.ofUser(actor.principal.userId, ['referral'], status, direction);
    return { items: items.map((i) => transitionView(i, i.fromUser === actor.principal.userId)) };
  }

  /**
   * Runs one action on a referral: only its receiver (or sender / the record's current owner) knows it exists;
   * the record row is locked before the state moves, so concurrent actions serialise and one wins.
   */
  private async act(
    id: string,
    actor: Actor,
    part: 'receiver' | 'sender',
    work: (tx: EntityManager, t: TransitionRow, row: RecordRow) => Promise<TransitionRow>,
  ): Promise<TransitionView> {
    const me = actor.principal.userId;
    const found = await this.repo.find(id, ['referral']);
    if (found === undefined) throw noReferral();
    return this.repo.transaction(async (tx) => {
      const row = await this.support.lockRecordOf(tx, found);
      const t = (await this.repo.find(id, ['referral'], tx)) as TransitionRow;
      const isReceiver = t.toUser === me;
      const isSender = t.fromUser === me || row.ownerId === me;
      if (!isReceiver && !isSender) throw noReferral();
      if (part === 'receiver' && !isReceiver) throw new HavenError('forbidden', 'Only the receiver of the referral can do this.');
      if (part === 'sender' && !isSender) throw new HavenError('forbidden', 'Only the sender of the referral or the owner of the record can do this.');
      return transitionView(await work(tx, t, row), t.fromUser === actor.principal.userId || row.ownerId === actor.principal.userId);
    });
  }

  private async move(tx: EntityManager, t: TransitionRow, from: TransitionStatus[], to: TransitionStatus, what: string, note?: string | null): Promise<TransitionRow> {
    const moved = await this.repo.move(tx, t.id, from, to, { responseNote: note ?? null });
    if (moved === undefined) throw notNow(t, what);
    return moved;
  }

  private async apply(
    tx: EntityManager,
    row: RecordRow,
    actor: Actor,
    action: string,
    t: TransitionRow,
    from: string,
    to: string,
    extra: { refreshShares?: boolean; share?: string; unshare?: string | null; reason?: string | null; createdRecordId?: string; targetModule?: string },
  ): Promise<void> {
    const changes: FieldChange[] = [{ path: `$referral/${t.id}`, from, to }];
    if (extra.share !== undefined) changes.push({ path: `$share/${extra.share}`, from: null, to: 'referral' });
    if (extra.unshare) changes.push({ path: `$share/${extra.unshare}`, from: 'referral', to: null });
    await this.events.apply(
      tx,
      {
        recordId: row.id,
        expectedVersion: row.version,
        action,
        changes,
        ...(extra.refreshShares ? { refreshShares: true } : {}),
        auditDetails: {
          referralId: t.id,
          toUser: t.toUser,
          service: t.service,
          status: to,
          ...(extra.reason ? { reason: extra.reason } : {}),
          ...(extra.createdRecordId ? { createdRecordId: extra.createdRecordId, targetModule: extra.targetModule } : {}),
        },
      },
      auditContext(actor),
    );
  }

  private async notify(tx: EntityManager, event: NotificationEventKey, recipients: (string | null)[], recordId: string, actor: Actor, details: Record<string, unknown>): Promise<void> {
    await this.notifications.enqueue(tx, { event, recipients: recipients.filter((r): r is string => r !== null), recordId, actorId: actor.principal.userId, details });
  }
}
