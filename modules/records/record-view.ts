import { redactionNeeded, redactRecordData, type HavenAbility } from '../../engine/index.js';
import { factsOf, type RecordRow, type RecordView } from './record.types.js';

/**
 * The one way a record leaves the server: data cut down to the fields the caller may read on THIS record (the
 * same ability decides get, list, search, history, exports and templates).
 *
 * `owned`: the row was read for this view alone (a list page, an export batch) and nothing else holds its data, so
 * when the caller may read all of it the data becomes the view's as it is, instead of being copied key by key (an
 * export of 100,000 records otherwise builds and collects 100,000 copies; docs/benchmarks.md, "Exports").
 */
export function recordView(row: RecordRow, ability: HavenAbility, options?: { readonly owned?: boolean }): RecordView {
  const readable = ability.readableFields(row.module, row.recordType, factsOf(row));
  return {
    id: row.id,
    shortId: row.shortId,
    displayId: row.displayId,
    recordType: row.recordType,
    module: row.module,
    version: row.version,
    owner: row.ownerUsername,
    agency: row.ownerAgency,
    status: row.status,
    flags: row.flags,
    disabled: row.disabled,
    bundleHash: row.bundleHash,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    data: options?.owned === true && !redactionNeeded(row.data, readable) ? row.data : redactRecordData(row.data, readable),
  };
}

/** Whether a view includes any identifying field (reads of identifying data are audited). */
export function includesIdentifying(view: RecordView, identifyingFields: readonly string[]): boolean {
  return identifyingFields.some((path) => {
    const [head, child] = path.split('.');
    const value = view.data[head];
    if (child === undefined) return value !== undefined && value !== null;
    return Array.isArray(value) && value.some((row) => row && typeof row === 'object' && (row as Record<string, unknown>)[child] != null);
  });
}
