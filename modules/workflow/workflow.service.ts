import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ApprovalStatus, CompiledConfig, CompiledWorkflow, HavenAbility, NotifyTarget, WorkflowApproval, WorkflowTransition } from '../../engine/index.js';
import { HavenError, type Issue } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import type { FieldChange } from '../records/merge.js';
import { RecordEventsRepository } from '../records/record-events.js';
import { recordView } from '../records/record-view.js';
import { factsOf, type RecordRow, type RecordView } from '../records/record.types.js';
import { RecordsRepository } from '../records/records.repository.js';
import type { Actor } from '../users/request-actor.js';
import { applySetFields } from './effects.js';
import { approversOf, auditContext, checkVersion, lockFor, noRecord, processContext, shareGroup, type LockedRecord } from './record-access.js';
import type { ApprovalInput, TransitionInput } from './workflow.dto.js';
import { WorkflowRepository, type ApprovalRow } from './workflow.repository.js';

export interface TransitionOption {
  key: string;
  label: string;
  to: string;
  toLabel: string;
  /** True when the caller may fire it now. */
  allowed: boolean;
  /** Why not: `not_permitted`, `approval_pending`, `approval_required`, `guard_failed` (the guard's message). */
  blocked: { code: string; message: string; approval?: string }[];
}

export interface ApprovalOption {
  type: string;
  label: string;
  form: string;
  /** Status of the latest request, or null when never requested. */
  status: ApprovalStatus | null;
  canRequest: boolean;
  canDecide: boolean;
}

export interface TransitionsView {
  status: string;
  state: { key: string; label: string; stage: number | null; final: boolean } | null;
  /** The workflow's states in progress order (the case's stage bar). */
  states: { key: string; label: string; stage: number | null; final: boolean }[];
  transitions: TransitionOption[];
  approvals: ApprovalOption[];
}

export interface ApprovalHistoryItem {
  id: string;
  type: string;
  label: string;
  status: ApprovalStatus;
  requestedBy: string | null;
  requestedAt: string;
  requestComment: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionComment: string | null;
}

const UNIQUE_VIOLATION = '23505';

function statuses(latest: ReadonlyMap<string, ApprovalRow>): Record<string, ApprovalStatus> {
  return Object.fromEntries([...latest].map(([type, row]) => [type, row.status]));
}

/**
 * Workflow transitions and approvals (docs/workflow.md). Each action is one transaction: lock the record, check the
 * caller's ability, evaluate the bundle's workflow, write the record through RecordEventsRepository.apply (history
 * with `$` paths and the audit row in the same statement) and enqueue notifications. Nothing is written when
 * anything fails.
 */
@Injectable()
export class WorkflowService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly events: RecordEventsRepository,
    private readonly repo: WorkflowRepository,
    private readonly config: ActiveConfigService,
    private readonly notifications: NotificationsService,
  ) {}

  async transitions(recordType: string, id: string, actor: Actor): Promise<TransitionsView> {
    const compiled = this.config.current();
    const p = actor.principal;
    return this.records.transaction(async (tx) => {
      // A read: the same access rules as the writes, without locking the row.
      const { row, facts } = await lockFor(tx, { lock: (m, i, t) => this.repo.find(m, i, t) }, compiled, p.ability, recordType, id, []);
      const wf = compiled.workflow(row.module, row.recordType);
      const stateOf = (key: string) => {
        const s = wf?.state(key);
        return s === undefined ? null : { key, label: wf!.stateLabel(key, p.locale), stage: s.stage ?? null, final: s.final === true };
      };
      if (wf === undefined) return { status: row.status, state: null, states: [], transitions: [], approvals: [] };
      const latest = await this.repo.latestApprovals(tx, row.id);
      const record = { status: row.status, data: row.data, approvals: statuses(latest) };
      const ctx = processContext(p);
      const can = (action: string) => p.ability.canRecord(action, row.module, row.recordType, facts);
      const transitions = wf.transitionsFrom(row.status).map((t): TransitionOption => {
        const blocked: TransitionOption['blocked'] = this.missingActions(t, p.ability, row).map((action) => ({
          code: 'not_permitted',
          message: `Your role does not allow "${action}" on this record.`,
        }));
        // Guards and approvals are looked at only for a transition the caller may make: a guard reads fields, and its
        // outcome told to someone who may not even make the transition would be a yes/no answer about them.
        if (blocked.length === 0) {
          for (const b of wf.blocks(t, record, ctx)) blocked.push({ code: b.code, message: b.message, ...(b.approval === undefined ? {} : { approval: b.approval }) });
        }
        return { key: t.key, label: wf.transitionLabel(t.key, p.locale), to: t.to, toLabel: wf.stateLabel(t.to, p.locale), allowed: blocked.length === 0, blocked };
      });
      const approvals = wf.approvals.map((a): ApprovalOption => {
        const status = latest.get(a.key)?.status ?? null;
        return {
          type: a.key,
          label: wf.approvalLabel(a.key, p.locale),
          form: a.form,
          status,
          canRequest: status !== 'pending' && wf.requestable(a, row.status) && can(`request_approval_${a.key}`),
          canDecide:
            status === 'pending' &&
            can(`approve_${a.key}`) &&
            shareGroup(p.groupCodes, row.ownerGroups) &&
            p.userId !== row.ownerId &&
            latest.get(a.key)?.requestedById !== p.userId,
        };
      });
      return { status: row.status, state: stateOf(row.status), states: wf.states.map((s) => stateOf(s.key)!), transitions, approvals };
    });
  }

  async fire(recordType: string, id: string, key: string, input: TransitionInput, actor: Actor): Promise<RecordView> {
    const compiled = this.config.current();
    const p = actor.principal;
    return this.records.transaction(async (tx) => {
      const locked = await lockFor(tx, this.records, compiled, p.ability, recordType, id, []);
      const { row, rt } = locked;
      const wf = compiled.workflow(row.module, row.recordType);
      const transition = wf?.transition(key);
      if (wf === undefined || transition === undefined) throw HavenError.notFound('No such transition.');
      const missing = this.missingActions(transition, p.ability, row);
      if (missing.length > 0) throw new HavenError('forbidden', `Your role does not allow "${missing.join('", "')}" on this record.`);
      checkVersion(row, input.version);

      const latest = await this.repo.latestApprovals(tx, row.id);
      const ctx = processContext(p);
      const blocks = wf.blocks(transition, { status: row.status, data: row.data, approvals: statuses(latest) }, ctx);
      if (blocks.length > 0) {
        throw new HavenError(
          'conflict',
          `"${wf.transitionLabel(key, p.locale)}" cannot be done now: nothing was written.`,
          blocks.map((b): Issue => ({ code: b.code, path: '', message: b.message, ...(b.approval === undefined ? {} : { params: { approval: b.approval } }) })),
        );
      }
      const effects = transition.effects;
      const data = applySetFields(rt, wf, effects, row, ctx, p.ability.readableFields(row.module, row.recordType, factsOf(row)));
      const changes: FieldChange[] = [{ path: '$status', from: row.status, to: transition.to, transition: key, ...(input.comment === undefined ? {} : { comment: input.comment }) } as FieldChange];
      const requested = effects?.requestApproval;
      if (requested !== undefined) {
        if (latest.get(requested)?.status === 'pending') throw new HavenError('conflict', 'An approval of this type is already pending.', [{ code: 'approval_pending', path: '', message: 'An approval of this type is already pending.' }]);
        await this.repo.requestApproval(tx, row.id, requested, p.userId, input.comment ?? null);
        changes.push({ path: `$approval/${requested}`, from: latest.get(requested)?.status ?? null, to: 'pending' });
      }
      // Entering the stage where an approval is asked for makes an earlier decision on it stale: a case reopened and
      // taken back to its action plan needs the new plan approved, not the old one.
      for (const a of wf.approvals) {
        const prior = latest.get(a.key);
        // Entering the stage: from a state outside the approval's `requestIn` into one of them.
        if (a.key === requested || a.requestIn?.includes(transition.to) !== true || a.requestIn.includes(row.status)) continue;
        if (prior === undefined || (prior.status !== 'approved' && prior.status !== 'rejected')) continue;
        await this.repo.cancelApproval(tx, prior.id);
        changes.push({ path: `$approval/${a.key}`, from: prior.status, to: 'cancelled' } as FieldChange);
      }
      changes.push(...(data?.changes ?? []));
      const saved = await this.events.apply(
        tx,
        {
          recordId: row.id,
          expectedVersion: row.version,
          action: 'transition',
          changes,
          status: transition.to,
          ...(data === undefined ? {} : { data: data.data, fieldVersions: data.fieldVersions, bundleHash: compiled.hash }),
          auditDetails: {
            module: row.module,
            recordType: row.recordType,
            transition: key,
            from: row.status,
            to: transition.to,
            ...(requested === undefined ? {} : { approvalRequested: requested }),
            ...(data === undefined ? {} : { fields: data.changes.map((c) => c.path) }),
          },
        },
        auditContext(actor),
      );
      if (requested !== undefined) await this.notifyApprovers(tx, compiled, row, requested, p.userId);
      await this.notify(tx, compiled, wf, row, effects?.notify, latest, p.userId, { transition: key, from: row.status, to: transition.to });
      return recordView(saved, p.ability);
    });
  }

  async approval(recordType: string, id: string, type: string, input: ApprovalInput, actor: Actor): Promise<RecordView> {
    const compiled = this.config.current();
    const p = actor.principal;
    try {
      return await this.records.transaction(async (tx) => {
        const locked = await lockFor(tx, this.records, compiled, p.ability, recordType, id, []);
        const wf = compiled.workflow(locked.row.module, locked.row.recordType);
        const approval = wf?.approval(type);
        if (wf === undefined || approval === undefined) throw HavenError.notFound('No such approval type for this record.');
        const needed = input.action === 'request' ? `request_approval_${type}` : `approve_${type}`;
        if (!p.ability.canRecord(needed, locked.row.module, locked.row.recordType, locked.facts)) {
          throw new HavenError('forbidden', `Your role does not allow "${needed}" on this record.`);
        }
        checkVersion(locked.row, input.version);
        return input.action === 'request'
          ? await this.request(tx, compiled, wf, approval, locked, input, actor)
          : await this.decide(tx, compiled, wf, approval, locked, input, actor);
      });
    } catch (error) {
      // Two requests racing past the check: the partial unique index keeps one pending request per type.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new HavenError('conflict', 'An approval of this type is already pending.');
      throw error;
    }
  }

  async approvalHistory(recordType: string, id: string, actor: Actor): Promise<{ items: ApprovalHistoryItem[] }> {
    const compiled = this.config.current();
    const p = actor.principal;
    return this.records.transaction(async (tx) => {
      const row = await this.repo.find(tx, id, recordType);
      // The history of approvals is part of the record's history: the same `view_history` scope decides.
      if (row === undefined || row.disabled || !p.ability.canRecord('view_history', row.module, row.recordType, factsOf(row))) throw noRecord();
      const wf = compiled.workflow(row.module, row.recordType);
      const items = (await this.repo.approvals(tx, row.id)).map(({ requestedById: _, ...a }) => ({ ...a, label: wf?.approvalLabel(a.type, p.locale) ?? a.type }));
      return { items };
    });
  }

  private async request(tx: EntityManager, compiled: CompiledConfig, wf: CompiledWorkflow, approval: WorkflowApproval, locked: LockedRecord, input: ApprovalInput, actor: Actor): Promise<RecordView> {
    const { row } = locked;
    const p = actor.principal;
    if (!wf.requestable(approval, row.status)) {
      throw new HavenError('conflict', `${wf.approvalLabel(approval.key, p.locale)} cannot be requested while the record is ${wf.stateLabel(row.status, p.locale)}.`);
    }
    const latest = await this.repo.latestApprovals(tx, row.id);
    if (latest.get(approval.key)?.status === 'pending') throw new HavenError('conflict', 'An approval of this type is already pending.');
    await this.repo.requestApproval(tx, row.id, approval.key, p.userId, input.comment ?? null);
    const saved = await this.events.apply(
      tx,
      {
        recordId: row.id,
        expectedVersion: row.version,
        action: 'approval_request',
        changes: [{ path: `$approval/${approval.key}`, from: latest.get(approval.key)?.status ?? null, to: 'pending', ...(input.comment === undefined ? {} : { comment: input.comment }) } as FieldChange],
        auditDetails: { module: row.module, recordType: row.recordType, approvalType: approval.key },
      },
      auditContext(actor),
    );
    await this.notifyApprovers(tx, compiled, row, approval.key, p.userId);
    return recordView(saved, p.ability);
  }

  private async decide(tx: EntityManager, compiled: CompiledConfig, wf: CompiledWorkflow, approval: WorkflowApproval, locked: LockedRecord, input: ApprovalInput, actor: Actor): Promise<RecordView> {
    const { row, rt } = locked;
    const p = actor.principal;
    if (!shareGroup(p.groupCodes, row.ownerGroups)) throw new HavenError('forbidden', 'Only a supervisor of the owner\'s group may decide this approval.');
    const latest = await this.repo.latestApprovals(tx, row.id);
    const pending = latest.get(approval.key);
    if (pending?.status !== 'pending') throw new HavenError('conflict', 'There is no pending request of this approval.');
    if (pending.requestedById === p.userId || row.ownerId === p.userId) throw new HavenError('forbidden', 'You cannot decide an approval of your own record or request.');
    const decision = input.action === 'approve' ? 'approved' : 'rejected';
    if ((await this.repo.decide(tx, pending.id, decision, p.userId, input.comment ?? null)) === undefined) {
      throw new HavenError('conflict', 'This request was decided by someone else meanwhile.');
    }
    const effects = decision === 'approved' ? approval.onApprove : approval.onReject;
    const ctx = processContext(p);
    const data = applySetFields(rt, wf, effects, row, ctx, p.ability.readableFields(row.module, row.recordType, factsOf(row)));
    const changes: FieldChange[] = [
      { path: `$approval/${approval.key}`, from: 'pending', to: decision, ...(input.comment === undefined ? {} : { comment: input.comment }) } as FieldChange,
    ];
    const moveTo = effects?.moveTo !== undefined && effects.moveTo !== row.status ? effects.moveTo : undefined;
    if (moveTo !== undefined) changes.push({ path: '$status', from: row.status, to: moveTo, approval: approval.key } as FieldChange);
    changes.push(...(data?.changes ?? []));
    const saved = await this.events.apply(
      tx,
      {
        recordId: row.id,
        expectedVersion: row.version,
        action: decision === 'approved' ? 'approval_approve' : 'approval_reject',
        changes,
        ...(moveTo === undefined ? {} : { status: moveTo }),
        ...(data === undefined ? {} : { data: data.data, fieldVersions: data.fieldVersions, bundleHash: compiled.hash }),
        auditDetails: {
          module: row.module,
          recordType: row.recordType,
          approvalType: approval.key,
          decision,
          ...(moveTo === undefined ? {} : { from: row.status, to: moveTo }),
          ...(data === undefined ? {} : { fields: data.changes.map((c) => c.path) }),
        },
      },
      auditContext(actor),
    );
    const details = { approvalType: approval.key, decision, ...(input.comment === undefined ? {} : { comment: input.comment }) };
    if (pending.requestedById !== null) {
      await this.notifications.enqueue(tx, { event: 'approval_decided', recipients: [pending.requestedById], recordId: row.id, actorId: p.userId, details });
    }
    await this.notify(tx, compiled, wf, row, effects?.notify, latest, p.userId, details);
    return recordView(saved, p.ability);
  }

  /** Record actions the caller lacks for a transition: its action, plus `request_approval_<type>` when it requests one. */
  private missingActions(t: WorkflowTransition, ability: HavenAbility, row: RecordRow): string[] {
    const facts = factsOf(row);
    const needed = [t.action, ...(t.effects?.requestApproval === undefined ? [] : [`request_approval_${t.effects.requestApproval}`])];
    return needed.filter((action) => !ability.canRecord(action, row.module, row.recordType, facts));
  }

  private async notifyApprovers(tx: EntityManager, compiled: CompiledConfig, row: RecordRow, type: string, requesterId: string): Promise<void> {
    const approvers = await approversOf(tx, this.repo, compiled, row, [type], [requesterId]);
    await this.notifications.enqueue(tx, { event: 'approval_requested', recipients: approvers.map((u) => u.id), recordId: row.id, actorId: requesterId, details: { approvalType: type } });
  }

  /** A `notify` effect: owner, requester of the latest approval, supervisors (who may approve on this record). */
  private async notify(
    tx: EntityManager,
    compiled: CompiledConfig,
    wf: CompiledWorkflow,
    row: RecordRow,
    targets: readonly NotifyTarget[] | undefined,
    latest: ReadonlyMap<string, ApprovalRow>,
    actorId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    if (targets === undefined || targets.length === 0) return;
    const recipients: string[] = [];
    if (targets.includes('owner')) recipients.push(row.ownerId);
    if (targets.includes('requester')) {
      const last = [...latest.values()].sort((a, b) => a.requestedAt.localeCompare(b.requestedAt)).at(-1);
      if (last?.requestedById) recipients.push(last.requestedById);
    }
    if (targets.includes('supervisors')) {
      const supervisors = await approversOf(tx, this.repo, compiled, row, wf.approvals.map((a) => a.key), []);
      recipients.push(...supervisors.map((u) => u.id));
    }
    await this.notifications.enqueue(tx, { event: 'transition', recipients, recordId: row.id, actorId, details });
  }
}
