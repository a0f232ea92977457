/**
 * The field-level merge rule (README "Merge rule"): PATCH now, offline sync later, same code. Pure: no database,
 * no HTTP, no engine; the caller says which keys are subforms and which paths are derived.
 *
 * Field paths: a top-level field is its key (`age`); a subform row field is `<subform>/<row _id>/<field>`; adding or
 * removing a row is `<subform>/<row _id>`. Rows are matched by `_id`, never by position.
 *
 * An edit based on version `n` conflicts when a path it changes has `fieldVersions[path] > n`. Writing a value equal
 * to the stored one is not a change (and so never conflicts). Derived (computed) values never conflict: they are
 * recomputed after the merge.
 */

export type RecordData = Record<string, unknown>;

export interface MergeShape {
  /** Top-level keys whose values are lists of rows (`{ _id, …fields }`), merged row by row. */
  readonly subforms: ReadonlySet<string>;
  /**
   * Derived paths (`key` or `<subform>.<field>`): the engine computes them. A patch value for one is carried into the
   * merged data (for the engine to compare) but is never a change; derived row values the patch does not carry are
   * dropped from the merged rows so that the engine recomputes them from the merged row.
   */
  readonly derived: ReadonlySet<string>;
}

export interface MergeInput {
  readonly stored: Readonly<RecordData>;
  readonly fieldVersions: Readonly<Record<string, number>>;
  /** The version the edit was based on. */
  readonly baseVersion: number;
  /**
   * Changed fields only. `null` clears a field. A subform value is a list of rows: a known `_id` updates the fields
   * the row carries, an unknown `_id` adds the row, `{ "_id": …, "_removed": true }` removes it; rows not mentioned
   * stay.
   */
  readonly patch: Readonly<RecordData>;
}

/** A problem with the shape of the patch; `path` is a JSON pointer from the patch root. */
export interface MergeIssue {
  readonly code: 'invalid_type' | 'required' | 'duplicate_row';
  readonly path: string;
  readonly message: string;
}

export interface MergeResult {
  /** The stored data with the patch applied (not yet processed by the engine). */
  readonly data: RecordData;
  /** Field paths the patch changes, in patch order. */
  readonly changed: string[];
  /** Changed paths that something after the base version changed too. Nothing may be written when not empty. */
  readonly conflicts: string[];
  readonly issues: MergeIssue[];
}

export interface FieldChange {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

export const rowPath = (subform: string, rowId: string): string => `${subform}/${rowId}`;
export const rowFieldPath = (subform: string, rowId: string, field: string): string => `${subform}/${rowId}/${field}`;

/** Defines an own property, whatever the key (`__proto__` included: the engine then reports it as unknown). */
function set(target: RecordData, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

const isObject = (value: unknown): value is RecordData => typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON equality where an absent value equals null, object key order does not matter and array order does. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!sameValue(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/**
 * Whether a version after `baseVersion` changed `path` or one of the paths above it (`sub/row` and `sub` above
 * `sub/row/field`): removing a row forgets its fields' stamps, so an edit of a row field also looks at the row's.
 */
export function changedSince(fieldVersions: Readonly<Record<string, number>>, path: string, baseVersion: number): boolean {
  for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
    if ((fieldVersions[end === path.length ? path : path.slice(0, end)] ?? 0) > baseVersion) return true;
  }
  return false;
}

/**
 * Changes the engine made on its own (computed fields that are not read-only, recomputed from what the edit
 * changed) to paths that someone changed after the base version: the edit would overwrite their change unseen, so
 * they conflict like the edit's own paths. Read-only computed (derived) paths never conflict: they only follow
 * their inputs, which the merge checked.
 */
export function sideEffectConflicts(
  changes: readonly FieldChange[],
  checked: readonly string[],
  fieldVersions: Readonly<Record<string, number>>,
  baseVersion: number,
  derived: ReadonlySet<string>,
): string[] {
  const seen = new Set(checked);
  const out: string[] = [];
  for (const { path } of changes) {
    if (seen.has(path)) continue;
    const [head, , field] = path.split('/');
    if (derived.has(field === undefined ? head : `${head}.${field}`)) continue;
    if (changedSince(fieldVersions, path, baseVersion)) out.push(path);
  }
  return out;
}

/** Rows of a stored subform value by `_id` (rows without a string `_id` cannot be addressed and are kept as they are). */
function rowsById(value: unknown): Map<string, RecordData> {
  const out = new Map<string, RecordData>();
  if (!Array.isArray(value)) return out;
  for (const row of value) if (isObject(row) && typeof row._id === 'string') out.set(row._id, row);
  return out;
}

class Merge {
  readonly changed: string[] = [];
  readonly conflicts: string[] = [];
  readonly issues: MergeIssue[] = [];
  /** Derived fields each updated row of the patch carried, by row path. */
  private readonly sentDerived = new Map<string, Set<string>>();

  constructor(
    readonly input: MergeInput,
    readonly shape: MergeShape,
  ) {}

  /**
   * Records a change of `path`; a conflict when some version after the base changed `path` or a path above it (a
   * row field's row was removed or added again, a subform was replaced as a whole), or, with `within`, anything under it.
   */
  change(path: string, within = false): void {
    this.changed.push(path);
    const { fieldVersions, baseVersion } = this.input;
    if (changedSince(fieldVersions, path, baseVersion)) {
      this.conflicts.push(path);
      return;
    }
    if (!within) return;
    const prefix = `${path}/`;
    for (const [other, version] of Object.entries(fieldVersions)) {
      if (version > baseVersion && other.startsWith(prefix)) {
        this.conflicts.push(path);
        return;
      }
    }
  }

  issue(code: MergeIssue['code'], path: string, message: string): void {
    this.issues.push({ code, path, message });
  }

  field(out: RecordData, key: string, value: unknown): void {
    if (this.shape.derived.has(key)) {
      // Carried for the engine to compare with what it computes; never a change, never a conflict.
      set(out, key, value);
      return;
    }
    if (sameValue(value, this.input.stored[key])) return;
    this.change(key);
    if (value === null) delete out[key];
    else set(out, key, value);
  }

  subform(out: RecordData, key: string, value: unknown): void {
    if (!Array.isArray(value)) {
      this.issue('invalid_type', `/${key}`, 'A list of rows is expected, each with its "_id".');
      return;
    }
    const stored = this.input.stored[key];
    const known = rowsById(stored);
    const updated = new Map<string, RecordData>();
    const removed = new Set<string>();
    const added: RecordData[] = [];
    const seen = new Set<string>();
    value.forEach((row: unknown, i) => {
      const at = `/${key}/${i}`;
      if (!isObject(row)) return this.issue('invalid_type', at, 'A row is an object with an "_id".');
      const id = row._id;
      if (id === undefined || id === null || id === '') return this.issue('required', `${at}/_id`, 'Every row needs its "_id".');
      if (typeof id !== 'string') return this.issue('invalid_type', `${at}/_id`, 'A row "_id" is a string.');
      if (seen.has(id)) return this.issue('duplicate_row', `${at}/_id`, 'The same row appears twice in this change.');
      seen.add(id);
      const remove = row._removed;
      if (remove !== undefined && typeof remove !== 'boolean') return this.issue('invalid_type', `${at}/_removed`, '"_removed" is true or false.');
      const current = known.get(id);
      if (remove === true) {
        if (current === undefined) return; // already gone: removing it again changes nothing
        this.change(rowPath(key, id), true);
        removed.add(id);
        return;
      }
      if (current === undefined) {
        // Unknown id: a new row (a conflict when the row was removed after the base version).
        this.change(rowPath(key, id));
        added.push(newRow(row));
        return;
      }
      updated.set(id, this.updateRow(key, id, current, row));
    });
    if (updated.size === 0 && removed.size === 0 && added.length === 0 && !this.hasDerivedChildren(key)) return;
    const rows: unknown[] = [];
    for (const row of Array.isArray(stored) ? stored : []) {
      const id = isObject(row) && typeof row._id === 'string' ? row._id : undefined;
      if (id !== undefined && removed.has(id)) continue;
      rows.push(id === undefined ? row : this.withoutStaleDerived(key, id, updated.get(id) ?? (row as RecordData)));
    }
    rows.push(...added);
    set(out, key, rows);
  }

  private updateRow(subform: string, id: string, current: RecordData, patch: RecordData): RecordData {
    const out: RecordData = { ...current };
    const sent = new Set<string>();
    for (const [field, value] of Object.entries(patch)) {
      if (field === '_id' || field === '_removed') continue;
      if (this.shape.derived.has(`${subform}.${field}`)) {
        sent.add(field);
        set(out, field, value);
        continue;
      }
      if (sameValue(value, current[field])) continue;
      this.change(rowFieldPath(subform, id, field));
      if (value === null) delete out[field];
      else set(out, field, value);
    }
    if (sent.size > 0) this.sentDerived.set(rowPath(subform, id), sent);
    return out;
  }

  private hasDerivedChildren(subform: string): boolean {
    for (const path of this.shape.derived) if (path.startsWith(`${subform}.`)) return true;
    return false;
  }

  /** Keeps the derived values the patch carried for this row (for the engine to compare) and drops the other, stale ones. */
  private withoutStaleDerived(subform: string, id: string, row: RecordData): RecordData {
    const sent = this.sentDerived.get(rowPath(subform, id));
    let out: RecordData | undefined;
    for (const field of Object.keys(row)) {
      if (this.shape.derived.has(`${subform}.${field}`) && !sent?.has(field)) {
        out ??= { ...row };
        delete out[field];
      }
    }
    return out ?? row;
  }
}

function newRow(row: RecordData): RecordData {
  const out: RecordData = {};
  for (const [field, value] of Object.entries(row)) {
    if (field === '_removed' || value === null) continue;
    set(out, field, value);
  }
  return out;
}

/** Applies a patch to stored data by the merge rule. */
export function mergePatch(input: MergeInput, shape: MergeShape): MergeResult {
  const merge = new Merge(input, shape);
  const data: RecordData = { ...input.stored };
  for (const [key, value] of Object.entries(input.patch)) {
    if (shape.subforms.has(key)) merge.subform(data, key, value);
    else merge.field(data, key, value);
  }
  return { data, changed: merge.changed, conflicts: merge.conflicts, issues: merge.issues };
}

/**
 * Field-level changes from `before` to `after` (what history records and `fieldVersions` remember): top-level
 * keys, and for subforms row additions/removals (`<subform>/<id>`) and row field changes (`<subform>/<id>/<field>`).
 * A subform holding a row without a string `_id` is compared as a whole.
 */
export function diffData(before: Readonly<RecordData>, after: Readonly<RecordData>, subforms: ReadonlySet<string>): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const from = before[key];
    const to = after[key];
    if (sameValue(from, to)) continue;
    if (subforms.has(key) && addressable(from) && addressable(to)) diffRows(key, from, to, changes);
    else changes.push({ path: key, from: from ?? null, to: to ?? null });
  }
  return changes;
}

function addressable(value: unknown): value is RecordData[] | undefined | null {
  return value === undefined || value === null || (Array.isArray(value) && value.every((row) => isObject(row) && typeof row._id === 'string'));
}

function diffRows(key: string, from: RecordData[] | undefined | null, to: RecordData[] | undefined | null, changes: FieldChange[]): void {
  const before = rowsById(from);
  const after = rowsById(to);
  for (const [id, row] of before) if (!after.has(id)) changes.push({ path: rowPath(key, id), from: row, to: null });
  for (const [id, row] of after) {
    const old = before.get(id);
    if (old === undefined) {
      changes.push({ path: rowPath(key, id), from: null, to: row });
      continue;
    }
    for (const field of new Set([...Object.keys(old), ...Object.keys(row)])) {
      if (field !== '_id' && !sameValue(old[field], row[field])) {
        changes.push({ path: rowFieldPath(key, id, field), from: old[field] ?? null, to: row[field] ?? null });
      }
    }
  }
}

/**
 * `fieldVersions` after a change written as `version`: every changed path is stamped; a removed row keeps its own
 * stamp (an edit of it based on an older version then conflicts) and forgets its fields'.
 */
export function nextFieldVersions(current: Readonly<Record<string, number>>, changes: readonly FieldChange[], version: number): Record<string, number> {
  const out: Record<string, number> = { ...current };
  for (const change of changes) {
    out[change.path] = version;
    if (change.to === null && change.path.split('/').length === 2) {
      const prefix = `${change.path}/`;
      for (const path of Object.keys(out)) if (path.startsWith(prefix)) delete out[path];
    }
  }
  return out;
}
