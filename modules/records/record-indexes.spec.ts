import { beforeAll, describe, expect, it } from '@jest/globals';
import type { CompiledConfig } from '../../engine/index.js';
import { shippedConfig } from './query/spec-config.js';
import { compositeKey, indexFor, indexName, wantedIndexes } from './record-indexes.js';

describe('per-bundle record indexes', () => {
  let config: CompiledConfig;
  beforeAll(async () => {
    config = await shippedConfig();
  });

  it('one expression index (rows with a value) per distinct list-query expression, serving every `indexes` entry', () => {
    const wanted = wantedIndexes(config);
    const entries = config.recordTypes.flatMap((t) => (t.definition.indexes ?? []).map((i) => ({ module: t.module, recordType: t.key, field: 'field' in i ? i.field : compositeKey(i.fields) })));
    expect(wanted.flatMap((w) => w.usedBy)).toHaveLength(entries.length);
    for (const entry of entries) expect(indexFor(wanted, entry.module, entry.recordType, entry.field)).toBeDefined();
    const age = indexFor(wanted, 'gbv', 'case', 'age')!;
    const ageExpr = `(CASE WHEN jsonb_typeof(data->'age') = 'number' THEN (data->>'age')::numeric END)`;
    expect(age.sql).toBe(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${age.name} ON record (${ageExpr}) WHERE ${ageExpr} IS NOT NULL`);
    expect(age.statistics).toEqual({ name: age.name.replace('record_x_', 'record_s_'), sql: `CREATE STATISTICS IF NOT EXISTS ${age.name.replace('record_x_', 'record_s_')} ON (${ageExpr}) FROM record` });
    // Not restricted to a module/record type, nor led by those columns: the planner could not AND two of them otherwise.
    for (const w of wanted) expect(w.sql).not.toMatch(/module|record_type/);
    // A key several record types index with the same expression shares one index.
    const sex = indexFor(wanted, 'gbv', 'case', 'sex')!;
    expect(sex.sql).toContain(`ON record ((data->>'sex'))`);
    expect(sex.usedBy.map((u) => `${u.module}.${u.recordType}`)).toEqual(expect.arrayContaining(['gbv.case', 'gbv.incident']));
    const multi = indexFor(wanted, 'cp', 'case', 'protection_concerns')!;
    expect(multi.sql).toContain(`ON record USING gin ((data->'protection_concerns')) WHERE (data->'protection_concerns') IS NOT NULL`);
    expect(multi.statistics).toBeUndefined();
    const date = indexFor(wanted, 'gbv', 'incident', 'incident_date')!;
    expect(date.sql).toContain(`ON record (((data->>'incident_date') COLLATE "C"))`);
  });

  it('a composite entry: one btree over the fields, then created_at and the scope columns, holding the rows with a value for the first', () => {
    const wanted = wantedIndexes(config);
    const composite = indexFor(wanted, 'gbv', 'incident', compositeKey(['gbv_sexual_violence_type', 'incident_date']))!;
    const type = `(data->>'gbv_sexual_violence_type')`;
    const date = `((data->>'incident_date') COLLATE "C")`;
    // The owner's single group as the list scope writes it (scope-sql.ts), so that the planner matches the two.
    const group = `(CASE WHEN cardinality(owner_groups) = 1 THEN owner_groups[1] END)`;
    expect(composite.composite).toBe(true);
    expect(composite.statistics).toBeUndefined();
    expect(composite.sql).toBe(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${composite.name} ON record (${type}, ${date}, created_at DESC, ${group}, owner_id, owner_agency) WHERE ${type} IS NOT NULL`,
    );
    // The single-field indexes of the same fields stay.
    expect(indexFor(wanted, 'gbv', 'incident', 'incident_date')!.name).not.toBe(composite.name);
  });

  it('names are stable, distinct, valid identifiers, and change with the definition', () => {
    const names = wantedIndexes(config).map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^record_x_[0-9a-f]{24}$/.test(n))).toBe(true);
    expect(indexName('x')).toBe(indexName('x'));
    expect(indexName('x')).not.toBe(indexName('y'));
  });
});
