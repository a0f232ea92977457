/**
 * One record grant of one role, compiled against one record type: its actions, the forms it opens and
 * the exact field paths it lets read and write. Pure function of (grant, record type): computed once
 * per config and role set, shared by every request.
 */
import type { RecordGrant } from '../bundle/schema/role.js';
import type { RecordScope } from '../bundle/schema/role-catalogue.js';
import type { CompiledRecordType } from '../compile/types.js';
import { covers } from './scopes.js';
import type { FormAccess } from './types.js';

/** Actions whose grants write field values: they carry the writable fields. */
export const WRITE_ACTIONS: readonly string[] = ['create', 'update'];

export interface CompiledGrant {
  readonly role: string;
  readonly module: string;
  readonly recordType: string;
  readonly scope: RecordScope;
  readonly actions: ReadonlySet<string>;
  /** Has `read`: only then does it open forms and fields. */
  readonly reads: boolean;
  /** Has `create` or `update`: only then are some fields writable. */
  readonly writes: boolean;
  readonly readable: ReadonlySet<string>;
  /** Always a subset of `readable`. */
  readonly writable: ReadonlySet<string>;
  readonly forms: ReadonlyMap<string, FormAccess>;
  /** The same sets as arrays (CASL rule fields), and the actions other than read/create/update. */
  readonly readableList: readonly string[];
  readonly writableList: readonly string[];
  readonly writeActions: readonly string[];
  readonly otherActions: readonly string[];
}

function formAccessOf(grant: RecordGrant, form: string): 'none' | FormAccess {
  const forms = grant.forms as Readonly<Record<string, 'none' | FormAccess>>;
  if (Object.prototype.hasOwnProperty.call(forms, form)) return forms[form] as 'none' | FormAccess;
  return forms['*'] ?? 'none';
}

/** Paths the grant's `excludeFields` remove: `@identifying` expands to the record type's identifying paths. */
function excludedPaths(grant: RecordGrant, recordType: CompiledRecordType): ReadonlySet<string> {
  const out = new Set<string>();
  for (const entry of grant.excludeFields ?? []) {
    if (entry === '@identifying') for (const path of recordType.identifyingFields) out.add(path);
    else out.add(entry);
  }
  return out;
}

/**
 * Stored fields on forms with at least `minimum` access, minus excluded paths; for writing, minus
 * read-only fields too (`readOnly`, computed without `when`, always-read-only types): users never write
 * those. A subform child is out when its subform is; a subform is out when none of its stored children
 * is in (rows of bare `_id`s would still tell how many there are).
 */
function fieldsWith(recordType: CompiledRecordType, access: ReadonlyMap<string, 'none' | FormAccess>, minimum: FormAccess, excluded: ReadonlySet<string>): Set<string> {
  const writing = minimum === 'read_write';
  const ok = (form: string): boolean => {
    const level = access.get(form) ?? 'none';
    return level === 'read_write' || (level === 'read' && !writing);
  };
  const subforms = new Set(recordType.subforms.map((subform) => subform.key));
  const out = new Set<string>();
  const childrenIn = new Map<string, number>();
  for (const info of recordType.fields) {
    if (!info.stored || !ok(info.form) || excluded.has(info.path) || (writing && info.readOnly)) continue;
    if (info.subform !== undefined) {
      if (excluded.has(info.subform) || (writing && recordType.field(info.subform)?.readOnly === true)) continue;
      childrenIn.set(info.subform, (childrenIn.get(info.subform) ?? 0) + 1);
    }
    out.add(info.path);
  }
  for (const key of subforms) if ((childrenIn.get(key) ?? 0) === 0) out.delete(key);
  return out;
}

export function compileGrant(role: string, grant: RecordGrant, recordType: CompiledRecordType): CompiledGrant {
  const actions = new Set(grant.actions);
  const reads = actions.has('read');
  const writeActions = WRITE_ACTIONS.filter((action) => actions.has(action));
  const writes = writeActions.length > 0;
  const access = new Map(recordType.forms.map((form) => [form.key, formAccessOf(grant, form.key)] as const));
  const excluded = excludedPaths(grant, recordType);
  const readable = reads ? fieldsWith(recordType, access, 'read', excluded) : new Set<string>();
  // Fields the grant cannot read, it cannot write.
  const writable = reads && writes ? fieldsWith(recordType, access, 'read_write', excluded) : new Set<string>();
  const forms = new Map<string, FormAccess>();
  if (reads) {
    for (const [form, level] of access) {
      if (level !== 'none') forms.set(form, level === 'read_write' && writes ? 'read_write' : 'read');
    }
  }
  return {
    role,
    module: recordType.module,
    recordType: recordType.key,
    scope: grant.scope,
    actions,
    reads,
    writes,
    readable,
    writable,
    forms,
    readableList: Object.freeze([...readable]),
    writableList: Object.freeze([...writable]),
    writeActions: Object.freeze(writeActions),
    otherActions: Object.freeze(grant.actions.filter((action) => action !== 'read' && !WRITE_ACTIONS.includes(action))),
  };
}

/**
 * The merge rule for fields without a record at hand: a path is in when some participating grant has
 * it and every participating grant lacking it is covered (same or wider scope) by a grant having it.
 * So an excluded field stays hidden unless the grants showing it reach at least the same records.
 */
export function coveredUnion(grants: readonly CompiledGrant[], fieldsOf: (grant: CompiledGrant) => ReadonlySet<string>): Set<string> {
  const candidates = new Set<string>();
  for (const grant of grants) for (const path of fieldsOf(grant)) candidates.add(path);
  const out = new Set<string>();
  for (const path of candidates) {
    const having = grants.filter((grant) => fieldsOf(grant).has(path));
    const ok = grants.every((grant) => fieldsOf(grant).has(path) || having.some((other) => covers(other.scope, grant.scope)));
    if (ok) out.add(path);
  }
  return out;
}
