import type { CompiledConfig, CompiledRecordType, FieldInfo } from '../../engine/index.js';

/**
 * Fields whose value no rule of the record type reads: no `visibleIf` (form, field, row, option), no computed
 * value, no validation rule names them, and their own definition and lookup carry no rule. Giving such a field
 * another valid value of its type cannot change what `process()` computes or accepts, which is what lets the
 * seed re-draw them per record on top of a pool of engine-processed records (seed-records.ts) instead of
 * running the whole engine a million times. The seed still checks that claim on a sample with `process()`.
 */

const REDRAWN_TYPES = new Set(['text', 'textarea', 'select', 'radio', 'multi_select', 'yes_no', 'tick_box', 'location', 'number', 'user', 'agency']);

interface References {
  /** Top-level keys read through `record.<key>`. */
  readonly record: Set<string>;
  /** Row keys read through `row.<key>` (any subform). */
  readonly row: Set<string>;
  /** A rule reads something the scan cannot pin down (a computed `var` path, the whole record): nothing is free. */
  everything: boolean;
  /** Some rule reads `user.*`: computed values and checks may depend on the record's owner. */
  user: boolean;
}

function notePath(path: unknown, refs: References): void {
  if (typeof path !== 'string') {
    refs.everything = true;
    return;
  }
  const [root, key] = path.split('.');
  if (root === 'user') refs.user = true;
  else if (root === 'record' || root === 'row') {
    if (key === undefined || key === '') refs.everything = true;
    else refs[root].add(key);
  }
}

/** Every `var` (and `missing` / `missing_some` name) anywhere in a JSON value. */
function scan(node: unknown, refs: References): void {
  if (Array.isArray(node)) {
    for (const item of node) scan(item, refs);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [op, arg] of Object.entries(node)) {
    if (op === 'var') notePath(Array.isArray(arg) ? arg[0] : arg, refs);
    else if (op === 'missing') for (const name of Array.isArray(arg) ? arg : [arg]) notePath(name, refs);
    else if (op === 'missing_some' && Array.isArray(arg)) for (const name of Array.isArray(arg[1]) ? arg[1] : []) notePath(name, refs);
    scan(arg, refs);
  }
}

function hasLogic(node: unknown): boolean {
  const refs: References = { record: new Set(), row: new Set(), everything: false, user: false };
  scan(node, refs);
  return refs.everything || refs.user || refs.record.size > 0 || refs.row.size > 0;
}

export interface FreeFields {
  /** Top-level leaf fields that can be re-drawn per record. */
  readonly fields: readonly FieldInfo[];
  /** Whether some rule of the record type reads the user: then a processed record belongs to its owner. */
  readonly dependsOnUser: boolean;
}

export function freeFields(compiled: CompiledConfig, rt: CompiledRecordType): FreeFields {
  const refs: References = { record: new Set(), row: new Set(), everything: false, user: false };
  for (const form of rt.forms) scan(form, refs);
  for (const bundle of compiled.source) {
    for (const { def } of bundle.rules) if (def.module === rt.module && def.recordType === rt.key) scan(def, refs);
  }
  if (refs.everything) return { fields: [], dependsOnUser: refs.user };
  const fields = rt.fields.filter((f) => {
    if (f.subform !== undefined || !f.stored || f.computed || f.readOnly || !REDRAWN_TYPES.has(f.type)) return false;
    if (refs.record.has(f.key)) return false;
    if (hasLogic(f.definition)) return false;
    const lookup = f.lookup === undefined ? undefined : compiled.lookups.get(f.lookup);
    return lookup === undefined || !hasLogic(lookup);
  });
  return { fields, dependsOnUser: refs.user };
}
