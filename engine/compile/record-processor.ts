/**
 * Record processing, the hot path: normalise -> schema -> computed values -> value checks ->
 * required-while-visible -> validation rules. Everything is precompiled (runtime.ts); per record this
 * walks the sent keys once and evaluates only the rules that matter: a visibility rule is evaluated
 * only when something depends on it (a required field, a subform's rows), each form's at most once.
 * Never throws on data: every problem becomes an issue.
 */
import type { RecordIssueCode } from '../bundle/issue-codes.js';
import type { ValueCheckContext } from '../fields/field-type.js';
import type { RuleData } from '../rules/context.js';
import { RULE_ERROR } from '../rules/prepare.js';
import { jsonLogicTruthy as truthy } from '../rules/semantics.js';
import { instant } from '../util/dates.js';
import { escapePointerToken } from '../util/json-pointer.js';
import { hasOwn, isEmptyValue, isPlainObject, jsonEquals, safeJson, type JsonObject } from '../util/objects.js';
import { recordIssuesFromAjv } from './record-issues.js';
import type { RuntimeField, RuntimeRecordType, RuntimeRule } from './runtime.js';
import type { ProcessContext, ProcessOptions, ProcessResult, RecordIssue } from './types.js';

type Params = Readonly<Record<string, unknown>>;

class Run {
  readonly issues: RecordIssue[] = [];
  readonly data: RuleData;
  private readonly rowData = new Map<string, (RuleData | undefined)[]>();
  private readonly formVisible: (boolean | undefined)[];

  constructor(
    readonly rt: RuntimeRecordType,
    readonly record: JsonObject,
    readonly ctx: ProcessContext,
  ) {
    this.data = { record, user: ctx.user, today: ctx.today, now: ctx.now };
    this.formVisible = new Array<boolean | undefined>(rt.forms.length);
  }

  report(path: string, code: RecordIssueCode, message: string, params?: Params): void {
    this.issues.push(params === undefined ? { code, path, message } : { code, path, message, params });
  }

  /** Rule data per row of a subform (undefined for rows that are not objects), built once per run. */
  rows(subform: string): (RuleData | undefined)[] {
    let rows = this.rowData.get(subform);
    if (rows === undefined) {
      const value = this.record[subform];
      rows = Array.isArray(value)
        ? value.map((row: unknown) => (isPlainObject(row) ? { ...this.data, row } : undefined))
        : [];
      this.rowData.set(subform, rows);
    }
    return rows;
  }

  isFormVisible(index: number): boolean {
    let visible = this.formVisible[index];
    if (visible === undefined) {
      const rule = this.rt.forms[index]?.visibleIf;
      visible = rule === undefined || rule.test(this.data);
      this.formVisible[index] = visible;
    }
    return visible;
  }
}

function normaliseRows(run: Run, field: RuntimeField, value: unknown, path: string, acceptAliases: boolean): unknown {
  const rows = field.rows;
  if (rows === undefined || !Array.isArray(value)) return value;
  return value.map((row: unknown, i) => {
    if (!isPlainObject(row)) return row;
    const out: JsonObject = {};
    for (const key of Object.keys(row)) {
      if (key === '_id') {
        out['_id'] = row[key];
        continue;
      }
      const child = resolveKey(rows.byKey, rows.aliases, row, key, acceptAliases);
      if (child === undefined) {
        run.report(`${path}/${i}/${escapePointerToken(key)}`, 'unknown_field', 'Not a field of this subform.');
        continue;
      }
      const raw = row[key];
      out[child.key] = child.normalise === undefined ? raw : child.normalise(raw);
    }
    return out;
  });
}

function resolveKey(
  byKey: ReadonlyMap<string, RuntimeField>,
  aliases: ReadonlyMap<string, string>,
  input: JsonObject,
  key: string,
  acceptAliases: boolean,
): RuntimeField | undefined {
  const field = byKey.get(key);
  if (field !== undefined || !acceptAliases) return field;
  const target = aliases.get(key);
  // The real key wins over an alias when both are sent.
  return target === undefined || hasOwn(input, target) ? undefined : byKey.get(target);
}

function normalise(run: Run, input: JsonObject, acceptAliases: boolean): void {
  const { byKey, aliases } = run.rt;
  for (const key of Object.keys(input)) {
    const field = resolveKey(byKey, aliases, input, key, acceptAliases);
    if (field === undefined) {
      run.report(`/${escapePointerToken(key)}`, 'unknown_field', 'Not a field of this record type.');
      continue;
    }
    const raw = input[key];
    run.record[field.key] =
      field.rows !== undefined
        ? normaliseRows(run, field, raw, `/${field.key}`, acceptAliases)
        : field.normalise === undefined
          ? raw
          : field.normalise(raw);
  }
}

/** Computed values are JSON scalars: NaN, Infinity and undefined become null. */
function cleanComputed(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

function computeInto(run: Run, field: RuntimeField, target: JsonObject, data: RuleData, path: string, supplied: boolean): void {
  const compute = field.compute;
  if (compute === undefined) return;
  if (compute.when !== undefined && !compute.when.test(data)) {
    // While `when` does not hold, a field users may write is an ordinary input; a read-only one (a `calculated`
    // field) has no value then, and a value sent for it is refused like any other that differs from the computed one.
    if (!field.info.readOnly) return;
    const previous = target[field.key];
    if (previous === undefined || previous === null) return;
    if (supplied) run.report(path, 'computed_mismatch', 'This value is computed; expected null.', { expected: null });
    target[field.key] = null;
    return;
  }
  const raw = compute.value.evaluate(data);
  if (raw === RULE_ERROR) {
    run.report(path, 'rule_error', 'This value could not be computed from the data given.');
    return;
  }
  const value = cleanComputed(raw);
  const previous = target[field.key];
  if (supplied && previous !== undefined && previous !== null && !jsonEquals(previous, value)) {
    run.report(path, 'computed_mismatch', `This value is computed; expected ${safeJson(value)}.`, { expected: value });
  }
  if (value === null && previous === undefined) return;
  target[field.key] = value;
}

function runComputes(run: Run, input: JsonObject, supplied: ReadonlySet<string> | undefined): void {
  const isSupplied = (key: string): boolean => (supplied === undefined ? hasOwn(input, key) : supplied.has(key));
  for (const step of run.rt.computes) {
    if (step.subform === undefined) {
      computeInto(run, step.field, run.record, run.data, `/${step.field.key}`, isSupplied(step.field.key));
      continue;
    }
    const subform = step.subform.key;
    const rowsSupplied = isSupplied(subform);
    const rows = run.rows(subform);
    for (let i = 0; i < rows.length; i++) {
      const data = rows[i];
      if (data?.row === undefined) continue;
      computeInto(run, step.field, data.row as JsonObject, data, `/${subform}/${i}/${step.field.key}`, rowsSupplied);
    }
  }
}

function runChecks(run: Run): void {
  const { record, rt, ctx } = run;
  const checkCtx: ValueCheckContext = {
    data: run.data,
    today: ctx.today,
    nowMs: instant(ctx.now) ?? Number.POSITIVE_INFINITY,
    report: (path, code, message, params) => run.report(path, code, message, params),
  };
  for (const field of rt.checks) {
    const value = record[field.key];
    if (value !== undefined && value !== null) field.check?.(value, `/${field.key}`, checkCtx);
  }
  for (const subform of rt.subformsWithChecks) {
    const rows = run.rows(subform.key);
    const checks = subform.rows?.checks ?? [];
    for (let i = 0; i < rows.length; i++) {
      const data = rows[i];
      if (data?.row === undefined) continue;
      checkCtx.data = data;
      for (const child of checks) {
        const value = data.row[child.key];
        if (value !== undefined && value !== null) child.check?.(value, `/${subform.key}/${i}/${child.key}`, checkCtx);
      }
    }
  }
}

function runRequired(run: Run): void {
  const { record, data } = run;
  for (const field of run.rt.visibilityChecks) {
    if (!run.isFormVisible(field.form)) continue;
    if (field.visibleIf !== undefined && !field.visibleIf.test(data)) continue;
    const value = record[field.key];
    if (field.required && isEmptyValue(value)) {
      run.report(`/${field.key}`, 'required', 'This field is required.');
      continue;
    }
    const rows = field.rows;
    if (rows === undefined) continue;
    // Absent rows count as none; a non-array value already has its type issue.
    const count = Array.isArray(value) ? value.length : value === undefined || value === null ? 0 : undefined;
    if (rows.minRows !== undefined && count !== undefined && count < rows.minRows) {
      run.report(`/${field.key}`, 'too_few', `At least ${rows.minRows} row(s) required.`, { limit: rows.minRows });
    }
    if (rows.required.length === 0 || !Array.isArray(value)) continue;
    const rowData = run.rows(field.key);
    for (let i = 0; i < rowData.length; i++) {
      const rd = rowData[i];
      if (rd?.row === undefined) continue;
      if (rows.rowVisibleIf !== undefined && !rows.rowVisibleIf.test(rd)) continue;
      for (const child of rows.required) {
        if (child.visibleIf !== undefined && !child.visibleIf.test(rd)) continue;
        if (isEmptyValue(rd.row[child.key])) run.report(`/${field.key}/${i}/${child.key}`, 'required', 'This field is required.');
      }
    }
  }
}

function runRule(run: Run, rule: RuntimeRule, data: RuleData, base: string): void {
  if (rule.when !== undefined && !rule.when.test(data)) return;
  const result = rule.assert.evaluate(data);
  const path = `${base}${rule.path}`;
  if (result === RULE_ERROR) {
    run.report(path, 'rule_error', 'A validation rule could not be evaluated on this data.', { rule: rule.key });
  } else if (!truthy(result)) {
    run.report(path, 'rule_failed', rule.message(run.ctx.locale), { rule: rule.key });
  }
}

function runRules(run: Run): void {
  for (const rule of run.rt.rules) runRule(run, rule, run.data, '');
  for (const subform of run.rt.subformsWithRules) {
    const rows = run.rows(subform.key);
    const rules = subform.rows?.rules ?? [];
    for (let i = 0; i < rows.length; i++) {
      const data = rows[i];
      if (data === undefined) continue;
      for (const rule of rules) runRule(run, rule, data, `/${subform.key}/${i}`);
    }
  }
}

export function processRecord(rt: RuntimeRecordType, input: unknown, ctx: ProcessContext, options: ProcessOptions = {}): ProcessResult {
  try {
    return processUnsafe(rt, input, ctx, options);
  } catch {
    // Every step is written not to throw on data; this net keeps that promise should some exotic value
    // (say, nesting deep enough to exhaust the stack in a library) slip through anyway.
    return { data: {}, issues: [{ code: 'unprocessable', path: '', message: 'The data could not be processed.' }] };
  }
}

function processUnsafe(rt: RuntimeRecordType, input: unknown, ctx: ProcessContext, options: ProcessOptions): ProcessResult {
  const run = new Run(rt, {}, ctx);
  let source: JsonObject;
  if (isPlainObject(input)) {
    source = input;
  } else {
    run.report('', 'invalid_type', 'Record data must be an object.', { expected: ['object'] });
    source = {};
  }
  normalise(run, source, options.acceptAliases === true);
  if (!rt.validate(run.record)) recordIssuesFromAjv(rt.validate.errors, run.issues);
  runComputes(run, source, options.supplied === undefined ? undefined : new Set(options.supplied));
  runChecks(run);
  runRequired(run);
  runRules(run);
  return { data: run.record, issues: run.issues };
}
