/**
 * Disabled records in reports: counted only for callers who may see them (their `disable` scope), as on every read
 * path, even where a report's own condition does not leave them out.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { configsWith } from './support/configs.js';
import { as, login, newAgency, newUser } from './support/factories.js';
import { newRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const REPORT = '/api/v1/reports/cp_case_indicators';

describe('aggregate reports and disabled records', () => {
  let t: TestApp;
  let configs: Awaited<ReturnType<typeof configsWith>>;
  let manager: ReturnType<typeof as>;
  let overseer: ReturnType<typeof as>;

  beforeAll(async () => {
    configs = await configsWith({
      // The shipped report without its "not disabled" condition.
      'cp/reports/cp_case_indicators.json': ({ where: _where, ...report }) => report,
      // A role that may see disabled cases of its agency (and run reports).
      'cp/roles/cp_records_overseer.json': {
        key: 'cp_records_overseer',
        label: 'Records overseer (test)',
        secondFactor: 'optional',
        reports: { aggregate: true },
        records: [{ module: 'cp', recordTypes: ['case'], scope: 'agency', actions: ['read', 'disable'], forms: { '*': 'read' } }],
      },
    });
    t = await startTestApp({ HAVEN_CONFIG_DIR: configs.dir });
    const ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'HOME' });
    const worker = await newUser(ds, { agency: 'HOME', roles: ['cp_caseworker'] });
    for (let i = 0; i < 6; i++) await newRecord(ds, { module: 'cp', recordType: 'case', owner: worker, data: { sex: 'female' } });
    for (let i = 0; i < 7; i++) await newRecord(ds, { module: 'cp', recordType: 'case', owner: worker, disabled: true, data: { sex: 'female' } });
    const m = await newUser(ds, { agency: 'HOME', roles: ['cp_manager'] });
    manager = as(t, await login(t, m.username, m.password));
    const o = await newUser(ds, { agency: 'HOME', roles: ['cp_records_overseer'] });
    overseer = as(t, await login(t, o.username, o.password));
  });

  afterAll(async () => {
    await t?.close();
    await configs?.remove();
  });

  const cases = async (who: ReturnType<typeof as>) => {
    const table = (await who.get(REPORT).expect(200)).body as { rows: Array<{ key: string; total: unknown }> };
    return table.rows.find((r) => r.key === 'cases')?.total;
  };

  it('leaves disabled records out for a caller who may not see them, whatever the report says', async () => {
    expect(await cases(manager)).toBe(6);
  });

  it('counts them for a caller who may disable (and so see) them, when the report does not leave them out', async () => {
    expect(await cases(overseer)).toBe(13);
  });
});
