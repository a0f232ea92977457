/**
 * Roles: every grant names a module the bundle sees, record types of that module, forms and fields of
 * those record types, and actions from the catalogue (record actions, or the admin subject's own).
 * Key uniqueness and file names are checked with the other keyed definitions (check-definitions.ts).
 */
import { escapePointerToken } from '../../util/json-pointer.js';
import {
  ADMIN_ACTIONS,
  AGENCY_SCOPED_SUBJECTS,
  FIELD_SETS,
  isAdminAction,
  isRecordAction,
} from '../schema/role-catalogue.js';
import type { RecordGrant, RoleDefinition } from '../schema/role.js';
import type { ParsedBundle, Sourced } from '../types.js';
import type { CheckContext } from './context.js';

/** Every namespace: a broken form that does not even say which module and record type it belongs to. */
const ANY = '*';

interface FormOwner {
  readonly module: string;
  readonly recordType: string;
  readonly bundle: ParsedBundle;
}

interface RoleCheck {
  readonly ctx: CheckContext;
  readonly bundle: ParsedBundle;
  readonly file: string;
  readonly forms: ReadonlyMap<string, FormOwner>;
  /** `<module>.<recordType>` (or ANY) of forms that failed their schema without readable field keys. */
  readonly unreadable: ReadonlySet<string>;
}

export function checkRoles(ctx: CheckContext): void {
  const forms = new Map<string, FormOwner>();
  const unreadable = new Set<string>();
  for (const bundle of ctx.bundles) {
    for (const { def } of bundle.forms) if (!forms.has(def.key)) forms.set(def.key, { module: def.module, recordType: def.recordType, bundle });
    for (const broken of bundle.broken) {
      if (broken.kind !== 'form' || broken.fields !== undefined) continue;
      unreadable.add(broken.module === undefined || broken.recordType === undefined ? ANY : `${broken.module}.${broken.recordType}`);
    }
  }
  for (const bundle of ctx.bundles) {
    for (const entry of bundle.roles) checkRole({ ctx, bundle, file: entry.file, forms, unreadable }, entry);
  }
}

function checkRole(check: RoleCheck, { def }: Sourced<RoleDefinition>): void {
  const { ctx, bundle, file } = check;
  def.records?.forEach((grant, i) => checkRecordGrant(check, grant, `/records/${i}`));
  def.admin?.forEach((grant, i) => {
    grant.actions.forEach((action, j) => {
      if (!isAdminAction(grant.subject, action)) {
        const allowed = Object.keys(ADMIN_ACTIONS[grant.subject]).join(', ');
        ctx.report(bundle, file, `/admin/${i}/actions/${j}`, 'unknown_action', `"${action}" is not an action on ${grant.subject} (${allowed}).`);
      }
    });
    if (grant.scope === 'agency' && !AGENCY_SCOPED_SUBJECTS.has(grant.subject)) {
      ctx.report(bundle, file, `/admin/${i}/scope`, 'invalid_value', `${grant.subject} does not belong to agencies: its scope can only be "all".`);
    }
  });
}

function checkRecordGrant(check: RoleCheck, grant: RecordGrant, at: string): void {
  const { ctx, bundle, file } = check;
  grant.actions.forEach((action, j) => {
    if (!isRecordAction(action)) ctx.report(bundle, file, `${at}/actions/${j}`, 'unknown_action', `"${action}" is not a record action (see docs/permissions.md).`);
  });

  const module = ctx.modules.get(grant.module);
  if (module === undefined || !ctx.sees(bundle, module.bundle)) {
    if (ctx.isBroken('module', grant.module)) return;
    const message = module === undefined
      ? `There is no module "${grant.module}" in this bundle or its dependencies.`
      : `Module "${grant.module}" belongs to bundle "${module.bundle.key}", which "${bundle.key}" does not depend on.`;
    ctx.report(bundle, file, `${at}/module`, 'unknown_module', message);
    return;
  }
  const recordTypes: string[] = [];
  grant.recordTypes.forEach((recordType, j) => {
    if (module.def.recordTypes.includes(recordType)) recordTypes.push(recordType);
    else ctx.report(bundle, file, `${at}/recordTypes/${j}`, 'unknown_record_type', `Module "${grant.module}" does not list record type "${recordType}".`);
  });
  if (recordTypes.length === 0) return;
  // A schema-invalid form whose fields could not be read may hold what the grant names: say nothing more.
  if (check.unreadable.has(ANY) || recordTypes.some((rt) => check.unreadable.has(`${grant.module}.${rt}`))) return;

  for (const key of Object.keys(grant.forms)) {
    if (key === '*') continue;
    const form = check.forms.get(key);
    const known = form !== undefined && form.module === grant.module && recordTypes.includes(form.recordType) && ctx.sees(bundle, form.bundle);
    if (!known && !ctx.isBroken('form', key)) {
      ctx.report(bundle, file, `${at}/forms/${escapePointerToken(key)}`, 'unknown_form', `"${key}" is not a form of ${grant.module}/${recordTypes.join(', ')}.`);
    }
  }

  grant.excludeFields?.forEach((entry, j) => {
    const pointer = `${at}/excludeFields/${j}`;
    if (entry.startsWith('@')) {
      if (!Object.prototype.hasOwnProperty.call(FIELD_SETS, entry)) {
        ctx.report(bundle, file, pointer, 'unknown_field_set', `"${entry}" is not a field set (${Object.keys(FIELD_SETS).join(', ')}).`);
      }
      return;
    }
    if (!recordTypes.some((recordType) => fieldExists(check, grant.module, recordType, entry))) {
      ctx.report(bundle, file, pointer, 'unknown_field', `"${entry}" is not a field of ${grant.module}/${recordTypes.join(', ')}.`);
    }
  });
}

/** A top-level field key or a `<subform>.<field>` path of the namespace, defined in a bundle this one sees. */
function fieldExists(check: RoleCheck, module: string, recordType: string, path: string): boolean {
  const ns = check.ctx.namespace(module, recordType);
  if (ns === undefined) return false;
  const [top, child] = path.split('.') as [string, string | undefined];
  if (child === undefined) {
    const entry = ns.fields.get(top);
    return (entry !== undefined && check.ctx.sees(check.bundle, entry.bundle)) || ns.brokenFields.has(top);
  }
  const entry = ns.subforms.get(top)?.get(child);
  return (entry !== undefined && check.ctx.sees(check.bundle, entry.bundle)) || ns.brokenFields.get(top)?.has(child) === true;
}
