import { beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { compileBundles, loadBundles, type CompiledConfig } from '../../engine/index.js';
import { diffData } from '../records/merge.js';
import { SHORT_ID_ALPHABET, SHORT_ID_LENGTH } from '../records/short-id.js';
import { readConfigDir } from '../config/bundle-files.js';
import { copyText, copyTextArray } from './copy-writer.js';
import { ownersFor, planPeople, type PeoplePlan } from './people.js';
import { RecordSource } from './record-source.js';
import { ShortIds } from './short-ids.js';

/** The seed's records against the shipped bundles: engine-valid, deterministic, and their ids unique. */
let compiled: CompiledConfig;
let plan: PeoplePlan;

beforeAll(async () => {
  const sources = await readConfigDir(path.resolve('configs'));
  const loaded = loadBundles(sources.map((s) => s.files));
  if (!loaded.bundles) throw new Error(JSON.stringify(loaded.issues.slice(0, 5)));
  compiled = compileBundles(loaded.bundles);
  plan = planPeople({ agencies: 2, groupsPerAgency: 2, usersPerGroup: 3, programmes: new Set(['gbv', 'cp']) });
  plan.users.forEach((u, i) => (u.id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
});

const source = (module: string, recordType: string, poolSize = 60) =>
  new RecordSource(compiled, module, recordType, ownersFor(plan, module), { seed: 9, today: '2026-06-30', poolSize, offset: 0 });

describe.each([
  ['gbv', 'incident'],
  ['gbv', 'case'],
  ['cp', 'case'],
])('seeded %s/%s records', (module, recordType) => {
  it('pass process() unchanged, pool records and varied ones alike (computed values included)', () => {
    const s = source(module, recordType);
    s.preparePool(1000);
    for (let i = 0; i < 300; i++) expect(() => s.check(s.record(i, 1000))).not.toThrow();
  });

  it('are the same for the same seed, whatever else was generated before', () => {
    const a = source(module, recordType);
    a.preparePool(500);
    const b = source(module, recordType);
    b.preparePool(500);
    b.record(3, 500);
    expect(b.record(42, 500)).toEqual(a.record(42, 500));
  });

  it('carry the create history changes the write path records (diffData from nothing)', () => {
    const s = source(module, recordType, 20);
    s.preparePool(100);
    const subforms = new Set(s.rt.subforms.map((f) => f.key));
    for (const i of [0, 5, 77]) {
      const rec = s.record(i, 100, true);
      const changes = JSON.parse(rec.changes!) as unknown[];
      expect(changes).toEqual(diffData({}, JSON.parse(rec.json) as Record<string, unknown>, subforms));
      expect(rec.paths).toEqual((changes as Array<{ path: string }>).map((c) => c.path));
    }
  });
});

describe('owners', () => {
  it('are caseworkers of the module, with their agency and team as snapshots', () => {
    const s = source('gbv', 'incident');
    s.preparePool(50);
    for (let i = 0; i < 50; i++) {
      const { owner } = s.record(i, 50);
      expect(owner.supervisor).toBe(false);
      expect(owner.roles).toContain('gbv_caseworker');
      expect(owner.groupCodes[0]).toMatch(new RegExp(`^${owner.agencyCode.toLowerCase()}-`));
    }
  });
});

describe('short ids', () => {
  it('never repeat within a run and use the write path alphabet', () => {
    const ids = new ShortIds(42);
    const seen = new Set<string>();
    for (let n = 0; n < 50_000; n++) seen.add(ids.at(n));
    expect(seen.size).toBe(50_000);
    const pattern = new RegExp(`^[${SHORT_ID_ALPHABET}]{${SHORT_ID_LENGTH}}$`);
    expect([...seen].every((id) => pattern.test(id))).toBe(true);
    expect(new ShortIds(42).at(7)).toBe(ids.at(7));
    expect(new ShortIds(43).at(7)).not.toBe(ids.at(7));
  });
});

describe('COPY text format', () => {
  it.each([
    ['plain', 'plain'],
    ['a\\b', 'a\\\\b'],
    ['tab\there', 'tab\\there'],
    ['line\nbreak\r', 'line\\nbreak\\r'],
  ])('escapes %j', (input, expected) => expect(copyText(input)).toBe(expected));

  it('writes text arrays with quoted elements', () => expect(copyTextArray(['demo-ag1-gbv1', 'x"y'])).toBe('{"demo-ag1-gbv1","x\\"y"}'));
});
