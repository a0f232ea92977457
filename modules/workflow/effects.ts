import type { ApprovalEffects, CompiledRecordType, CompiledWorkflow, ProcessContext, TransitionEffects } from '../../engine/index.js';
import { HavenError } from '../common/errors.js';
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
  if (result.issues.length > 0) {
    throw new HavenError(
      'conflict',
      'The fields the workflow sets would leave the record invalid: nothing was written.',
      result.issues.map((issue) => ({ code: issue.code, path: `/data${issue.path}`, message: issue.message })),
    );
  }
  const data = { ...result.data, ...retired };
  const changes = diffData(row.data, data, mergeShape(rt).subforms);
  if (changes.length === 0) return undefined;
  return { data, fieldVersions: nextFieldVersions(row.fieldVersions, changes, row.version + 1), changes };
}
