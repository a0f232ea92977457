import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  buildAbility,
  compileBundles,
  diffBundles,
  diffUsageQuestions,
  loadBundles,
  parseBundle,
  type BundleDiff,
  type ParsedBundle,
} from '../../engine/index.js';
import { AuditService } from '../audit/audit.service.js';
import { HavenError } from '../common/errors.js';
import { logger } from '../common/logger.js';
import type { Page } from '../common/pagination.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { ActiveConfigService } from './active-config.service.js';
import type { BundleFiles } from './bundle-files.js';
import { templateSourceIssues } from '../notifications/templates/handlebars-env.js';
import { importBundleDraft, invalidBundle, type ImportResult } from './bundle-import.js';
import { InvalidBundlesError } from './bundle-report.js';
import { ConfigRepository, type ActiveRecord, type BundleRecord, type BundleState, type ReviewRecord } from './config.repository.js';
import { dataUsage } from './record-usage.js';
import { systemSettings } from './system-settings.js';

/** Serialises every governance state change (submit, review, activate, roll back) across instances. */
const GOVERNANCE_LOCK = 7_262_836_3;

export interface BundleView {
  key: string;
  hash: string;
  version: string;
  state: BundleState;
  description: string | null;
  createdAt: Date;
  createdBy: string | null;
  submitter: { id: string | null; username: string } | null;
  submittedAt: Date | null;
  migrationNote: string | null;
  breaking: unknown[];
  approvals: { count: number; required: number; reviews: Array<{ username: string; decision: 'approve' | 'reject'; comment: string; at: Date }> };
  activatedAt: Date | null;
  files?: BundleFiles;
}

function parsedOrThrow(files: BundleFiles): ParsedBundle {
  const result = parseBundle(files);
  if (!result.bundle) throw new InvalidBundlesError(result.issues, 'A stored bundle does not parse');
  return result.bundle;
}

/**
 * The governance lifecycle of configuration bundles (docs/governance.md):
 *
 *   import -> draft -> submit -> submitted -> approve x N (steering committee, never the submitter) -> approved
 *          -> activate (system administrator; atomic; every instance reloads) -> active; the previous one superseded
 *   reject (with a comment) -> rejected; rollback -> the previously active bundle again
 *
 * Each state change runs in one transaction under an advisory lock and writes its audit row in it.
 */
@Injectable()
export class GovernanceService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
  ) {}

  private requiredApprovals(): number {
    return Math.max(1, systemSettings(this.config.current()).governance.requiredApprovals);
  }

  /**
   * Approvals of the bundle's current round that count: never the submitter's, and only from members who may still
   * approve (account enabled, a role with `bundle: approve` in the active configuration).
   */
  private approvalsOf(bundle: BundleRecord, reviews: readonly ReviewRecord[]): number {
    const compiled = this.config.current();
    const counted = reviews.filter(
      (r) =>
        r.hash === bundle.hash &&
        r.decision === 'approve' &&
        r.userId !== bundle.submittedBy &&
        r.reviewerRoles !== null &&
        buildAbility(compiled, { id: r.userId, username: r.username, agency: null, groups: [], roles: r.reviewerRoles }).can('approve', 'bundle'),
    );
    return new Set(counted.map((r) => r.userId)).size;
  }

  private view(bundle: BundleRecord, reviews: readonly ReviewRecord[], files?: BundleFiles): BundleView {
    const own = reviews.filter((r) => r.hash === bundle.hash);
    return {
      key: bundle.key,
      hash: bundle.hash,
      version: bundle.version,
      state: bundle.state,
      description: bundle.description,
      createdAt: bundle.createdAt,
      createdBy: bundle.createdBy,
      submitter: bundle.submittedByName ? { id: bundle.submittedBy, username: bundle.submittedByName } : null,
      submittedAt: bundle.submittedAt,
      migrationNote: bundle.migrationNote,
      breaking: bundle.breaking,
      approvals: {
        count: this.approvalsOf(bundle, own),
        required: this.requiredApprovals(),
        reviews: own.map((r) => ({ username: r.username, decision: r.decision, comment: r.comment, at: r.at })),
      },
      activatedAt: bundle.activatedAt,
      ...(files ? { files } : {}),
    };
  }

  async import(files: BundleFiles, actor: Actor): Promise<ImportResult> {
    try {
      return await importBundleDraft(this.ds, files, {
        id: actor.principal.userId,
        name: actor.principal.username,
        clientIp: actor.clientIp,
        requestId: actor.requestId,
      });
    } catch (err) {
      if (err instanceof InvalidBundlesError) throw invalidBundle(err.issues, 'The bundle is not valid');
      throw err;
    }
  }

  async list(filter: { bundle?: string; state?: BundleState; page: number; pageSize: number }): Promise<Page<BundleView>> {
    const repo = new ConfigRepository(this.ds.manager);
    const { items, total } = await repo.list({ key: filter.bundle, state: filter.state, limit: filter.pageSize, offset: (filter.page - 1) * filter.pageSize });
    const reviews = await repo.reviews(items.map((b) => b.hash));
    return { items: items.map((b) => this.view(b, reviews)), total, page: filter.page, pageSize: filter.pageSize };
  }

  async get(hash: string, withFiles: boolean): Promise<BundleView> {
    const repo = new ConfigRepository(this.ds.manager);
    const bundle = await repo.get(hash);
    if (!bundle) throw HavenError.notFound(`No bundle ${hash}.`);
    return this.view(bundle, await repo.reviews([hash]), withFiles ? await repo.files(hash) : undefined);
  }

  async active(key?: string): Promise<{ items: ActiveRecord[]; configHash: string; overlayVersion: number }> {
    const items = await new ConfigRepository(this.ds.manager).activeRecords(key);
    if (key !== undefined && items.length === 0) throw HavenError.notFound(`No active bundle "${key}".`);
    return { items, configHash: this.config.current().hash, overlayVersion: this.config.overlayVersion() };
  }

  /** The diff from `fromHash` to `toHash` (same bundle key), in the context of the other active bundles. */
  async diff(fromHash: string, toHash: string, db: EntityManager = this.ds.manager): Promise<BundleDiff> {
    const repo = new ConfigRepository(db);
    const [from, to] = await Promise.all([repo.get(fromHash), repo.get(toHash)]);
    if (!from) throw HavenError.notFound(`No bundle ${fromHash}.`);
    if (!to) throw HavenError.notFound(`No bundle ${toHash}.`);
    if (from.key !== to.key) {
      throw HavenError.validation([{ code: 'different_bundles', path: '', message: `${fromHash.slice(0, 12)} is bundle "${from.key}", ${toHash.slice(0, 12)} is "${to.key}".` }], 'A diff compares two versions of one bundle.');
    }
    return this.diffAgainst(from.key, parsedOrThrow((await repo.files(fromHash))!), parsedOrThrow((await repo.files(toHash))!), db);
  }

  private async diffAgainst(key: string, from: ParsedBundle | undefined, to: ParsedBundle, db: EntityManager): Promise<BundleDiff> {
    const others = this.config.loadedBundles().filter((b) => b.key !== key);
    const input = { before: from ? [...others, from] : [...others], after: [...others, to], bundle: key };
    const usage = await dataUsage(db, diffUsageQuestions(input));
    return diffBundles({ ...input, usage });
  }

  /** The diff a submission of `hash` would be reviewed with: against the active bundle of its key. */
  async pendingDiff(hash: string, db: EntityManager = this.ds.manager): Promise<BundleDiff> {
    const repo = new ConfigRepository(db);
    const bundle = await repo.get(hash);
    if (!bundle) throw HavenError.notFound(`No bundle ${hash}.`);
    const activeHash = (await repo.activeHashes()).get(bundle.key);
    const from = activeHash ? parsedOrThrow((await repo.files(activeHash))!) : undefined;
    return this.diffAgainst(bundle.key, from, parsedOrThrow((await repo.files(hash))!), db);
  }

  async submit(hash: string, body: { description: string; migrationNote?: string }, actor: Actor): Promise<BundleView> {
    return this.ds.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [GOVERNANCE_LOCK]);
      const repo = new ConfigRepository(tx);
      const bundle = await repo.get(hash, { lock: true });
      if (!bundle) throw HavenError.notFound(`No bundle ${hash}.`);
      if (!['draft', 'rejected', 'superseded'].includes(bundle.state)) {
        throw new HavenError('conflict', `Only a draft, rejected or superseded bundle can be submitted; this one is ${bundle.state}.`, [
          { code: 'invalid_state', path: '', message: `The bundle is ${bundle.state}.`, params: { state: bundle.state } },
        ]);
      }
      const diff = await this.pendingDiff(hash, tx);
      const breaking = diff.breaking.map((b) => ({ code: b.code, id: b.id, message: b.message, ...(b.identifying ? { identifying: true } : {}) }));
      const note = body.migrationNote?.trim() || null;
      if (breaking.length > 0 && note === null) {
        throw HavenError.validation(
          [{ code: 'migration_note_required', path: '/migrationNote', message: `The change has ${breaking.length} breaking change(s); describe how existing records and users are handled.`, params: { breaking } }],
          'Breaking changes need a migration note.',
        );
      }
      await repo.submit(hash, { userId: actor.principal.userId, username: actor.principal.username, description: body.description.trim(), migrationNote: note, breaking });
      await this.audit.record(
        {
          ...auditActor(actor),
          action: 'config.bundle_submitted',
          objectType: 'bundle',
          objectId: bundle.key,
          details: { hash, version: bundle.version, summary: diff.summary, breaking: breaking.map((b) => `${b.code}@${b.id}`), highlights: diff.highlights.length },
        },
        tx,
      );
      const updated = (await repo.get(hash))!;
      return this.view(updated, await repo.reviews([hash]));
    });
  }

  async review(hash: string, decision: 'approve' | 'reject', comment: string, actor: Actor): Promise<BundleView> {
    const required = this.requiredApprovals();
    return this.ds.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [GOVERNANCE_LOCK]);
      const repo = new ConfigRepository(tx);
      const bundle = await repo.get(hash, { lock: true });
      if (!bundle) throw HavenError.notFound(`No bundle ${hash}.`);
      const allowed: BundleState[] = decision === 'approve' ? ['submitted'] : ['submitted', 'approved'];
      if (!allowed.includes(bundle.state)) {
        throw new HavenError('conflict', `Only a ${allowed.join(' or ')} bundle can be ${decision === 'approve' ? 'approved' : 'rejected'}; this one is ${bundle.state}.`, [
          { code: 'invalid_state', path: '', message: `The bundle is ${bundle.state}.`, params: { state: bundle.state } },
        ]);
      }
      if (decision === 'approve' && bundle.submittedBy === actor.principal.userId) {
        await this.audit.record({ ...auditActor(actor), action: 'config.bundle_approve_refused', objectType: 'bundle', objectId: bundle.key, outcome: 'denied', details: { hash, reason: 'self_approval' } });
        throw new HavenError('forbidden', 'A submitter cannot approve their own submission.', [{ code: 'self_approval', path: '', message: 'Another steering-committee member must approve it.' }]);
      }
      // Nor may an account the submitter created, gave its roles or set the password of: a system administrator
      // could otherwise make the committee members that approve their own submission.
      if (decision === 'approve' && bundle.submittedBy !== null && (await repo.accountManagedBy(bundle.submittedBy, actor.principal.username))) {
        await this.audit.record({ ...auditActor(actor), action: 'config.bundle_approve_refused', objectType: 'bundle', objectId: bundle.key, outcome: 'denied', details: { hash, reason: 'approver_managed_by_submitter' } });
        throw new HavenError('forbidden', 'The submitter created this account, set its roles or its password: its approval cannot count.', [
          { code: 'approver_managed_by_submitter', path: '', message: 'A steering-committee member whose account the submitter did not manage must approve it.' },
        ]);
      }
      const added = await repo.addReview(hash, bundle.reviewRound, decision, actor.principal.userId, actor.principal.username, comment.trim());
      if (!added) {
        throw new HavenError('conflict', 'You already reviewed this submission.', [{ code: 'already_reviewed', path: '', message: 'One review per member and submission.' }]);
      }
      let state: BundleState = bundle.state;
      const approvals = this.approvalsOf(bundle, await repo.reviews([hash]));
      if (decision === 'reject') state = 'rejected';
      else if (approvals >= required) state = 'approved';
      if (state !== bundle.state) await repo.setState(hash, state);
      await this.audit.record(
        {
          ...auditActor(actor),
          action: decision === 'approve' ? 'config.bundle_approved' : 'config.bundle_rejected',
          objectType: 'bundle',
          objectId: bundle.key,
          details: { hash, version: bundle.version, round: bundle.reviewRound, approvals, required, state },
        },
        tx,
      );
      const updated = (await repo.get(hash))!;
      return this.view(updated, await repo.reviews([hash]));
    });
  }

  /**
   * Activates an approved bundle: the whole set that will be active is validated and compiled first; the
   * state change, the history row, the audit row and the NOTIFY commit together; then this instance reloads
   * before answering (the others reload on the notice).
   */
  async activate(hash: string, actor: Actor): Promise<{ bundle: BundleView; configHash: string; previousHash: string | null }> {
    const required = this.requiredApprovals();
    const outcome = await this.ds.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [GOVERNANCE_LOCK]);
      const repo = new ConfigRepository(tx);
      const bundle = await repo.get(hash, { lock: true });
      if (!bundle) throw HavenError.notFound(`No bundle ${hash}.`);
      if (bundle.state !== 'approved') {
        await this.audit.record({ ...auditActor(actor), action: 'config.bundle_activate_refused', objectType: 'bundle', objectId: bundle.key, outcome: 'denied', details: { hash, state: bundle.state } });
        throw new HavenError('conflict', `Only an approved bundle can be activated; this one is ${bundle.state}.`, [
          { code: 'not_approved', path: '', message: `The bundle is ${bundle.state}.`, params: { state: bundle.state } },
        ]);
      }
      const approvals = this.approvalsOf(bundle, await repo.reviews([hash]));
      if (approvals < required) {
        throw new HavenError('conflict', `The bundle has ${approvals} of the ${required} approvals it needs.`, [
          { code: 'not_enough_approvals', path: '', message: `${approvals} of ${required} approvals.`, params: { approvals, required } },
        ]);
      }
      const { configHash, bundleHashes, previous } = await this.checkedSet(repo, bundle.key, hash, true);
      await repo.activate(bundle.key, hash, actor.principal.username, { action: 'activate', previous, configHash, bundleHashes, actorId: actor.principal.userId });
      if (previous && previous !== hash) await repo.setState(previous, 'superseded');
      // Other versions reviewed or approved against the version that was active are stale now: activating one
      // later would make a change nobody reviewed (from this version to it). They must be submitted again.
      const stale = await repo.supersedePending(bundle.key, hash);
      await this.audit.record(
        { ...auditActor(actor), action: 'config.bundle_activated', objectType: 'bundle', objectId: bundle.key, details: { hash, version: bundle.version, previous, configHash, approvals, superseded: stale } },
        tx,
      );
      await ActiveConfigService.notify(tx, `activate:${bundle.key}:${hash}`);
      return { configHash, previous };
    });
    await this.reloadAfterCommit('activate');
    return { bundle: await this.get(hash, false), configHash: outcome.configHash, previousHash: outcome.previous };
  }

  /**
   * The committed change is in force (every instance reloads on its notice); a reload failing here is logged, never
   * answered as a failure of a change that is committed (the set was checked to compile before the commit).
   */
  private async reloadAfterCommit(action: string): Promise<void> {
    try {
      await this.config.reload();
    } catch (err) {
      logger.error({ err: String(err), action }, 'the configuration change is committed but this instance could not reload it yet');
    }
  }

  /** Returns `key` to the bundle that was active before the current one. */
  async rollback(key: string, actor: Actor): Promise<{ bundle: BundleView; configHash: string; rolledBack: string }> {
    const outcome = await this.ds.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [GOVERNANCE_LOCK]);
      const repo = new ConfigRepository(tx);
      const [active] = await repo.activeRecords(key);
      if (!active) throw HavenError.notFound(`No active bundle "${key}".`);
      if (!active.previousHash) {
        throw new HavenError('conflict', `Bundle "${key}" has no previously active version to return to.`, [{ code: 'nothing_to_roll_back', path: '/bundle', message: 'No earlier version was active.' }]);
      }
      const target = active.previousHash;
      const { configHash, bundleHashes } = await this.checkedSet(repo, key, target);
      const before = await repo.predecessor(key, target);
      await repo.activate(key, target, actor.principal.username, { action: 'rollback', previous: before, configHash, bundleHashes, actorId: actor.principal.userId });
      await repo.setState(active.hash, 'superseded');
      const stale = await repo.supersedePending(key, target);
      await this.audit.record(
        { ...auditActor(actor), action: 'config.bundle_rolled_back', objectType: 'bundle', objectId: key, details: { from: active.hash, to: target, configHash, superseded: stale } },
        tx,
      );
      await ActiveConfigService.notify(tx, `rollback:${key}:${target}`);
      return { configHash, target, from: active.hash };
    });
    await this.reloadAfterCommit('rollback');
    return { bundle: await this.get(outcome.target, false), configHash: outcome.configHash, rolledBack: outcome.from };
  }

  /** The active set with `hash` as bundle `key`: must load and compile, or nothing changes (422 with every issue). */
  /**
   * `templates`: also check the bundle's template sources under today's rules (activation; they were checked at
   * import, and the rules may have grown since). A rollback does not: going back must stay possible, and a template
   * that breaks a rule fails its renders with a clear error, never the server.
   */
  private async checkedSet(
    repo: ConfigRepository,
    key: string,
    hash: string,
    templates = false,
  ): Promise<{ configHash: string; bundleHashes: Record<string, string>; previous: string | null }> {
    const active = await repo.activeBundles();
    const files = await repo.files(hash);
    const set = [...active.filter((b) => b.key !== key).map((b) => b.files), files!];
    const result = loadBundles(set);
    if (!result.bundles) throw invalidBundle(result.issues, 'The bundles would not load together');
    if (templates) {
      const issues = templateSourceIssues(result.bundles.filter((b) => b.key === key));
      if (issues.length > 0) throw invalidBundle(issues, 'The bundle\'s templates do not compile under the current rules');
    }
    const compiled = compileBundles(result.bundles);
    return {
      configHash: compiled.hash,
      bundleHashes: Object.fromEntries(result.bundles.map((b) => [b.key, b.hash])),
      previous: active.find((b) => b.key === key)?.hash ?? null,
    };
  }
}
