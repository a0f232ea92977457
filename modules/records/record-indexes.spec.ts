import { beforeAll, describe, expect, it } from '@jest/globals';
import type { CompiledConfig } from '../../engine/index.js';
import { shippedConfig } from './query/spec-config.js';
import { indexName, wantedIndexes } from './record-indexes.js';

describe('per-bundle record indexes', () => {
  let config: CompiledConfig;
  beforeAll(async () => {
    config = await shippedConfig();
  });

  it('one partial expression index per `indexes` entry, with the list-query expression', () => {
    const wanted = wantedIndexes(config);
    const expected = config.recordTypes.reduce((n, t) => n + (t.definition.indexes?.length ?? 0), 0);
    expect(wanted).toHaveLength(expected);
    const age = wanted.find((w) => w.module === 'gbv' && w.recordType === 'case' && w.field === 'age')!;
    expect(age.sql).toBe(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${age.name} ON record ((CASE WHEN jsonb_typeof(data->'age') = 'number' THEN (data->>'age')::numeric END)) WHERE module = 'gbv' AND record_type = 'case'`,
    );
    const sex = wanted.find((w) => w.module === 'gbv' && w.recordType === 'case' && w.field === 'sex')!;
    expect(sex.sql).toContain(`ON record ((data->>'sex')) WHERE module = 'gbv' AND record_type = 'case'`);
    const multi = wanted.find((w) => w.module === 'cp' && w.recordType === 'case' && w.field === 'protection_concerns')!;
    expect(multi.sql).toContain(`ON record USING gin ((data->'protection_concerns')) WHERE module = 'cp' AND record_type = 'case'`);
    const date = wanted.find((w) => w.module === 'gbv' && w.recordType === 'incident' && w.field === 'incident_date')!;
    expect(date.sql).toContain(`ON record (((data->>'incident_date') COLLATE "C"))`);
  });

  it('names are stable, distinct, and valid identifiers', () => {
    const names = wantedIndexes(config).map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^record_x_[0-9a-f]{24}$/.test(n))).toBe(true);
    expect(indexName('gbv', 'case', 'age', 'x')).toBe(indexName('gbv', 'case', 'age', 'x'));
    expect(indexName('gbv', 'case', 'age', 'x')).not.toBe(indexName('gbv', 'case', 'age', 'y'));
  });
});
