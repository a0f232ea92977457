import type { CompiledConfig, CompiledRecordType, FieldInfo, ProcessContext } from '../../engine/index.js';
import { RecordDrafter } from './draft.js';
import { genericValue, type ValueContext } from './field-values.js';
import { freeFields } from './free-fields.js';
import type { SeedUser } from './people.js';
import { DRAFT_ROWS, profileFor, type DraftState, type RecordProfile } from './profiles.js';
import { dayNumber, Random } from './random.js';

/**
 * Records of one type, fast and still engine-valid. A pool of records is drafted and processed by the engine one
 * by one (draft.ts: visibility, computed values, rules); record `i` is a pool record with its free fields
 * (free-fields.ts: no rule reads them) drawn again, fresh row ids and, unless a rule reads the user, its own
 * owner. Up to the pool size every record IS a pool record. `check()` runs `process()` on a record and requires
 * no issue and exactly the same data back (so computed values are right too); the seed calls it on a sample.
 */

const DAY_MS = 86_400_000;

export interface SourceOptions {
  readonly seed: number;
  /** `YYYY-MM-DD`: rules and "not in the future" checks run as of this day. */
  readonly today: string;
  readonly poolSize: number;
  /** Offset of the first record (records already seeded of this type), so appended records differ. */
  readonly offset: number;
}

export interface SeededRecord {
  readonly index: number;
  readonly id: string;
  readonly owner: SeedUser;
  readonly status: string;
  readonly createdAt: Date;
  /** The record's data as JSON text (what is stored). */
  readonly json: string;
  /**
   * With `history`: the create history row's changes as JSON text, as the write path records a create (one
   * `{ path, from: null, to }` per top-level value, one per subform row at `<subform>/<row id>`), and their paths.
   */
  readonly changes?: string;
  readonly paths?: readonly string[];
}

/**
 * A pool record as JSON text segments, so that a record is assembled by concatenating a few strings: runs of values
 * that never change are pre-joined (`"a":1,"b":2`, and the matching history changes), free values are drawn again,
 * subform rows get fresh `_id`s. Each segment's text starts with its separating comma when it is not the first.
 */
type Segment =
  | { readonly kind: 'fixed'; readonly json: string; readonly changes: string; readonly paths: readonly string[] }
  | { readonly kind: 'free'; readonly key: string; readonly prefix: string; readonly field: FieldInfo; readonly json: string; readonly changePrefix: string }
  | { readonly kind: 'rows'; readonly key: string; readonly prefix: string; readonly rows: readonly string[]; readonly first: boolean };

interface PoolEntry {
  readonly data: Readonly<Record<string, unknown>>;
  readonly segments: readonly Segment[];
  readonly owner: SeedUser;
  readonly status: string;
  readonly eventDay: number;
  readonly createdDay: number;
}

export class RecordCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordCheckError';
  }
}

/** Deep equality of JSON values, object key order ignored. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameJson(v, (b as unknown[])[i]));
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function processContext(owner: SeedUser, today: string): ProcessContext {
  return {
    user: { id: owner.id, agency: owner.agencyCode, roles: owner.roles, groups: owner.groupCodes },
    today,
    now: `${today}T12:00:00.000Z`,
  };
}

export class RecordSource {
  readonly rt: CompiledRecordType;
  readonly profile: RecordProfile;
  private readonly drafter: RecordDrafter;
  private readonly free: readonly FieldInfo[];
  private readonly dependsOnUser: boolean;
  private readonly subformKeys: readonly string[];
  private readonly todayDay: number;
  private readonly locations: readonly string[];
  private readonly agencies: readonly string[];
  /** Usernames for `user` fields: the owner's colleagues, per agency. */
  private readonly colleagues = new Map<string, readonly string[]>();
  private pool: PoolEntry[] = [];
  /** Milliseconds spent drafting the pool (engine included). */
  poolMs = 0;

  constructor(
    compiled: CompiledConfig,
    module: string,
    recordType: string,
    private readonly owners: readonly SeedUser[],
    private readonly options: SourceOptions,
  ) {
    if (owners.length === 0) throw new Error(`No caseworker can own ${module}/${recordType} records.`);
    this.rt = compiled.recordType(module, recordType);
    this.profile = profileFor(module, recordType);
    this.drafter = new RecordDrafter(this.rt, this.profile);
    const free = freeFields(compiled, this.rt);
    this.free = free.fields;
    this.dependsOnUser = free.dependsOnUser;
    this.subformKeys = this.rt.subforms.map((s) => s.key);
    this.todayDay = dayNumber(options.today);
    const { locations } = compiled;
    const all = [...locations.nodes.keys()];
    const leaves = all.filter((code) => locations.children(code).length === 0);
    this.locations = leaves.length ? leaves : all;
    this.agencies = [...new Set(owners.map((o) => o.agencyCode))];
    for (const agency of this.agencies) this.colleagues.set(agency, owners.filter((o) => o.agencyCode === agency).map((o) => o.username));
  }

  get module(): string {
    return this.rt.module;
  }

  get recordType(): string {
    return this.rt.key;
  }

  /** Records drafted by the engine for the pool. */
  get poolCount(): number {
    return this.pool.length;
  }

  /** The stream index of record `i` of this run (records already seeded of the type come first). */
  offsetOf(i: number): number {
    return this.options.offset + i;
  }

  /** Names of the fields re-drawn per record (for the summary). */
  get freeFieldKeys(): readonly string[] {
    return this.free.map((f) => f.key);
  }

  private valueContext(rng: Random, owner: SeedUser, eventDay: number, createdDay: number): ValueContext {
    return { rng, todayDay: this.todayDay, eventDay, createdDay, usernames: this.colleagues.get(owner.agencyCode) ?? [], agencies: this.agencies, locations: this.locations };
  }

  /** Drafts the pool: `min(count, poolSize)` engine-processed records. */
  preparePool(count: number): void {
    const started = performance.now();
    const size = Math.max(1, Math.min(count, this.options.poolSize));
    this.pool = [];
    for (let j = 0; j < size; j++) {
      const rng = Random.for(this.options.seed, this.module, this.recordType, 'pool', this.options.offset + j);
      const owner = rng.pick(this.owners);
      const { eventDay, createdDay } = this.profile.days({ rng, todayDay: this.todayDay });
      const state: Omit<DraftState, 'data'> = {
        ...this.valueContext(rng, owner, eventDay, createdDay),
        ownerFullName: owner.fullName,
        todayIso: this.options.today,
      };
      const data = this.drafter.draft(state, processContext(owner, this.options.today));
      this.pool.push({ data, segments: this.segments(data), owner, status: this.profile.status(data), eventDay, createdDay });
    }
    this.poolMs = performance.now() - started;
  }

  private segments(data: Record<string, unknown>): Segment[] {
    const free = new Map(this.free.map((f) => [f.key, f]));
    const out: Segment[] = [];
    let fixed: { json: string; changes: string; paths: string[] } | undefined;
    let count = 0;
    const change = (path: string, to: string, first: boolean) => `${first ? '' : ','}{"path":${JSON.stringify(path)},"from":null,"to":${to}}`;
    for (const [key, value] of Object.entries(data)) {
      const first = count++ === 0;
      const prefix = `${first ? '' : ','}${JSON.stringify(key)}:`;
      const field = free.get(key);
      if (field !== undefined && value !== null) {
        fixed = undefined;
        out.push({ kind: 'free', key, prefix, field, json: JSON.stringify(value), changePrefix: change(key, '', first).slice(0, -1) });
      } else if (this.subformKeys.includes(key) && Array.isArray(value)) {
        fixed = undefined;
        // Each row as its JSON text after `_id` (`,"a":1,...` or ``): the record gets fresh row ids.
        const rows = value.map((row: Record<string, unknown>) => {
          const { _id: _ignored, ...rest } = row;
          const text = JSON.stringify(rest);
          return text === '{}' ? '' : `,${text.slice(1, -1)}`;
        });
        out.push({ kind: 'rows', key, prefix, rows, first });
      } else {
        const json = JSON.stringify(value);
        if (fixed === undefined) {
          fixed = { json: '', changes: '', paths: [] };
          out.push({ kind: 'fixed', ...fixed });
        }
        fixed.json += prefix + json;
        fixed.changes += change(key, json, first);
        fixed.paths.push(key);
        out[out.length - 1] = { kind: 'fixed', json: fixed.json, changes: fixed.changes, paths: fixed.paths };
      }
    }
    return out;
  }

  /** Record `i` (0-based, before the offset) of a run of `count`; with `history`, its create changes too. */
  record(i: number, count: number, history = false): SeededRecord {
    const index = this.options.offset + i;
    const rng = Random.for(this.options.seed, this.module, this.recordType, index);
    const id = rng.uuid();
    const reuse = count > this.pool.length || i >= this.pool.length;
    const entry = reuse ? this.pool[rng.int(0, this.pool.length - 1)]! : this.pool[i]!;
    const owner = reuse && !this.dependsOnUser ? rng.pick(this.owners) : entry.owner;
    const state: DraftState = {
      rng,
      todayDay: this.todayDay,
      eventDay: entry.eventDay,
      createdDay: entry.createdDay,
      usernames: this.colleagues.get(owner.agencyCode) ?? [],
      agencies: this.agencies,
      locations: this.locations,
      data: entry.data,
      ownerFullName: owner.fullName,
      todayIso: this.options.today,
    };
    let json = '{';
    let changes = history ? '[' : '';
    const paths: string[] = [];
    for (const segment of entry.segments) {
      if (segment.kind === 'fixed') {
        json += segment.json;
        if (history) {
          changes += segment.changes;
          paths.push(...segment.paths);
        }
      } else if (segment.kind === 'free') {
        let value = segment.json;
        if (reuse) {
          const fromProfile = this.profile.fields[segment.key];
          const drawn = fromProfile ? fromProfile(state) : genericValue(segment.field, state);
          if (drawn !== undefined && drawn !== null && drawn !== DRAFT_ROWS) value = JSON.stringify(drawn);
        }
        json += segment.prefix + value;
        if (history) {
          changes += `${segment.changePrefix}${value}}`;
          paths.push(segment.key);
        }
      } else {
        let value = '[';
        for (let r = 0; r < segment.rows.length; r++) {
          const rowId = rng.uuid();
          const row = `{"_id":"${rowId}"${segment.rows[r]}}`;
          value += r ? `,${row}` : row;
          if (history) {
            const path = `${segment.key}/${rowId}`;
            changes += `${segment.first && r === 0 ? '' : ','}{"path":"${path}","from":null,"to":${row}}`;
            paths.push(path);
          }
        }
        json += `${segment.prefix}${value}]`;
      }
    }
    const seconds = rng.int(7 * 3600, 18 * 3600);
    const createdAt = new Date(entry.createdDay * DAY_MS + seconds * 1000);
    return { index, id, owner, status: entry.status, createdAt, json: `${json}}`, ...(history ? { changes: `${changes}]`, paths } : {}) };
  }

  /** Runs the engine on a generated record; throws RecordCheckError unless it is valid and complete as stored. */
  check(record: SeededRecord): void {
    const data = JSON.parse(record.json) as Record<string, unknown>;
    const result = this.rt.process(data, processContext(record.owner, this.options.today));
    const label = `${this.module}/${this.recordType} #${record.index}`;
    if (result.issues.length > 0) {
      throw new RecordCheckError(`${label} does not pass the engine: ${result.issues.map((i) => `${i.path} ${i.code} (${i.message})`).join('; ')}`);
    }
    if (!sameJson(result.data, data)) {
      const keys = new Set([...Object.keys(result.data), ...Object.keys(data)]);
      const differing = [...keys].filter((k) => !sameJson(result.data[k], data[k]));
      throw new RecordCheckError(`${label} differs from what the engine computes for it, at: ${differing.join(', ')}`);
    }
  }
}
