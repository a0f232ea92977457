import { Injectable } from '@nestjs/common';
import { buildAbility, type HavenAbility } from '../../engine/index.js';
import { HavenError } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { RecordEventsRepository } from '../records/record-events.js';
import { recordView } from '../records/record-view.js';
import type { RecordView } from '../records/record.types.js';
import { RecordsRepository } from '../records/records.repository.js';
import type { Actor } from '../users/request-actor.js';
import { auditContext, lockFor, shareGroup } from './record-access.js';
import { WorkflowRepository } from './workflow.repository.js';

/** Whether the caller's `assign` grant reaches beyond their groups (agency or all scope) on this record type. */
function assignsBeyondGroups(ability: HavenAbility, module: string, recordType: string): boolean {
  return ability.recordConditions('assign', module, recordType).some((c) => c.ownerAgency !== undefined || Object.keys(c).length === 0);
}

/**
 * Assignment: the record's owner changes at once (no acceptance). Within the rules of the assigner's role: the new
 * owner is an active user of the assigner's agency, and, unless the `assign` grant reaches the whole agency, of one
 * of the assigner's groups; the new owner's own role must let them update the record once it is theirs.
 */
@Injectable()
export class AssignService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly events: RecordEventsRepository,
    private readonly repo: WorkflowRepository,
    private readonly config: ActiveConfigService,
    private readonly notifications: NotificationsService,
  ) {}

  async assign(recordType: string, id: string, toUser: string, actor: Actor): Promise<RecordView> {
    const compiled = this.config.current();
    const p = actor.principal;
    return this.records.transaction(async (tx) => {
      const { row, facts } = await lockFor(tx, this.records, compiled, p.ability, recordType, id, ['assign']);
      const target = await this.repo.userByName(tx, toUser);
      const refuse = (code: string, message: string) => HavenError.validation([{ code, path: '/toUser', message }], 'The assignment is not possible: nothing was changed.');
      // Unknown, disabled, and outside the assigner's reach read alike: usernames of other agencies stay private.
      if (target === undefined || p.agencyCode === null || target.agency !== p.agencyCode) throw refuse('unknown_user', `No active user "${toUser}" in your agency.`);
      if (!assignsBeyondGroups(p.ability, row.module, row.recordType) && !shareGroup(p.groupCodes, target.groups)) {
        throw refuse('out_of_scope', `"${target.username}" is not in one of your groups.`);
      }
      if (target.id === row.ownerId) throw refuse('already_owner', `"${target.username}" already owns this record.`);
      const asOwner = { ...facts, ownerId: target.id, ownerAgency: target.agency, ownerGroups: target.groups };
      if (!buildAbility(compiled, target).canRecord('update', row.module, row.recordType, asOwner)) {
        throw refuse('cannot_own', `The role of "${target.username}" does not let them work on ${row.recordType} records of ${row.module}.`);
      }
      const transitionId = await this.repo.recordAssignment(tx, { recordId: row.id, fromUser: row.ownerId, fromAgency: row.ownerAgency, toUser: target.id, toAgency: target.agency });
      const saved = await this.events.apply(
        tx,
        {
          recordId: row.id,
          expectedVersion: row.version,
          action: 'assign',
          ownerId: target.id,
          changes: [{ path: '$owner', from: row.ownerUsername, to: target.username }],
          auditDetails: { module: row.module, recordType: row.recordType, fromUser: row.ownerId, toUser: target.id, transitionId },
        },
        auditContext(actor),
      );
      await this.notifications.enqueue(tx, { event: 'assignment', recipients: [target.id], recordId: row.id, actorId: p.userId, details: { transitionId } });
      return recordView(saved, p.ability);
    });
  }
}
