/** The CP bundle's registration requirements and consistency rules, through the engine (no database). */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { compileBundles, loadBundles, type CompiledRecordType, type ProcessContext } from '../../engine/index.js';
import { readBundleDir } from '../../modules/config/bundle-files.js';

const ctx: ProcessContext = { user: { id: 'u1', agency: 'agency_a', roles: ['cp_caseworker'], groups: [] }, today: '2026-11-25', now: '2026-11-25T10:00:00Z' };
let cpCase: CompiledRecordType;

beforeAll(async () => {
  const result = loadBundles([await readBundleDir('configs/core'), await readBundleDir('configs/cp')]);
  expect(result.issues).toEqual([]);
  cpCase = compileBundles(result.bundles!).recordType('cp', 'case');
});

describe('CP case', () => {
  it('requires sex and registration date, listing both at once', () => {
    const { issues } = cpCase.process({ name_first: 'A' }, ctx);
    expect(issues.map((i) => `${i.code} ${i.path}`).sort()).toEqual(['required /registration_date', 'required /sex']);
  });

  it('accepts a registration with a location from the hierarchy and refuses an unknown one', () => {
    const ok = cpCase.process({ registration_date: '2026-11-01', sex: 'female', age: 12, location_current: 'XX01D01' }, ctx);
    expect(ok.issues).toEqual([]);
    const bad = cpCase.process({ registration_date: '2026-11-01', sex: 'female', location_current: 'NOWHERE' }, ctx);
    expect(bad.issues).toEqual([expect.objectContaining({ code: 'unknown_location', path: '/location_current' })]);
  });

  it('refuses a date of birth after the registration and a registration in the future', () => {
    const { issues } = cpCase.process({ registration_date: '2027-01-01', sex: 'male', date_of_birth: '2027-02-01' }, ctx);
    const codes = issues.map((i) => `${i.code} ${i.path}`);
    expect(codes).toEqual(expect.arrayContaining(['date_in_future /registration_date', 'date_in_future /date_of_birth']));
  });

  it('marks names, ids and contacts identifying', () => {
    expect(cpCase.identifyingFields).toEqual(expect.arrayContaining(['name', 'name_first', 'date_of_birth', 'telephone_current', 'national_id_no']));
    expect(cpCase.identifyingFields).not.toContain('sex');
  });
});
