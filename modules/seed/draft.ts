import { evaluateRule, type CompiledRecordType, type FieldInfo, type ProcessContext, type RecordIssue } from '../../engine/index.js';
import { genericValue } from './field-values.js';
import { DRAFT_ROWS, type DraftState, type RecordProfile } from './profiles.js';

/**
 * Drafts one record's data the way a caseworker fills the forms: profile values first, then the other fields
 * in form order, each only when its form and the field itself are visible (the bundle's own `visibleIf`, run
 * by the engine), then the engine's `process()` — normalisation, computed values, value checks, required
 * fields, validation rules. What `process()` refuses is repaired (a refused value is removed, a missing
 * required one filled) and processed again; data the engine still refuses after a few rounds is an error in
 * the generator or the profile, reported with the issues, never stored.
 */

type Row = Record<string, unknown>;
type Data = Record<string, unknown>;

const MAX_REPAIR_ROUNDS = 6;

export class DraftError extends Error {
  constructor(
    readonly recordType: string,
    readonly issues: readonly RecordIssue[],
    readonly data: unknown,
  ) {
    super(`The seed drafted a ${recordType} the engine refuses: ${issues.map((i) => `${i.path} ${i.code} (${i.message})`).join('; ')}`);
    this.name = 'DraftError';
  }
}

interface RuleEnv {
  readonly ctx: ProcessContext;
}

function visible(logic: unknown, env: RuleEnv, record: Data, row?: Row): boolean {
  if (logic === undefined) return true;
  const outcome = evaluateRule(logic, { record, ...(row ? { row } : {}), user: env.ctx.user, today: env.ctx.today, now: env.ctx.now });
  return outcome.ok && Boolean(outcome.value) && !(Array.isArray(outcome.value) && outcome.value.length === 0);
}

function isDrafted(field: FieldInfo): boolean {
  return field.stored && !field.computed && !field.readOnly;
}

export class RecordDrafter {
  private readonly topLevel: FieldInfo[];
  private readonly children = new Map<string, FieldInfo[]>();
  private readonly formVisibleIf = new Map<string, unknown>();

  constructor(
    readonly rt: CompiledRecordType,
    readonly profile: RecordProfile,
  ) {
    this.topLevel = rt.fields.filter((f) => f.subform === undefined);
    for (const sub of rt.subforms) this.children.set(sub.key, [...sub.fields]);
    for (const form of rt.forms) if (form.visibleIf !== undefined) this.formVisibleIf.set(form.key, form.visibleIf);
  }

  /** Drafted, processed and repaired data (computed values included), valid for `ctx`. Throws DraftError. */
  draft(state: Omit<DraftState, 'data'>, ctx: ProcessContext): Data {
    const data: Data = {};
    const s: DraftState = { ...state, data };
    const env: RuleEnv = { ctx };
    const formVisible = new Map<string, boolean>();
    const isFormVisible = (form: string): boolean => {
      let v = formVisible.get(form);
      if (v === undefined) {
        v = visible(this.formVisibleIf.get(form), env, data);
        formVisible.set(form, v);
      }
      return v;
    };

    for (const [key, fn] of Object.entries(this.profile.fields)) {
      const field = this.rt.field(key);
      if (!key.startsWith('_') && (field === undefined || !isDrafted(field))) continue;
      const value = fn(s);
      if (value === undefined || value === null) continue;
      if (value === DRAFT_ROWS) {
        if (field?.type === 'subform') data[key] = this.draftRows(field, s, env);
      } else {
        data[key] = value;
      }
    }
    for (const field of this.topLevel) {
      if (!isDrafted(field) || Object.hasOwn(this.profile.fields, field.key)) continue;
      if (!field.required && !s.rng.chance(this.profile.fill)) continue;
      if (!isFormVisible(field.form) || !visible(field.definition.visibleIf, env, data)) continue;
      const value = field.type === 'subform' ? this.draftRows(field, s, env) : genericValue(field, s);
      if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) data[field.key] = value;
    }
    for (const key of Object.keys(data)) if (key.startsWith('_')) delete data[key];
    return this.processAndRepair(data, s, ctx);
  }

  private draftRows(field: FieldInfo, s: DraftState, env: RuleEnv): Row[] {
    const info = this.rt.subforms.find((sub) => sub.key === field.key);
    const counts = this.profile.rowCounts?.[field.key] ?? [[1, 60], [2, 30], [3, 10]];
    let count = s.rng.weighted(counts);
    if (info?.minRows !== undefined) count = Math.max(count, info.minRows);
    if (info?.maxRows !== undefined) count = Math.min(count, info.maxRows);
    const rowValues = this.profile.rows?.[field.key] ?? {};
    const rowVisibleIf = (field.definition as { rowVisibleIf?: unknown }).rowVisibleIf;
    const rows: Row[] = [];
    for (let i = 0; i < count; i++) {
      const row: Row = { _id: s.rng.uuid() };
      for (const child of this.children.get(field.key) ?? []) {
        if (!isDrafted(child)) continue;
        const fromProfile = rowValues[child.key];
        if (fromProfile !== undefined) {
          const value = fromProfile(s, row, i);
          if (value !== undefined && value !== null) row[child.key] = value;
          continue;
        }
        if (!child.required && !s.rng.chance(this.profile.rowFill)) continue;
        if (!visible(child.definition.visibleIf, env, s.data as Data, row)) continue;
        const value = genericValue(child, s);
        if (value !== undefined && value !== null) row[child.key] = value;
      }
      if (rowVisibleIf === undefined || visible(rowVisibleIf, env, s.data as Data, row)) rows.push(row);
    }
    return rows;
  }

  private processAndRepair(data: Data, s: DraftState, ctx: ProcessContext): Data {
    for (let round = 0; ; round++) {
      const result = this.rt.process(data, ctx);
      if (result.issues.length === 0) return result.data;
      if (round === MAX_REPAIR_ROUNDS) throw new DraftError(`${this.rt.module}/${this.rt.key}`, result.issues, data);
      for (const issue of result.issues) this.repair(data, issue, s);
    }
  }

  /** Removes the value an issue points at (or fills a missing required one). */
  private repair(data: Data, issue: RecordIssue, s: DraftState): void {
    const [key, index, child] = issue.path.split('/').slice(1);
    if (key === undefined || key === '') return;
    const field = this.rt.field(key);
    const rows = Array.isArray(data[key]) && field?.type === 'subform' ? (data[key] as Row[]) : undefined;
    if (rows !== undefined && index !== undefined && child !== undefined) {
      const row = rows[Number(index)];
      if (row === undefined) return;
      const childField = this.rt.field(`${key}.${child}`);
      if (issue.code === 'required' && childField !== undefined) {
        const value = genericValue(childField, s);
        if (value !== undefined) row[child] = value;
        else rows.splice(Number(index), 1);
      } else {
        delete row[child];
      }
      return;
    }
    if (rows !== undefined && index !== undefined) {
      rows.splice(Number(index), 1);
      if (rows.length === 0) delete data[key];
      return;
    }
    if (issue.code === 'required' && field !== undefined && field.type !== 'subform') {
      const value = genericValue(field, s);
      if (value !== undefined) data[key] = value;
      return;
    }
    delete data[key];
  }
}
