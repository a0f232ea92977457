import type { CompiledConfig, CrossModuleConfig, RecordFacts } from '../../engine/index.js';
import type { RecordRow } from '../records/record.types.js';
import type { Actor } from '../users/request-actor.js';

/**
 * The data a record created by a referral across modules starts with: the mapped fields of the referred record
 * (never identifying ones: the bundle check refuses those) and the `set` values, only fields the receiver may
 * write on the new record, and only values the receiving module accepts (a value it refuses is left out, not an
 * error: the receiver completes the record under their own module's forms and rules).
 */
export function crossModuleData(compiled: CompiledConfig, cross: CrossModuleConfig, row: RecordRow, actor: Actor): Record<string, unknown> {
  const p = actor.principal;
  const target = compiled.findRecordType(cross.toModule, cross.toRecordType);
  if (target === undefined) return {};
  const facts: RecordFacts = { module: cross.toModule, recordType: cross.toRecordType, ownerId: p.userId, ownerAgency: p.agencyCode, ownerGroups: p.groupCodes, sharedWith: [] };
  const writable = p.ability.writableFields(cross.toModule, cross.toRecordType, facts);
  const now = new Date().toISOString();
  const context = { user: { id: p.userId, agency: p.agencyCode, roles: p.roles, groups: p.groupCodes }, today: now.slice(0, 10), now, locale: p.locale };
  const data: Record<string, unknown> = {};
  for (const { source, target: key } of cross.fields) {
    const value = row.data[source];
    if (value !== undefined && value !== null) data[key] = value;
  }
  Object.assign(data, cross.setValues({ record: row.data, user: context.user, today: context.today, now }));
  for (const key of Object.keys(data)) {
    if (!writable.has(key) || target.field(key) === undefined || target.field(key)?.readOnly) delete data[key];
  }
  const trial = target.process(data, context);
  for (const issue of trial.issues) {
    const key = issue.path.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
    if (key !== undefined && issue.code !== 'required') delete data[key];
  }
  return data;
}
