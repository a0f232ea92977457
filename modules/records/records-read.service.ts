import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildAbility, referralSettings, usesUnsharedFields, withoutShares, type CompiledRecordType, type HavenAbility } from '../../engine/index.js';
import { AuditService } from '../audit/audit.service.js';
import { HavenError, type Issue } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { removedFieldValues } from '../config/removed-fields.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { disableEventChanges, redactChanges, type HistoryChange } from './history-view.js';
import { parseListParams } from './query/list-params.js';
import { compileListQuery, dataPaths } from './query/list-query.js';
import { listSql } from './query/list-sql.js';
import { EXACT_TOTAL_LIMIT, planRows, totalFromCount } from './query/list-total.js';
import { RecordIndexes } from './record-indexes.js';
import { includesIdentifying, recordView } from './record-view.js';
import { factsOf, RECORD_COLUMNS, toRecordRow, type RecordRow, type RecordView } from './record.types.js';
import { scopeSql, SqlParams } from './scope-sql.js';
import { UUID } from '../common/uuid.js';

export interface RecordPage {
  items: RecordView[];
  total: number;
  page: number;
  pageSize: number;
  totalIsEstimate?: true;
}

export interface HistoryEntry {
  version: number;
  at: string;
  actor: string | null;
  action: string;
  changes: HistoryChange[];
}

const KEY = /^[a-z][a-z0-9_]{0,62}$/;

/** The data fields a list query filters, sorts or searches on (`<key>` or `<subform>.<key>`). */
/** One message for "no such record", "not yours to see" and "a type you cannot read": they must look alike. */
const noRecord = () => HavenError.notFound('No such record.');
const noRecordType = () => HavenError.notFound('No such record type.');

/**
 * The read path of records (README "Read path"): get, list (filters, sort, search, count) and history. Every
 * query ANDs in `scopeSql(ability.recordConditions(action, m, rt))`, every record leaves through `recordView`,
 * and reads that return identifying data are audited (`record.read`, ids and field names only).
 *
 * A record type the caller cannot read at all answers exactly like one that does not exist (404), for lists
 * as for single records; a record outside the caller's scope, missing, or disabled (without the `disable`
 * action) is the same 404 as a missing one.
 */
@Injectable()
export class RecordsReadService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
    private readonly indexes: RecordIndexes,
  ) {}

  /**
   * The modules defining `recordType` in which the caller has `action`. With `module` given: that one (or none).
   */
  private candidates(ability: HavenAbility, recordType: string, module: string | undefined, action: string): CompiledRecordType[] {
    if (!KEY.test(recordType) || (module !== undefined && !KEY.test(module))) return [];
    return this.config
      .current()
      .recordTypes.filter((t) => t.key === recordType && (module === undefined || t.module === module) && ability.canRecord(action, t.module, t.key));
  }

  async get(actor: Actor, recordType: string, id: string, module?: string): Promise<RecordView> {
    const ability = actor.principal.ability;
    const types = this.candidates(ability, recordType, module, 'read');
    if (types.length === 0 || !UUID.test(id)) throw noRecord();
    const row = await this.findOne(ability, types, id, 'read');
    if (!row) throw noRecord();
    const type = types.find((t) => t.module === row.module)!;
    const view = recordView(row, ability);
    const removed = await this.removedFields(row, ability);
    if (removed.length) view.removedFields = removed;
    await this.auditIdentifying(actor, type, [view], { id: row.id });
    return view;
  }

  /**
   * Values of fields that a newer bundle removed: never lost, shown read-only. Who may see them is decided by the
   * roles of the configuration the record was last validated against; when that one is unknown, nobody.
   */
  private async removedFields(row: RecordRow, ability: HavenAbility): Promise<NonNullable<RecordView['removedFields']>> {
    const current = this.config.current();
    if (removedFieldValues(current, row).length === 0) return [];
    // Re-validated under the current configuration already: the fields were defined by the one before it.
    const hash = row.bundleHash !== current.hash ? row.bundleHash : await this.lastOtherConfigHash(current.hash);
    const previous = hash ? await this.config.configFor(hash) : undefined;
    if (!previous) return [];
    const readable = buildAbility(previous, ability.user).readableFields(row.module, row.recordType, factsOf(row));
    return removedFieldValues(current, row, previous).filter((f) => readable.has(f.path));
  }

  private async lastOtherConfigHash(currentHash: string): Promise<string | undefined> {
    const rows: Array<{ config_hash: string }> = await this.ds.query(
      `SELECT config_hash FROM config_activation WHERE config_hash IS NOT NULL AND config_hash <> $1 ORDER BY id DESC LIMIT 1`,
      [currentHash],
    );
    return rows[0]?.config_hash;
  }

  /** One record by id within the caller's `action` scope in any of `types`; disabled ones only within `disable` scope. */
  private async findOne(ability: HavenAbility, types: readonly CompiledRecordType[], id: string, action: string): Promise<RecordRow | undefined> {
    const params = new SqlParams();
    const idParam = params.add(id);
    const branches = types.map((t) => {
      const m = params.add(t.module);
      const rt = params.add(t.key);
      const scope = scopeSql(ability.recordConditions(action, t.module, t.key), params);
      const disabledScope = scopeSql(ability.recordConditions('disable', t.module, t.key), params);
      return `(r.module = ${m} AND r.record_type = ${rt} AND ${scope} AND (NOT r.disabled OR ${disabledScope}))`;
    });
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT ${RECORD_COLUMNS} FROM record r JOIN app_user o ON o.id = r.owner_id
        WHERE r.id = ${idParam}::uuid AND (${branches.join(' OR ')})`,
      params.values,
    );
    return rows[0] ? toRecordRow(rows[0]) : undefined;
  }

  async list(actor: Actor, recordType: string, rawQuery: unknown, rawQueryString: string): Promise<RecordPage> {
    const ability = actor.principal.ability;
    const { params, issues } = parseListParams(rawQuery, rawQueryString);
    const types = this.candidates(ability, recordType, params.module, 'read');
    // Shape problems are reported for unknown and unreadable types alike (they say nothing about the type).
    if (types.length === 0) throw issues.length ? HavenError.validation(issues, 'The list query is not valid.') : noRecordType();
    if (types.length > 1) {
      const issue: Issue = { code: 'module_required', path: '/module', message: `Several modules define "${recordType}": give module (${types.map((t) => t.module).join(', ')}).` };
      throw HavenError.validation([...issues, issue], 'The list query is not valid.');
    }
    const [type] = types;
    const compiled = this.config.current();
    void this.indexes.ensure(compiled);
    const context = {
      type,
      readable: ability.readableFields(type.module, type.key),
      canSeeDisabled: ability.canRecord('disable', type.module, type.key),
      locations: compiled.locations,
      compositeReady: (fields: readonly string[]) => this.indexes.compositeReady(compiled, type.module, type.key, fields),
    };
    const query = compileListQuery(params, context, issues);
    let read = ability.recordConditions('read', type.module, type.key);
    // Records shared through a referral are left out of lists filtered, sorted or searched on other forms' fields.
    if (usesUnsharedFields(referralSettings(compiled).referral(type.module, type.key), dataPaths(query)) && (await this.hasReferralShares(ability.user.id, type))) {
      read = withoutShares(read);
    }
    const sql = listSql(
      query,
      {
        module: type.module,
        recordType: type.key,
        read,
        disable: ability.recordConditions('disable', type.module, type.key),
      },
      EXACT_TOTAL_LIMIT,
    );
    // One statement gives the page and the exact total up to the limit (list-sql.ts: one scan, or one index scan per
    // scope alternative where a composite index holds the filters); beyond it, the page query (which may stop early
    // on an index that delivers the order) and the planner's estimate.
    const counted: Array<Record<string, unknown> & { total_count: number }> = await this.ds.query(sql.pageAndTotal, sql.itemsParams);
    const n = counted[0]?.total_count ?? 0;
    let rows: Record<string, unknown>[];
    let total: { total: number; totalIsEstimate?: true };
    if (n <= EXACT_TOTAL_LIMIT) {
      rows = counted.filter((r) => r.id !== null);
      total = totalFromCount(n, undefined);
    } else {
      rows = await this.ds.query(sql.items, sql.itemsParams);
      total = totalFromCount(n, planRows(await this.ds.query(sql.explain, sql.params)));
    }
    const items = rows.map((r) => recordView(toRecordRow(r), ability, { owned: true }));
    await this.auditIdentifying(actor, type, items, { list: true });
    return { items, ...total, page: query.page, pageSize: query.pageSize };
  }

  /** Whether the user holds a live referral share of some record of the type (docs/referrals.md "Lists"). */
  private async hasReferralShares(userId: string, type: CompiledRecordType): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `SELECT 1 FROM record_share s JOIN record r ON r.id = s.record_id
        WHERE s.user_id = $1 AND s.kind = 'referral' AND s.revoked_at IS NULL AND r.module = $2 AND r.record_type = $3 LIMIT 1`,
      [userId, type.module, type.key],
    );
    return rows.length > 0;
  }

  async history(actor: Actor, recordType: string, id: string, module?: string): Promise<{ items: HistoryEntry[] }> {
    const ability = actor.principal.ability;
    const types = this.candidates(ability, recordType, module, 'view_history');
    if (types.length === 0 || !UUID.test(id)) throw noRecord();
    const row = await this.findOne(ability, types, id, 'view_history');
    if (!row) throw noRecord();
    const type = types.find((t) => t.module === row.module)!;
    const readable = ability.readableFields(row.module, row.recordType, factsOf(row));
    const subforms = new Set(type.subforms.map((s) => s.key));
    const identifying = new Set(type.identifyingFields);
    const rows: Array<{ version: number; at: Date; actor: string | null; action: string; changes: unknown }> = await this.ds.query(
      `SELECT h.version, h.at, u.username AS actor, h.action, h.changes
         FROM record_history h LEFT JOIN app_user u ON u.id = h.actor_id
        WHERE h.record_id = $1 ORDER BY h.version, h.id`,
      [row.id],
    );
    const seen = new Set<string>();
    const items = rows.map((h) => {
      const redacted = redactChanges(disableEventChanges(h.action, h.changes), readable, subforms, identifying);
      for (const path of redacted.identifying) seen.add(path);
      // A change the caller may see none of is shown as a plain update: its action (an attachment added to a field
      // they cannot read, say) would tell what they may not know.
      const allHidden = h.action !== 'create' && Array.isArray(h.changes) && h.changes.length > 0 && redacted.changes.length === 0;
      return { version: h.version, at: new Date(h.at).toISOString(), actor: h.actor, action: allHidden ? 'update' : h.action, changes: redacted.changes };
    });
    if (seen.size > 0) {
      await this.audit.record({
        ...auditActor(actor),
        action: 'record.read',
        objectType: 'record',
        objectId: row.id,
        details: { identifying: true, history: true, module: type.module, recordType: type.key, fields: [...seen].sort() },
      });
    }
    return { items };
  }

  /** `record.read` with `details.identifying` when any of the views carries an identifying field (ids and names only). */
  private async auditIdentifying(actor: Actor, type: CompiledRecordType, views: readonly RecordView[], what: { id: string } | { list: true }): Promise<void> {
    const identifying = type.identifyingFields;
    const withIdentifying = views.filter((v) => includesIdentifying(v, identifying));
    if (withIdentifying.length === 0) return;
    const fields = new Set<string>();
    for (const view of withIdentifying) {
      for (const path of identifying) if (includesIdentifying(view, [path])) fields.add(path);
    }
    const base = { identifying: true, module: type.module, recordType: type.key, fields: [...fields].sort() };
    await this.audit.record({
      ...auditActor(actor),
      action: 'record.read',
      objectType: 'record',
      objectId: 'id' in what ? what.id : null,
      details: 'id' in what ? base : { ...base, list: true, ids: withIdentifying.map((v) => v.id) },
    });
  }
}
