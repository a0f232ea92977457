import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CompiledConsent, HavenAbility, RecordFacts } from '../../engine/index.js';
import { PrincipalLoader } from '../auth/principal.loader.js';
import type { Principal } from '../auth/principal.js';
import { HavenError, type Issue } from '../common/errors.js';
import { RecordsRepository, type AuditContext } from '../records/records.repository.js';
import { factsOf, type RecordRow } from '../records/record.types.js';
import type { Actor } from '../users/request-actor.js';
import { TransitionsRepository, type TransitionRow } from './transitions.repository.js';

/** What the API shows of a referral, transfer or transfer request: ids, usernames, keys and notes, never field values. */
export interface TransitionView {
  id: string;
  kind: string;
  status: string;
  record: { id: string; displayId: string; module: string; recordType: string };
  fromUser: string | null;
  fromAgency: string | null;
  toUser: string | null;
  toAgency: string | null;
  service?: string | null;
  notes: string | null;
  responseNote: string | null;
  consentOverridden: boolean;
  consentOverrideReason: string | null;
  sharedForms?: string[] | null;
  targetModule?: string | null;
  createdRecordId?: string | null;
  createdAt: string;
  respondedAt: string | null;
  completedAt: string | null;
  revokedAt: string | null;
}

/**
 * The API shape of a transition. The consent override reason (why a case went out without consent) is shown to
 * the sender and to those who read the record other than through a share, not to the receiver.
 */
export function transitionView(t: TransitionRow, showOverrideReason: boolean): TransitionView {
  const iso = (d: Date | null) => (d === null ? null : d.toISOString());
  return {
    id: t.id,
    kind: t.kind,
    status: t.status,
    record: { id: t.recordId, displayId: t.displayId, module: t.module, recordType: t.recordType },
    fromUser: t.fromUsername,
    fromAgency: t.fromAgency,
    toUser: t.toUsername,
    toAgency: t.toAgency,
    ...(t.kind === 'referral' ? { service: t.service, sharedForms: t.sharedForms, targetModule: t.targetModule, createdRecordId: t.createdRecordId } : {}),
    notes: t.notes,
    responseNote: t.responseNote,
    consentOverridden: t.consentOverridden,
    consentOverrideReason: showOverrideReason ? t.consentOverrideReason : null,
    createdAt: t.createdAt.toISOString(),
    respondedAt: iso(t.respondedAt),
    completedAt: iso(t.completedAt),
    revokedAt: iso(t.revokedAt),
  };
}

export function auditContext(actor: Actor): AuditContext {
  return { actorId: actor.principal.userId, actor: actor.principal.username, clientIp: actor.clientIp, requestId: actor.requestId };
}

/** A record outside the caller's reach is missing to them: same code, same message. */
export const noRecord = (): HavenError => HavenError.notFound('No such record.');

const todayOf = (now: Date): string => now.toISOString().slice(0, 10);

/** The receiving user of a referral or transfer: their ability decides whether they may receive it. */
export interface Recipient {
  readonly id: string;
  readonly username: string;
  readonly principal: Principal;
}

/**
 * What referrals and transfers share: locking the record and checking the caller's action on it, finding the
 * receiving user with their ability, and the consent decision.
 */
@Injectable()
export class TransitionSupport {
  constructor(
    private readonly records: RecordsRepository,
    private readonly transitions: TransitionsRepository,
    private readonly principals: PrincipalLoader,
  ) {}

  /**
   * Locks the record and checks `action` on it: 404 when the caller cannot read it (nor act on it) or it is
   * missing, 403 when they can read it but not act. Disabled records take no transitions (409).
   */
  async lockFor(tx: EntityManager, actor: Actor, recordType: string, id: string, action: string, readNeeded = true): Promise<{ row: RecordRow; facts: RecordFacts }> {
    const row = await this.records.lock(tx, id, recordType);
    if (row === undefined) throw noRecord();
    const facts = factsOf(row);
    const { ability } = actor.principal;
    const can = ability.canRecord(action, row.module, row.recordType, facts);
    const reads = ability.canRecord('read', row.module, row.recordType, facts);
    // A 403 says the record exists: only to those who can see it (a disabled record only to those who may disable it).
    const visible = reads && (!row.disabled || ability.canRecord('disable', row.module, row.recordType, facts));
    if (!can) {
      if (visible) throw new HavenError('forbidden', `You may not ${action.replace(/_/g, ' ')} this record.`);
      throw noRecord();
    }
    if (readNeeded && !reads) throw noRecord();
    if (row.disabled) {
      if (!ability.canRecord('disable', row.module, row.recordType, facts)) throw noRecord();
      throw new HavenError('conflict', 'This record is disabled: enable it first.');
    }
    return { row, facts };
  }

  /** The record, when the caller may read it (not disabled, unless they may disable it); 404 otherwise. No lock. */
  async readable(actor: Actor, recordType: string, id: string): Promise<RecordRow> {
    const row = await this.transitions.record(id, recordType);
    const facts = row === undefined ? undefined : factsOf(row);
    const { ability } = actor.principal;
    if (row === undefined || facts === undefined || !ability.canRecord('read', row.module, row.recordType, facts)) throw noRecord();
    if (row.disabled && !ability.canRecord('disable', row.module, row.recordType, facts)) throw noRecord();
    return row;
  }

  /** Locks the record a transition is about (no ability check: the caller's part in the transition decides). */
  async lockRecordOf(tx: EntityManager, t: TransitionRow): Promise<RecordRow> {
    const row = await this.records.lock(tx, t.recordId, t.recordType);
    if (row === undefined) throw new Error(`record ${t.recordId} of transition ${t.id} is missing`);
    return row;
  }

  /** The user named by username, able to sign in, with their ability; a validation issue otherwise. */
  async recipient(username: string, actor: Actor, issues: Issue[]): Promise<Recipient | undefined> {
    const found = await this.transitions.userByName(username);
    const user = found === undefined || found.disabled ? undefined : await this.principals.user(found.id);
    if (user === undefined || user.disabled) {
      issues.push({ code: 'unknown_user', path: '/toUser', message: `There is no active user "${username}".` });
      return undefined;
    }
    if (user.id === actor.principal.userId) {
      issues.push({ code: 'invalid_value', path: '/toUser', message: 'You cannot send this to yourself.' });
      return undefined;
    }
    return { id: user.id, username: user.username, principal: this.principals.principal(user, '') };
  }

  /**
   * Applies a consent rule: nothing when consent is given; with it missing, the transition goes ahead only for a
   * caller whose role grants `consent_override` on the record and who gives a reason (then `overridden`).
   * Otherwise 409 `consent_required`, pointing at the consent fields — only at the ones not given when the
   * caller may read them all, at all of them otherwise (their values stay unknown to the caller).
   */
  checkConsent(consent: CompiledConsent, row: RecordRow, facts: RecordFacts, actor: Actor, overrideReason: string | null, service?: string): { overridden: boolean } {
    const p = actor.principal;
    const now = new Date();
    const outcome = consent.check(
      { record: row.data, user: { id: p.userId, agency: p.agencyCode, roles: p.roles, groups: p.groupCodes }, today: todayOf(now), now: now.toISOString() },
      service,
    );
    if (outcome.given) return { overridden: false };
    const { ability } = p;
    const mayOverride = ability.canRecord('consent_override', row.module, row.recordType, facts);
    if (mayOverride && overrideReason !== null) return { overridden: true };
    const readable = ability.readableFields(row.module, row.recordType, facts);
    const all = consent.fieldsFor(service);
    const fields = all.every((f) => readable.has(f)) ? outcome.fields : all;
    const issues: Issue[] = fields.map((field) => ({ code: 'consent_required', path: `/data/${field}`, message: `Consent recorded in "${field}" is needed.` }));
    if (overrideReason !== null && !mayOverride) {
      issues.push({ code: 'consent_override_not_allowed', path: '/consentOverrideReason', message: 'Your role does not allow overriding consent.' });
    } else if (mayOverride) {
      issues.push({ code: 'required', path: '/consentOverrideReason', message: 'To go ahead without consent, give the reason (it is audited).' });
    }
    throw new HavenError('conflict', 'The record does not hold the consent this needs: nothing was stored.', issues, { reason: 'consent_required' });
  }

  /** Whether the caller reaches the record other than through its shares (owner, group, agency, all). */
  static readsWithoutShares(ability: HavenAbility, facts: RecordFacts): boolean {
    const unshared: RecordFacts = { ...facts, sharedWith: facts.sharedWith.filter((id) => id !== ability.user.id) };
    return ability.canRecord('read', facts.module, facts.recordType, unshared);
  }
}
