import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { redactRecordData, type CompiledConfig, type CompiledRecordType, type HavenAbility, type ProcessContext, type RecordFacts } from '../../engine/index.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { HavenError, type Issue } from '../common/errors.js';
import { logger } from '../common/logger.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { DISABLED_PATH } from './history-view.js';
import { changedSince, diffData, mergePatch, nextFieldVersions, sideEffectConflicts, type RecordData } from './merge.js';
import { recordView } from './record-view.js';
import { factsOf, type RecordRow, type RecordView } from './record.types.js';
import type { CreateRecordInput, UpdateRecordInput } from './records.dto.js';
import { type AuditContext, RecordsRepository } from './records.repository.js';
import { formatDisplayId, newShortId } from './short-id.js';
import { attachmentWrites, bodyIssue, mergeShape, unwritableFields, withRowIds, type WriteAccess } from './write-access.js';

/** Short ids are random over 31^7 values: a clash is rare, five in a row means something else is wrong. */
const SHORT_ID_ATTEMPTS = 5;

/** A record outside the caller's reach is missing to them: same code, same message. */
const notFound = () => HavenError.notFound('No such record.');
const recordTypeNotFound = () => HavenError.notFound('No such record type.');

/** The initial state of the record type's workflow (`workflows/<module>.<recordType>.json`); `open` without one. */
function initialStatus(rt: CompiledRecordType): string {
  return rt.workflow?.initial ?? 'open';
}

function processContext(p: Principal, now: Date): ProcessContext {
  const iso = now.toISOString();
  return { user: { id: p.userId, agency: p.agencyCode, roles: p.roles, groups: p.groupCodes }, today: iso.slice(0, 10), now: iso, locale: p.locale };
}

function auditContext(actor: Actor): AuditContext {
  return { actorId: actor.principal.userId, actor: actor.principal.username, clientIp: actor.clientIp, requestId: actor.requestId };
}

/**
 * What the ability refused in a write, for the `denied` audit row written after the failed transaction: the
 * action, the record (when one was found) and why (`record`: the action on the record or record type; `fields`:
 * fields the caller may not write). Ids and codes only, never values or field names.
 */
interface Denial {
  reason?: 'record' | 'fields';
  module?: string;
  recordType?: string;
  recordId?: string;
}

/** Engine issues and refused fields together; engine issues under a refused field add nothing. */
function allIssues(refused: Issue[], engine: Issue[]): Issue[] {
  if (refused.length === 0) return engine;
  const under = (path: string) => refused.some((r) => path === r.path || path.startsWith(`${r.path}/`));
  return [...refused, ...engine.filter((issue) => !under(issue.path))];
}

/** Refused fields plus attachment writes at paths not refused already (one issue per path). */
function withAttachmentWrites(refused: Issue[], attachments: Issue[]): Issue[] {
  if (attachments.length === 0) return refused;
  const paths = new Set(refused.map((issue) => issue.path));
  return [...refused, ...attachments.filter((issue) => !paths.has(issue.path))];
}

/** Stored keys the record type no longer defines (data from an older bundle): kept as they are, not re-validated. */
function splitRetired(rt: CompiledRecordType, data: RecordData, patch: RecordData): { current: RecordData; retired?: RecordData } {
  let retired: RecordData | undefined;
  for (const key of Object.keys(data)) {
    if (rt.field(key) !== undefined || Object.hasOwn(patch, key)) continue;
    retired ??= {};
    retired[key] = data[key];
  }
  if (retired === undefined) return { current: data };
  const current = { ...data };
  for (const key of Object.keys(retired)) delete current[key];
  return { current, retired };
}

/**
 * The record write path: create, update (field-level merge) and disable/enable. One transaction per change:
 * lock, check access, merge, validate with the engine, write the row with its history and audit rows. Nothing is
 * written when anything fails. No HTTP here: the same calls serve the offline sync and the CLI.
 */
@Injectable()
export class RecordsService {
  /** Record types by key (a key several modules define maps to all of them), per compiled config. */
  private readonly byKey = new WeakMap<CompiledConfig, Map<string, CompiledRecordType[]>>();

  constructor(
    private readonly repo: RecordsRepository,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Creates a record; with `tx`, inside that transaction (a caller that writes more in the same change). A create
   * the ability refuses leaves a `record.create` audit row with outcome `denied` (outside `tx`, which fails).
   */
  async create(recordType: string, input: CreateRecordInput, actor: Actor, tx?: EntityManager): Promise<RecordView> {
    const denial: Denial = {};
    try {
      return await this.createChecked(recordType, input, actor, denial, tx);
    } catch (err) {
      await this.auditDenial(err, 'create', denial, actor);
      throw err;
    }
  }

  private async createChecked(recordType: string, input: CreateRecordInput, actor: Actor, denial: Denial, tx?: EntityManager): Promise<RecordView> {
    const compiled = this.config.current();
    const rt = this.resolveType(compiled, recordType, input.module);
    const p = actor.principal;
    const { ability } = p;
    const facts: RecordFacts = { module: rt.module, recordType: rt.key, ownerId: p.userId, ownerAgency: p.agencyCode, ownerGroups: p.groupCodes, sharedWith: [] };
    Object.assign(denial, { module: rt.module, recordType: rt.key });
    if (!ability.canRecord('create', rt.module, rt.key, facts)) {
      denial.reason = 'record';
      if (ability.canRecord('read', rt.module, rt.key)) throw new HavenError('forbidden', `You may not create ${rt.key} records.`);
      throw recordTypeNotFound();
    }
    const shape = mergeShape(rt);
    const data = withRowIds(input.data, shape.subforms, randomUUID);
    const unwritable = unwritableFields(rt, data, {}, this.access(ability, facts));
    if (unwritable.length > 0) denial.reason = 'fields';
    const refused = withAttachmentWrites(unwritable, attachmentWrites(rt, data, {}));
    const result = rt.process(data, processContext(p, new Date()));
    const issues = allIssues(refused, result.issues.map((issue) => bodyIssue(issue, data, data, shape.subforms)));
    if (issues.length > 0) throw HavenError.validation(issues, 'The record is not valid: nothing was stored.');

    const changes = diffData({}, result.data, shape.subforms);
    const definition = rt.definition.displayId;
    for (let attempt = 0; attempt < SHORT_ID_ATTEMPTS; attempt++) {
      const shortId = newShortId();
      const row = await this.repo.insert(
        {
          shortId,
          displayId: formatDisplayId(definition, shortId),
          module: rt.module,
          recordType: rt.key,
          ownerId: p.userId,
          ownerUsername: p.username,
          ownerAgency: p.agencyCode,
          ownerGroups: p.groupCodes,
          status: initialStatus(rt),
          bundleHash: compiled.hash,
          data: result.data,
        },
        changes,
        auditContext(actor),
        { module: rt.module, recordType: rt.key, fields: changes.map((c) => c.path) },
        tx,
      );
      // The data was made for this record alone (the engine's result): no copy when the creator may read all of it.
      if (row !== undefined) return recordView(row, ability, { owned: true });
    }
    throw new Error(`no free short id after ${SHORT_ID_ATTEMPTS} attempts`);
  }

  /** Updates a record (field-level merge); a change the ability refuses leaves a `denied` audit row. */
  async update(recordType: string, id: string, input: UpdateRecordInput, actor: Actor): Promise<RecordView> {
    const denial: Denial = {};
    try {
      return await this.updateChecked(recordType, id, input, actor, denial);
    } catch (err) {
      await this.auditDenial(err, 'update', denial, actor);
      throw err;
    }
  }

  private updateChecked(recordType: string, id: string, input: UpdateRecordInput, actor: Actor, denial: Denial): Promise<RecordView> {
    const compiled = this.config.current();
    const p = actor.principal;
    const { ability } = p;
    return this.repo.transaction(async (tx) => {
      const { row, rt, facts } = await this.lockFor(tx, 'update', id, recordType, ability, compiled, denial);
      if (row.disabled) {
        // As on the read path: a disabled record is there only for those who may disable (and enable) it.
        if (!ability.canRecord('disable', row.module, row.recordType, facts)) {
          denial.reason = 'record';
          throw notFound();
        }
        throw new HavenError('conflict', 'This record is disabled: enable it before changing it.');
      }
      if (input.baseVersion > row.version) {
        throw HavenError.validation([{ code: 'unknown_version', path: '/version', message: `The record is at version ${row.version}.` }]);
      }
      const shape = mergeShape(rt);
      const access = this.access(ability, facts);
      const patch = withRowIds(input.data, shape.subforms, randomUUID);
      const unwritable = unwritableFields(rt, patch, row.data, access);
      if (unwritable.length > 0) denial.reason = 'fields';
      // An attachment value other than the stored one is refused, unless the field changed since the edit's base (an
      // upload or removal meanwhile): then it is what the client had, and the merge below answers with a conflict.
      const changedAttachment = (pointer: string): boolean => {
        const [key, index, child] = pointer.split('/').slice(2);
        if (key === undefined) return false;
        if (index === undefined || child === undefined) return changedSince(row.fieldVersions, key, input.baseVersion);
        const rows = patch[key];
        const rowId = Array.isArray(rows) ? (rows[Number(index)] as { _id?: unknown } | undefined)?._id : undefined;
        return typeof rowId === 'string' && changedSince(row.fieldVersions, `${key}/${rowId}/${child}`, input.baseVersion);
      };
      const refused = withAttachmentWrites(unwritable, attachmentWrites(rt, patch, row.data).filter((issue) => !changedAttachment(issue.path)));
      const merged = mergePatch({ stored: row.data, fieldVersions: row.fieldVersions, baseVersion: input.baseVersion, patch }, shape);
      const shapeIssues = merged.issues.map((issue) => ({ ...issue, path: `/data${issue.path}` }));
      if (refused.length > 0 || shapeIssues.length > 0) throw HavenError.validation(allIssues(refused, shapeIssues), 'The change is not valid: nothing was written.');
      if (merged.conflicts.length > 0) {
        throw new HavenError('version_conflict', `The record changed since version ${input.baseVersion} in fields this change touches: nothing was written.`, [], {
          currentVersion: row.version,
          fields: conflictValues(row.data, merged.conflicts, access.readable),
        });
      }

      const { current, retired } = splitRetired(rt, merged.data, patch);
      const result = rt.process(current, processContext(p, new Date()), { supplied: Object.keys(patch) });
      if (result.issues.length > 0) {
        throw HavenError.validation(
          result.issues.map((issue) => bodyIssue(issue, current, patch, shape.subforms)),
          'The record is not valid with this change: nothing was written.',
        );
      }
      const data = retired === undefined ? result.data : { ...result.data, ...retired };
      const changes = diffData(row.data, data, shape.subforms);
      if (changes.length === 0) return recordView(row, ability);
      const overwritten = sideEffectConflicts(changes, merged.changed, row.fieldVersions, input.baseVersion, shape.derived);
      if (overwritten.length > 0) {
        throw new HavenError('version_conflict', `The record changed since version ${input.baseVersion} in fields this change recomputes: nothing was written.`, [], {
          currentVersion: row.version,
          fields: conflictValues(row.data, overwritten, access.readable),
        });
      }
      const saved = await this.repo.update(
        tx,
        {
          id: row.id,
          expectedVersion: row.version,
          data,
          fieldVersions: nextFieldVersions(row.fieldVersions, changes, row.version + 1),
          bundleHash: compiled.hash,
          changes,
          auditDetails: { module: row.module, recordType: row.recordType, fields: changes.map((c) => c.path) },
        },
        auditContext(actor),
      );
      return recordView(saved, ability);
    });
  }

  /** Disables (hides from lists, never deletes) or enables a record again; the reason goes to its history only. */
  async setDisabled(recordType: string, id: string, disabled: boolean, reason: string | undefined, actor: Actor): Promise<RecordView> {
    const denial: Denial = {};
    try {
      return await this.setDisabledChecked(recordType, id, disabled, reason, actor, denial);
    } catch (err) {
      await this.auditDenial(err, disabled ? 'disable' : 'enable', denial, actor);
      throw err;
    }
  }

  private setDisabledChecked(recordType: string, id: string, disabled: boolean, reason: string | undefined, actor: Actor, denial: Denial): Promise<RecordView> {
    const compiled = this.config.current();
    const { ability } = actor.principal;
    return this.repo.transaction(async (tx) => {
      const { row } = await this.lockFor(tx, 'disable', id, recordType, ability, compiled, denial);
      if (row.disabled === disabled) return recordView(row, ability);
      const change = { path: DISABLED_PATH, from: row.disabled, to: disabled, ...(reason === undefined ? {} : { reason }) };
      const saved = await this.repo.setDisabled(
        tx,
        { id: row.id, expectedVersion: row.version, disabled, changes: [change], auditDetails: { module: row.module, recordType: row.recordType } },
        auditContext(actor),
      );
      return recordView(saved, ability);
    });
  }

  /** Locks the record and checks `action` on it: 404 when the caller cannot read it (or it is missing), 403 when they can. */
  private async lockFor(tx: EntityManager, action: string, id: string, recordType: string, ability: HavenAbility, compiled: CompiledConfig, denial: Denial) {
    const row: RecordRow | undefined = await this.repo.lock(tx, id, recordType);
    if (row === undefined) throw notFound();
    const facts = factsOf(row);
    Object.assign(denial, { module: row.module, recordType: row.recordType, recordId: row.id });
    if (!ability.canRecord(action, row.module, row.recordType, facts)) {
      denial.reason = 'record';
      // A 403 says the record exists: only to those who can see it (a disabled record only to those who may disable it).
      const visible = ability.canRecord('read', row.module, row.recordType, facts) && (!row.disabled || ability.canRecord('disable', row.module, row.recordType, facts));
      if (visible) throw new HavenError('forbidden', `You may not ${action} this record.`);
      throw notFound();
    }
    const rt = compiled.findRecordType(row.module, row.recordType);
    if (rt === undefined) throw notFound();
    return { row, rt, facts };
  }

  /**
   * The `denied` audit row of a write the ability refused (`err` is what the caller gets). Written on its own,
   * after the write's transaction failed; its own failure is logged, never put in place of the caller's answer.
   */
  private async auditDenial(err: unknown, action: string, denial: Denial, actor: Actor): Promise<void> {
    if (denial.reason === undefined || !(err instanceof HavenError)) return;
    try {
      await this.audit.record({
        ...auditActor(actor),
        action: `record.${action}`,
        objectType: 'record',
        objectId: denial.recordId ?? null,
        outcome: 'denied',
        details: { module: denial.module, recordType: denial.recordType, reason: denial.reason },
      });
    } catch (auditErr) {
      logger.error({ err: String(auditErr), action: `record.${action}`, recordId: denial.recordId }, 'could not write the audit row of a denied write');
    }
  }

  private access(ability: HavenAbility, facts: RecordFacts): WriteAccess {
    return { writable: ability.writableFields(facts.module, facts.recordType, facts), readable: ability.readableFields(facts.module, facts.recordType, facts) };
  }

  /** The record type a create names; `module` may be left out only when one module defines the key. */
  private resolveType(compiled: CompiledConfig, recordType: string, module: string | undefined): CompiledRecordType {
    if (module !== undefined) return compiled.findRecordType(module, recordType) ?? this.fail(recordTypeNotFound());
    let index = this.byKey.get(compiled);
    if (index === undefined) {
      index = new Map();
      for (const rt of compiled.recordTypes) index.set(rt.key, [...(index.get(rt.key) ?? []), rt]);
      this.byKey.set(compiled, index);
    }
    const candidates = index.get(recordType) ?? [];
    if (candidates.length === 1) return candidates[0] as CompiledRecordType;
    if (candidates.length === 0) throw recordTypeNotFound();
    throw HavenError.validation([
      { code: 'required', path: '/module', message: `Several modules define "${recordType}" (${candidates.map((c) => c.module).join(', ')}): say which.` },
    ]);
  }

  private fail(error: HavenError): never {
    throw error;
  }
}

/** Current values of conflicting paths, cut down to what the caller may read (unreadable ones left out). */
export function conflictValues(stored: RecordData, paths: readonly string[], readable: ReadonlySet<string>): Record<string, unknown> {
  const visible = redactRecordData(stored, readable);
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const [key, rowId, field] = path.split('/') as [string, string | undefined, string | undefined];
    if (!readable.has(key)) continue;
    if (rowId === undefined) {
      out[path] = visible[key] ?? null;
      continue;
    }
    const rows = visible[key];
    const row = Array.isArray(rows) ? (rows as RecordData[]).find((r) => r?._id === rowId) : undefined;
    if (field === undefined) out[path] = row ?? null;
    else if (readable.has(`${key}.${field}`)) out[path] = row?.[field] ?? null;
  }
  return out;
}
