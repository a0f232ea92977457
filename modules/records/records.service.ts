import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { redactRecordData, type CompiledConfig, type CompiledRecordType, type HavenAbility, type ProcessContext, type RecordFacts } from '../../engine/index.js';
import type { Principal } from '../auth/principal.js';
import { HavenError, type Issue } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import type { Actor } from '../users/request-actor.js';
import { diffData, mergePatch, nextFieldVersions, type RecordData } from './merge.js';
import { recordView } from './record-view.js';
import { factsOf, type RecordRow, type RecordView } from './record.types.js';
import type { CreateRecordInput, UpdateRecordInput } from './records.dto.js';
import { type AuditContext, RecordsRepository } from './records.repository.js';
import { formatDisplayId, newShortId } from './short-id.js';
import { bodyIssue, mergeShape, unwritableFields, withRowIds, type WriteAccess } from './write-access.js';

/** Short ids are random over 31^7 values: a clash is rare, five in a row means something else is wrong. */
const SHORT_ID_ATTEMPTS = 5;

/** A record outside the caller's reach is missing to them: same code, same message. */
const notFound = () => HavenError.notFound('No such record.');
const recordTypeNotFound = () => HavenError.notFound('No such record type.');

/** The record type's workflow initial state once bundles define workflows; `open` until then. */
function initialStatus(rt: CompiledRecordType): string {
  const workflow = (rt.definition as { workflow?: { initial?: unknown } }).workflow;
  return typeof workflow?.initial === 'string' ? workflow.initial : 'open';
}

function processContext(p: Principal, now: Date): ProcessContext {
  const iso = now.toISOString();
  return { user: { id: p.userId, agency: p.agencyCode, roles: p.roles, groups: p.groupCodes }, today: iso.slice(0, 10), now: iso, locale: p.locale };
}

function auditContext(actor: Actor): AuditContext {
  return { actorId: actor.principal.userId, actor: actor.principal.username, clientIp: actor.clientIp, requestId: actor.requestId };
}

/** Engine issues and refused fields together; engine issues under a refused field add nothing. */
function allIssues(refused: Issue[], engine: Issue[]): Issue[] {
  if (refused.length === 0) return engine;
  const under = (path: string) => refused.some((r) => path === r.path || path.startsWith(`${r.path}/`));
  return [...refused, ...engine.filter((issue) => !under(issue.path))];
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
  ) {}

  /** Creates a record; with `tx`, inside that transaction (a caller that writes more in the same change). */
  async create(recordType: string, input: CreateRecordInput, actor: Actor, tx?: EntityManager): Promise<RecordView> {
    const compiled = this.config.current();
    const rt = this.resolveType(compiled, recordType, input.module);
    const p = actor.principal;
    const { ability } = p;
    const facts: RecordFacts = { module: rt.module, recordType: rt.key, ownerId: p.userId, ownerAgency: p.agencyCode, ownerGroups: p.groupCodes, sharedWith: [] };
    if (!ability.canRecord('create', rt.module, rt.key, facts)) {
      if (ability.canRecord('read', rt.module, rt.key)) throw new HavenError('forbidden', `You may not create ${rt.key} records.`);
      throw recordTypeNotFound();
    }
    const shape = mergeShape(rt);
    const data = withRowIds(input.data, shape.subforms, randomUUID);
    const refused = unwritableFields(rt, data, {}, this.access(ability, facts));
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
      if (row !== undefined) return recordView(row, ability);
    }
    throw new Error(`no free short id after ${SHORT_ID_ATTEMPTS} attempts`);
  }

  async update(recordType: string, id: string, input: UpdateRecordInput, actor: Actor): Promise<RecordView> {
    const compiled = this.config.current();
    const p = actor.principal;
    const { ability } = p;
    return this.repo.transaction(async (tx) => {
      const { row, rt, facts } = await this.lockFor(tx, 'update', id, recordType, ability, compiled);
      if (row.disabled) {
        // As on the read path: a disabled record is there only for those who may disable (and enable) it.
        if (!ability.canRecord('disable', row.module, row.recordType, facts)) throw notFound();
        throw new HavenError('conflict', 'This record is disabled: enable it before changing it.');
      }
      if (input.baseVersion > row.version) {
        throw HavenError.validation([{ code: 'unknown_version', path: '/version', message: `The record is at version ${row.version}.` }]);
      }
      const shape = mergeShape(rt);
      const access = this.access(ability, facts);
      const patch = withRowIds(input.data, shape.subforms, randomUUID);
      const refused = unwritableFields(rt, patch, row.data, access);
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
    const compiled = this.config.current();
    const { ability } = actor.principal;
    return this.repo.transaction(async (tx) => {
      const { row } = await this.lockFor(tx, 'disable', id, recordType, ability, compiled);
      if (row.disabled === disabled) return recordView(row, ability);
      const change = { path: 'disabled', from: row.disabled, to: disabled, ...(reason === undefined ? {} : { reason }) };
      const saved = await this.repo.setDisabled(
        tx,
        { id: row.id, expectedVersion: row.version, disabled, changes: [change], auditDetails: { module: row.module, recordType: row.recordType } },
        auditContext(actor),
      );
      return recordView(saved, ability);
    });
  }

  /** Locks the record and checks `action` on it: 404 when the caller cannot read it (or it is missing), 403 when they can. */
  private async lockFor(tx: EntityManager, action: string, id: string, recordType: string, ability: HavenAbility, compiled: CompiledConfig) {
    const row: RecordRow | undefined = await this.repo.lock(tx, id, recordType);
    if (row === undefined) throw notFound();
    const facts = factsOf(row);
    if (!ability.canRecord(action, row.module, row.recordType, facts)) {
      if (ability.canRecord('read', row.module, row.recordType, facts)) throw new HavenError('forbidden', `You may not ${action} this record.`);
      throw notFound();
    }
    const rt = compiled.findRecordType(row.module, row.recordType);
    if (rt === undefined) throw notFound();
    return { row, rt, facts };
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
