import type { CompiledConfig } from '../../engine/index.js';

/**
 * Values a record holds for fields the configuration no longer defines (a newer bundle removed them).
 * Nothing is lost: the record keeps them in `data`, and the records read path shows them READ-ONLY, apart
 * from the form fields (docs/governance.md, "Records under a newer bundle"):
 *
 *   const removed = removedFieldValues(active.current(), row, await active.configFor(row.bundleHash));
 *   view.removedFields = removed.filter((f) => ability may read f.path under the OLD config);
 *
 * and the write path carries them over, since `process()` drops keys it does not know:
 *
 *   data = { ...processed.data, ...keepRemovedValues(compiled, stored.data) }
 *
 * Top-level keys that are no field (and not `_`-prefixed) come back with `path` = the key; keys of subform
 * rows that are no field of the subform with `path` `<subform>.<key>` and the row's `_id`.
 */
export interface RemovedFieldValue {
  /** `key` or `<subform>.<key>`. */
  readonly path: string;
  /** Subform row `_id` (subform children only). */
  readonly rowId?: string;
  readonly value: unknown;
  /** Base-language label from the configuration the record was last validated against, when known. */
  readonly label?: string;
  /** The field's type under that configuration, when known. */
  readonly type?: string;
}

export interface RecordRowLike {
  readonly module: string;
  readonly recordType: string;
  readonly data: Readonly<Record<string, unknown>>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isEmpty = (value: unknown): boolean => value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);

/**
 * The values of `row.data` for fields `compiled` does not define. `previous` (the configuration the record was
 * last validated against, e.g. `ActiveConfigService.configFor(row.bundleHash)`) supplies labels and types.
 * A record type the configuration no longer has at all gives every stored value.
 */
export function removedFieldValues(compiled: CompiledConfig, row: RecordRowLike, previous?: CompiledConfig): RemovedFieldValue[] {
  const rt = compiled.findRecordType(row.module, row.recordType);
  const old = previous?.findRecordType(row.module, row.recordType);
  const describe = (path: string) => {
    const info = old?.field(path);
    return info ? { label: info.label, type: info.type } : {};
  };
  const out: RemovedFieldValue[] = [];
  for (const [key, value] of Object.entries(row.data)) {
    if (key.startsWith('_') || isEmpty(value)) continue;
    const field = rt?.field(key);
    if (!field) {
      out.push({ path: key, value, ...describe(key) });
      continue;
    }
    if (field.type !== 'subform' || !Array.isArray(value)) continue;
    for (const item of value) {
      if (!isObject(item)) continue;
      const rowId = typeof item._id === 'string' ? item._id : undefined;
      for (const [childKey, childValue] of Object.entries(item)) {
        if (childKey === '_id' || isEmpty(childValue)) continue;
        const path = `${key}.${childKey}`;
        if (!rt?.field(path)) out.push({ path, ...(rowId ? { rowId } : {}), value: childValue, ...describe(path) });
      }
    }
  }
  return out;
}

/**
 * The part of stored data to carry over on a write under a configuration that removed fields: top-level keys
 * that are no field. (Removed subform children stay in their rows when the write path merges rows by `_id`.)
 */
export function keepRemovedValues(compiled: CompiledConfig, module: string, recordType: string, stored: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const rt = compiled.findRecordType(module, recordType);
  return Object.fromEntries(Object.entries(stored).filter(([key, value]) => !key.startsWith('_') && !isEmpty(value) && !rt?.field(key)));
}
