import type { EntityManager } from 'typeorm';
import { buildAbility, type CompiledConfig, type CompiledRecordType, type HavenAbility, type ProcessContext, type RecordFacts } from '../../engine/index.js';
import type { Principal } from '../auth/principal.js';
import { HavenError } from '../common/errors.js';
import type { RecordsRepository, AuditContext } from '../records/records.repository.js';
import { factsOf, type RecordRow } from '../records/record.types.js';
import type { Actor } from '../users/request-actor.js';
import type { CandidateUser, WorkflowRepository } from './workflow.repository.js';

/** "Missing", "not yours to see" and "disabled" look alike (the existence of a case is itself confidential). */
export const noRecord = () => HavenError.notFound('No such record.');

export interface LockedRecord {
  readonly row: RecordRow;
  readonly rt: CompiledRecordType;
  readonly facts: RecordFacts;
}

/**
 * Locks the record for the rest of the transaction and checks that the caller may `actions` (all of them) on it:
 * 404 when they cannot read it (or it is missing, of another type, or disabled to them), 403 when they can read it
 * but lack an action; 409 on a disabled record they may see.
 */
export async function lockFor(
  tx: EntityManager,
  records: Pick<RecordsRepository, 'lock'>,
  compiled: CompiledConfig,
  ability: HavenAbility,
  recordType: string,
  id: string,
  actions: readonly string[],
): Promise<LockedRecord> {
  const row = await records.lock(tx, id, recordType);
  if (row === undefined) throw noRecord();
  const facts = factsOf(row);
  const rt = compiled.findRecordType(row.module, row.recordType);
  if (rt === undefined || !ability.canRecord('read', row.module, row.recordType, facts)) throw noRecord();
  if (row.disabled) {
    if (!ability.canRecord('disable', row.module, row.recordType, facts)) throw noRecord();
    throw new HavenError('conflict', 'This record is disabled: enable it first.');
  }
  const missing = actions.find((action) => !ability.canRecord(action, row.module, row.recordType, facts));
  if (missing !== undefined) throw new HavenError('forbidden', `Your role does not allow "${missing}" on this record.`);
  return { row, rt, facts };
}

/** Checks the optional `version` a client based its action on. */
export function checkVersion(row: RecordRow, version: number | undefined): void {
  if (version !== undefined && version !== row.version) {
    throw new HavenError('version_conflict', `The record is at version ${row.version}, not ${version}: reload it and try again.`, [], { currentVersion: row.version });
  }
}

export function processContext(p: Principal, now = new Date()): ProcessContext {
  const iso = now.toISOString();
  return { user: { id: p.userId, agency: p.agencyCode, roles: p.roles, groups: p.groupCodes }, today: iso.slice(0, 10), now: iso, locale: p.locale };
}

export function auditContext(actor: Actor): AuditContext {
  return { actorId: actor.principal.userId, actor: actor.principal.username, clientIp: actor.clientIp, requestId: actor.requestId };
}

/** Whether two users share a user group (how "supervises the owner's group" is decided). */
export function shareGroup(a: readonly string[], b: readonly string[]): boolean {
  return a.some((group) => b.includes(group));
}

/**
 * Who may decide an approval of `type` on the record: active members of the owner's groups whose role grants
 * `approve_<type>` on it, never the owner nor `exclude` (the requester).
 */
export async function approversOf(
  tx: EntityManager,
  repo: WorkflowRepository,
  compiled: CompiledConfig,
  row: RecordRow,
  types: readonly string[],
  exclude: readonly string[],
): Promise<CandidateUser[]> {
  const facts = factsOf(row);
  const members = await repo.groupMembers(tx, row.ownerGroups);
  return members.filter(
    (user) =>
      user.id !== row.ownerId &&
      !exclude.includes(user.id) &&
      types.some((type) => buildAbility(compiled, user).canRecord(`approve_${type}`, row.module, row.recordType, facts)),
  );
}
