import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = path.resolve('dist/modules/cli/config.js');

async function config(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function editJson(file: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await fs.readFile(file, 'utf8'));
  edit(json);
  await fs.writeFile(file, JSON.stringify(json, null, 2));
}

describe('npm run config', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-config-cli-'));
    await fs.cp(path.resolve('configs'), dir, { recursive: true });
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('validates the shipped bundles', async () => {
    for (const bundle of ['core', 'gbv', 'cp']) {
      const res = await config('validate', path.resolve('configs', bundle));
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/valid — bundle/);
    }
  });

  it('prints the same hash whatever the formatting, a different one after a change', async () => {
    const before = (await config('hash', path.join(dir, 'core'))).stdout.trim();
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    await editJson(path.join(dir, 'core/lookups/gender.json'), () => undefined); // re-indented, same content
    expect((await config('hash', path.join(dir, 'core'))).stdout.trim()).toBe(before);
    await editJson(path.join(dir, 'core/lookups/gender.json'), (j) => (j.label = 'Sex at birth'));
    expect((await config('hash', path.join(dir, 'core'))).stdout.trim()).not.toBe(before);
  });

  it('reports every planted mistake in one run, each with file and JSON pointer, and exits 1', async () => {
    const gbv = path.join(dir, 'gbv');
    await editJson(path.join(gbv, 'forms/gbv.incident.gbv_incident_form.json'), (form) => {
      const fields = form.fields as Array<Record<string, unknown>>;
      fields[1].type = 'no_such_type';
      fields[2].lookup = 'no_such_lookup';
    });
    await editJson(path.join(gbv, 'lookups/gbv_reported_elsewhere.json'), (lookup) => {
      const values = lookup.values as Array<Record<string, unknown>>;
      values.push({ ...values[0] });
    });
    await editJson(path.join(gbv, 'rules/gbv.incident.json'), (rules) => {
      (rules.rules as Array<Record<string, unknown>>)[0].assert = { '<=': [{ var: 'record.no_such_field' }, 1] };
    });
    await fs.writeFile(path.join(gbv, 'lookups/broken.json'), '{ "key": ');
    await editJson(path.join(gbv, 'roles/gbv_caseworker.json'), (role) => {
      const grant = (role.records as Array<Record<string, unknown>>)[0];
      grant.forms = { ...(grant.forms as object), no_such_form: 'read' };
      grant.actions = [...(grant.actions as string[]), 'launch_rockets'];
      grant.excludeFields = ['@no_such_set'];
    });
    const res = await config('validate', gbv);
    expect(res.code).toBe(1);
    const lines = res.stdout.split('\n').filter((l) => l.includes('#'));
    expect(lines.some((l) => /forms\/gbv\.incident\.gbv_incident_form\.json#\/fields\/1/.test(l))).toBe(true);
    expect(lines.some((l) => /forms\/gbv\.incident\.gbv_incident_form\.json#\/fields\/2\/lookup/.test(l))).toBe(true);
    expect(lines.some((l) => /lookups\/gbv_reported_elsewhere\.json#\/values\/\d+/.test(l))).toBe(true);
    expect(lines.some((l) => /rules\/gbv\.incident\.json#\/rules\/0\/assert/.test(l))).toBe(true);
    expect(lines.some((l) => /lookups\/broken\.json#.*invalid_json/.test(l))).toBe(true);
    expect(lines.some((l) => /roles\/gbv_caseworker\.json#\/records\/0\/forms\/no_such_form.*unknown_form/.test(l))).toBe(true);
    expect(lines.some((l) => /roles\/gbv_caseworker\.json#\/records\/0\/actions\/\d+.*unknown_action/.test(l))).toBe(true);
    expect(lines.some((l) => /roles\/gbv_caseworker\.json#\/records\/0\/excludeFields\/0.*unknown_field_set/.test(l))).toBe(true);
  });

  it('lists missing translations and round-trips the translation spreadsheet', async () => {
    const missing = await config('translations', path.resolve('configs/core'), '--missing', 'fr');
    expect(missing.code).toBe(0);
    expect(missing.stderr).toMatch(/^0 key\(s\) without a "fr" text/m);
    const sw = await config('translations', path.resolve('configs/core'), '--missing', 'sw');
    expect(sw.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(100);
    const sheet = path.join(dir, 'core-translations.xlsx');
    const exported = await config('translations', path.resolve('configs/core'), '--export', sheet);
    expect(exported.code).toBe(0);
    const copy = path.join(dir, 'core-copy');
    await fs.cp(path.resolve('configs/core'), copy, { recursive: true });
    await fs.rm(path.join(copy, 'translations/fr.json'));
    await fs.writeFile(path.join(copy, 'translations/fr.json'), '{}');
    expect((await config('translations', copy, '--import', sheet)).code).toBe(0);
    const restored = JSON.parse(await fs.readFile(path.join(copy, 'translations/fr.json'), 'utf8'));
    const original = JSON.parse(await fs.readFile(path.resolve('configs/core/translations/fr.json'), 'utf8'));
    expect(restored).toEqual(original);
  });

  it('describes a bundle as an outline', async () => {
    const res = await config('describe', path.resolve('configs/gbv'));
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Record type incident/);
    expect(res.stdout).toMatch(/gbv_sexual_violence_type\s+select \[[^\]]*computed/);
  });
});
