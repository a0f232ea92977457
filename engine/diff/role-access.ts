/**
 * What one role opens, computed straight from parsed definitions (no compilation: a diff must work on
 * bundles that would not load together), and whether a new version of a role opens more than the old one.
 * Both versions are evaluated against the SAME forms (the new configuration), so only the role's own change
 * counts; changes of forms and fields are flagged on the fields themselves.
 */
import type { RoleDefinition } from '../bundle/schema/role.js';
import type { RecordScope } from '../bundle/schema/role-catalogue.js';
import type { ParsedBundle } from '../bundle/types.js';
import { covers } from '../abilities/scopes.js';
import { childFields, type FieldDefinition } from '../fields/index.js';

export interface FieldMeta {
  readonly path: string;
  readonly form: string;
  readonly identifying: boolean;
  readonly stored: boolean;
  readonly subform?: string;
}

/** Every field of one record type across the forms of a bundle set, subform children as `<subform>.<key>`. */
export function recordTypeFields(set: readonly ParsedBundle[], module: string, recordType: string): FieldMeta[] {
  const out: FieldMeta[] = [];
  for (const bundle of set) {
    for (const { def: form } of bundle.forms) {
      if (form.module !== module || form.recordType !== recordType) continue;
      for (const field of form.fields as readonly FieldDefinition[]) {
        const parentIdentifying = field.identifying === true;
        out.push({ path: field.key, form: form.key, identifying: parentIdentifying, stored: field.type !== 'separator' });
        for (const child of childFields(field)) {
          out.push({
            path: `${field.key}.${child.key}`,
            form: form.key,
            // An identifying subform goes whole.
            identifying: parentIdentifying || child.identifying === true,
            stored: child.type !== 'separator',
            subform: field.key,
          });
        }
      }
    }
  }
  return out;
}

type Level = 'none' | 'read' | 'read_write';
const RANK: Record<Level, number> = { none: 0, read: 1, read_write: 2 };

export interface GrantAccess {
  readonly module: string;
  readonly recordType: string;
  readonly scope: RecordScope;
  readonly actions: ReadonlySet<string>;
  readonly read: ReadonlySet<string>;
  readonly write: ReadonlySet<string>;
  readonly forms: ReadonlyMap<string, Level>;
  readonly excludeFields: readonly string[];
}

function formLevel(forms: Readonly<Record<string, string>>, form: string): Level {
  const own = Object.prototype.hasOwnProperty.call(forms, form) ? forms[form] : forms['*'];
  return (own as Level | undefined) ?? 'none';
}

/** One entry per (record grant, record type). */
export function roleAccess(role: RoleDefinition, set: readonly ParsedBundle[]): GrantAccess[] {
  const out: GrantAccess[] = [];
  for (const grant of role.records ?? []) {
    for (const recordType of grant.recordTypes) {
      const fields = recordTypeFields(set, grant.module, recordType);
      const formKeys = [...new Set(fields.map((f) => f.form))];
      for (const bundle of set) for (const { def } of bundle.forms) if (def.module === grant.module && def.recordType === recordType && !formKeys.includes(def.key)) formKeys.push(def.key);
      const actions = new Set(grant.actions);
      const reads = actions.has('read');
      const writes = actions.has('create') || actions.has('update');
      const forms = new Map<string, Level>(formKeys.map((form) => [form, reads ? formLevel(grant.forms, form) : 'none'] as const));
      const excluded = new Set<string>();
      for (const entry of grant.excludeFields ?? []) {
        if (entry === '@identifying') for (const f of fields) if (f.identifying) excluded.add(f.path);
        excluded.add(entry);
      }
      const out_ = (path: string, subform: string | undefined) => excluded.has(path) || (subform !== undefined && excluded.has(subform));
      const read = new Set<string>();
      const write = new Set<string>();
      for (const f of fields) {
        if (!f.stored || out_(f.path, f.subform)) continue;
        const level = forms.get(f.form) ?? 'none';
        if (reads && level !== 'none') read.add(f.path);
        if (reads && writes && level === 'read_write') write.add(f.path);
      }
      out.push({ module: grant.module, recordType, scope: grant.scope, actions, read, write, forms, excludeFields: grant.excludeFields ?? [] });
    }
  }
  return out;
}

export interface Widening {
  readonly reasons: readonly string[];
  /** Newly readable identifying paths, by `<module>/<recordType>`. */
  readonly identifying: ReadonlyMap<string, readonly string[]>;
}

/** How `after` opens more than `before` (both evaluated on `set`); no reasons when it does not. */
export function roleWidening(before: RoleDefinition, after: RoleDefinition, set: readonly ParsedBundle[]): Widening {
  const reasons: string[] = [];
  const identifying = new Map<string, string[]>();
  const old = roleAccess(before, set);
  const now = roleAccess(after, set);
  const identifyingPaths = new Map<string, Set<string>>();
  const identifyingOf = (module: string, recordType: string): Set<string> => {
    const id = `${module}/${recordType}`;
    let paths = identifyingPaths.get(id);
    if (paths === undefined) {
      paths = new Set(recordTypeFields(set, module, recordType).filter((f) => f.identifying).map((f) => f.path));
      identifyingPaths.set(id, paths);
    }
    return paths;
  };

  for (const grant of now) {
    const where = `${grant.module}/${grant.recordType}`;
    const same = old.filter((g) => g.module === grant.module && g.recordType === grant.recordType);
    const covering = same.filter((g) => covers(g.scope, grant.scope));
    for (const action of grant.actions) {
      if (covering.some((g) => g.actions.has(action))) continue;
      const had = same.filter((g) => g.actions.has(action)).map((g) => g.scope);
      reasons.push(
        had.length === 0
          ? `${where}: gains "${action}" (scope ${grant.scope})`
          : `${where}: wider scope for "${action}": ${[...new Set(had)].join('/')} -> ${grant.scope}`,
      );
    }
    for (const [form, level] of grant.forms) {
      const best = Math.max(0, ...covering.map((g) => RANK[g.forms.get(form) ?? 'none']));
      if (RANK[level] > best) reasons.push(`${where}: form "${form}" opens ${level} (was ${(['none', 'read', 'read_write'] as const)[best]})`);
    }
    for (const g of covering) {
      const dropped = g.excludeFields.filter((entry) => !grant.excludeFields.includes(entry));
      if (dropped.length > 0 && g.scope === grant.scope) reasons.push(`${where}: no longer excludes ${dropped.map((d) => `"${d}"`).join(', ')}`);
    }
    const newlyRead = [...grant.read].filter((path) => !covering.some((g) => g.read.has(path)));
    const newlyWritten = [...grant.write].filter((path) => !covering.some((g) => g.write.has(path)));
    if (newlyRead.length > 0) reasons.push(`${where}: reads ${newlyRead.length} more field(s) (scope ${grant.scope}): ${newlyRead.join(', ')}`);
    if (newlyWritten.length > 0) reasons.push(`${where}: writes ${newlyWritten.length} more field(s) (scope ${grant.scope}): ${newlyWritten.join(', ')}`);
    const ids = identifyingOf(grant.module, grant.recordType);
    const exposed = newlyRead.filter((path) => ids.has(path));
    if (exposed.length > 0) identifying.set(where, [...new Set([...(identifying.get(where) ?? []), ...exposed])]);
  }

  for (const grant of after.admin ?? []) {
    const scope = grant.scope ?? 'all';
    for (const action of grant.actions) {
      const ok = (before.admin ?? []).some((g) => g.subject === grant.subject && g.actions.includes(action) && ((g.scope ?? 'all') === 'all' || scope === 'agency'));
      if (!ok) reasons.push(`admin: gains "${action}" on ${grant.subject} (scope ${scope})`);
    }
  }
  if (after.reports?.aggregate === true && before.reports?.aggregate !== true) reasons.push('gains aggregate reports');
  if (before.secondFactor === 'required' && after.secondFactor !== 'required') reasons.push('no longer requires a second factor');
  return { reasons: [...new Set(reasons)], identifying };
}
