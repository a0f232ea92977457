import type { ApprovalEffects, CompiledRecordType, CompiledWorkflow, ProcessContext, TransitionEffects } from '../../engine/index.js';
import { HavenError, type Issue } from '../common/errors.js';
import { diffData, nextFieldVersions, type FieldChange } from '../records/merge.js';
import type { RecordRow } from '../records/record.types.js';
import { mergeShape } from '../records/write-access.js';

export interface DataEffect {
  readonly data: Record<string, unknown>;
  readonly fieldVersions: Record<string, number>;
  readonly changes: FieldChange[];
}

/**
 * The `setFields` of an effect applied to the record's data: values computed by the bundle's JSON Logic, then the
 * whole record processed by the engine like any write (normalised, computed fields refreshed, validated). Workflow
 * effects are the bundle's, not the caller's: they may set fields the caller cannot write. Values of fields a newer
 * bundle removed stay as they are. Undefined when nothing changes; a 409 listing every problem when the result is
 * not a valid record (nothing is written).
 */
export function applySetFields(
  rt: CompiledRecordType,
  wf: CompiledWorkflow,
  effects: TransitionEffects | ApprovalEffects | undefined,
  row: RecordRow,
  ctx: ProcessContext,
  readable: ReadonlySet<string>,
): DataEffect | undefined {
  if (effects?.setFields === undefined) return undefined;
  const { values, failed } = wf.fieldValues(effects, row.data, ctx);
  if (failed.length > 0) {
    throw new HavenError(
      'conflict',
      'The workflow could not compute the fields it sets on this record: nothing was written.',
      failed.map((field) => ({ code: 'effect_failed', path: `/data/${field}`, message: `The value of ${field} could not be computed.` })),
    );
  }
  const current: Record<string, unknown> = {};
  const retired: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row.data)) (rt.field(key) === undefined ? retired : current)[key] = value;
  const result = rt.process({ ...current, ...values }, ctx, { supplied: Object.keys(values) });
  // Only what the effect brings counts: a problem the record had already (a value kept from before a limit was
  // tightened) is its owner's to fix, and must not block a supervisor's decision forever.
  // A problem counts as the record's own only when the stored record has exactly it (code, place and details) and it
  // is not on a field the effect sets; a record the engine cannot process at all is never written.
  const key = (issue: { code: string; path: string; params?: unknown }): string => `${issue.code}@${issue.path}@${JSON.stringify(issue.params ?? null)}`;
  const before = new Set(rt.process(current, ctx, { supplied: [] }).issues.map(key));
  const set = new Set(Object.keys(values));
  const caused = result.issues.filter((issue) => issue.code === 'unprocessable' || !before.has(key(issue)) || set.has(issue.path.split('/')[1] ?? ''));
  if (caused.length > 0) {
    // Problems in fields the caller cannot read are told without naming them (path, value or limit).
    const seen = (path: string): boolean => {
      const [head, , field] = path.split('/').slice(1);
      return head !== undefined && readable.has(head) && (field === undefined || readable.has(`${head}.${field}`));
    };
    const issues: Issue[] = caused.filter((issue) => seen(issue.path)).map((issue) => ({ code: issue.code, path: `/data${issue.path}`, message: issue.message }));
    if (issues.length < caused.length) issues.push({ code: 'record_invalid', path: '', message: 'The record would have problems in fields you cannot see; its owner must fix them first.' });
    throw new HavenError('conflict', 'The fields the workflow sets would leave the record invalid: nothing was written.', issues);
  }
  const data = { ...result.data, ...retired };
  const changes = diffData(row.data, data, mergeShape(rt).subforms);
  if (changes.length === 0) return undefined;
  return { data, fieldVersions: nextFieldVersions(row.fieldVersions, changes, row.version + 1), changes };
}
