import { redactRecordData } from '../../engine/index.js';

/**
 * A record's history as a caller may see it: each change `{ path, from, to }` is kept only when the caller may
 * read the field it touches on that record (the same readable set as the record view), and row values are
 * redacted like the record's subform rows. Field paths (README): `age`, `<subform>/<row _id>` (a row added or
 * removed) and `<subform>/<row _id>/<field>` (checked as `<subform>.<field>`).
 *
 * Workflow events (record-events.ts) write paths starting with `$` (`$status`, `$flags/<id>`, `$owner`,
 * `$approval/<type>`, …): they are not fields, hold keys, usernames and comments but never field values, and are
 * shown as they are to whoever may see the record's history.
 */
export interface HistoryChange {
  path: string;
  from: unknown;
  to: unknown;
}

export interface RedactedChanges {
  changes: HistoryChange[];
  /** Field paths (`age`, `<subform>.<field>`) of identifying values left in the changes (for the audit). */
  identifying: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** History path of disabling and enabling a record (`{ from, to, reason? }`): an event, not a field. */
export const DISABLED_PATH = '$disabled';

/**
 * The changes of a history row, with the path `disabled` of `disable`/`enable` rows written by earlier versions read
 * as `$disabled` (it named no field, so the view dropped it with its reason).
 */
export function disableEventChanges(action: string, changes: unknown): unknown {
  if ((action !== 'disable' && action !== 'enable') || !Array.isArray(changes)) return changes;
  return changes.map((change: unknown) => (isObject(change) && change.path === 'disabled' ? { ...change, path: DISABLED_PATH } : change));
}

function redactRows(subform: string, value: unknown, readable: ReadonlySet<string>): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (!Array.isArray(value)) return null;
  return redactRecordData({ [subform]: value }, readable)[subform] ?? null;
}

function redactRow(subform: string, value: unknown, readable: ReadonlySet<string>): unknown {
  if (!isObject(value)) return null;
  const rows = redactRecordData({ [subform]: [value] }, readable)[subform];
  return Array.isArray(rows) ? (rows[0] ?? null) : null;
}

function identifyingInRows(subform: string, values: unknown[], identifying: ReadonlySet<string>, found: Set<string>): void {
  for (const value of values) {
    const rows = Array.isArray(value) ? value : [value];
    for (const row of rows) {
      if (!isObject(row)) continue;
      for (const [key, v] of Object.entries(row)) {
        if (v !== null && v !== undefined && identifying.has(`${subform}.${key}`)) found.add(`${subform}.${key}`);
      }
    }
  }
}

/**
 * @param readable  fields the caller may read on this record (`ability.readableFields(m, rt, facts)`)
 * @param subforms  keys of the record type's subforms
 * @param identifying paths of the record type's identifying fields
 */
export function redactChanges(
  changes: unknown,
  readable: ReadonlySet<string>,
  subforms: ReadonlySet<string>,
  identifying: ReadonlySet<string>,
): RedactedChanges {
  const out: HistoryChange[] = [];
  const found = new Set<string>();
  if (!Array.isArray(changes)) return { changes: out, identifying: [] };
  for (const change of changes) {
    if (!isObject(change) || typeof change.path !== 'string') continue;
    if (change.path.startsWith('$')) {
      out.push({ ...change, path: change.path, from: change.from ?? null, to: change.to ?? null });
      continue;
    }
    const segments = change.path.split('/');
    const [head, , field] = segments;
    if (!readable.has(head)) continue;
    const from = change.from ?? null;
    const to = change.to ?? null;
    if (segments.length === 1) {
      if (subforms.has(head)) {
        const kept = { path: change.path, from: redactRows(head, from, readable), to: redactRows(head, to, readable) };
        identifyingInRows(head, [kept.from, kept.to], identifying, found);
        out.push(kept);
      } else {
        if (identifying.has(head) && (from !== null || to !== null)) found.add(head);
        out.push({ path: change.path, from, to });
      }
    } else if (segments.length === 2 && subforms.has(head)) {
      const kept = { path: change.path, from: redactRow(head, from, readable), to: redactRow(head, to, readable) };
      identifyingInRows(head, [kept.from, kept.to], identifying, found);
      out.push(kept);
    } else if (segments.length === 3 && subforms.has(head) && readable.has(`${head}.${field}`)) {
      if (identifying.has(`${head}.${field}`) && (from !== null || to !== null)) found.add(`${head}.${field}`);
      out.push({ path: change.path, from, to });
    }
  }
  return { changes: out, identifying: [...found].sort() };
}
