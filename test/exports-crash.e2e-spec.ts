/**
 * Export jobs across processes: the API instance under test only queues (its worker is off); workers are separate
 * processes of the built server (`node dist/modules/main.js`) on the same database. One is killed (SIGKILL) in the
 * middle of an export: no file may appear, and once the dead run's time is up the queue hands the job to another
 * instance, which runs it from scratch and delivers a complete file. Also, with the worker off, a job is run by
 * hand after its requester lost access: it fails closed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Response } from 'superagent';
import { DataSource } from 'typeorm';
import { freeLoopbackPort } from '../modules/database/embedded-postgres.js';
import { ExportRunner } from '../modules/exports/export-runner.js';
import { as, login, newUser, type TestUser } from './support/factories.js';
import { activeConfigHash } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(root, 'dist/modules/main.js');
const ROWS = 3000;
/** Short enough for a test: a run silent for this long is dead and its job is retried. */
const JOB_TIMEOUT_SECONDS = '4';

const SETTINGS = { HAVEN_EXPORT_BATCH_ROWS: '5', HAVEN_EXPORT_JOB_TIMEOUT_SECONDS: JOB_TIMEOUT_SECONDS, HAVEN_EXPORT_MAINTENANCE_SECONDS: '1' };

function binary(res: Response, cb: (err: Error | null, body: Buffer) => void) {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

interface Worker {
  child: ChildProcess;
  out: () => string;
  exited: Promise<void>;
}

describe('exports: a worker killed mid-export', () => {
  let t: TestApp;
  let ds: DataSource;
  let owner: TestUser;
  let api: ReturnType<typeof as>;
  const workers: Worker[] = [];

  /** A worker instance: the built server on the test database. */
  async function startWorker(): Promise<Worker> {
    const port = await freeLoopbackPort();
    const env: NodeJS.ProcessEnv = { ...process.env, ...SETTINGS, DATABASE_URL: t.db.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', HAVEN_EXPORT_WORKER: 'true', HAVEN_ADMIN_PASSWORD: 'crash-test-admin-password' };
    const child = spawn(process.execPath, [MAIN], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const worker = { child, out: () => out, exited: new Promise<void>((resolve) => child.on('exit', () => resolve())) };
    workers.push(worker);
    return worker;
  }

  const job = async (id: string) => (await api.get(`/api/v1/exports/${id}`).expect(200)).body;

  beforeAll(async () => {
    if (!fs.existsSync(MAIN)) throw new Error('Build first (npm run build): the workers run dist/modules/main.js.');
    Object.assign(process.env, SETTINGS, { HAVEN_EXPORT_WORKER: 'false' });
    try {
      t = await startTestApp();
    } finally {
      for (const key of [...Object.keys(SETTINGS), 'HAVEN_EXPORT_WORKER']) delete process.env[key];
    }
    ds = t.app.get(DataSource);
    owner = await newUser(ds, { username: 'crash.owner', roles: ['gbv_caseworker'] });
    api = as(t, await login(t, owner.username, owner.password));
    // Many small incidents, so that the export takes a while in batches of 5.
    await ds.query(
      `INSERT INTO record (short_id, display_id, module, record_type, owner_id, owner_agency, status, bundle_hash, data, created_by, updated_by, created_at)
       SELECT 'crash' || g, 'INC-crash' || g, 'gbv', 'incident', $1, $2, 'open', $3,
              jsonb_build_object('incidentid_ir', 'IR-' || g, 'consent_reporting', true, 'sex', 'female'), $1, $1, now() - make_interval(secs => $4 - g)
         FROM generate_series(1, $4) g`,
      [owner.id, owner.agency, await activeConfigHash(ds), ROWS],
    );
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await t?.close();
  });

  it('never delivers a partial file, and the retried job delivers a complete one', async () => {
    const first = await startWorker();
    const { id } = (await api.post('/api/v1/exports', { format: 'csv', recordType: 'incident', module: 'gbv', labels: false }).expect(202)).body;

    // Progress while it runs (through the API), then the kill in the middle.
    let seen: { status: string; rowsDone: number; rowsTotal: number; percent: number } | undefined;
    for (let i = 0; i < 3000 && !seen; i++) {
      const state = await job(id);
      if (state.status === 'running' && state.rowsDone > 0) seen = state;
      else if (first.child.exitCode !== null) throw new Error(`worker exited:\n${first.out()}`);
      else await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect(seen).toMatchObject({ status: 'running', rowsTotal: ROWS });
    expect(seen!.rowsDone).toBeLessThan(ROWS);
    expect(seen!.percent).toBe(Math.floor((seen!.rowsDone * 100) / ROWS));

    const afterKill = await job(id);
    expect(afterKill.status).toBe('running');
    expect(afterKill.rowsDone).toBeLessThan(ROWS);
    expect(await ds.query(`SELECT count(*)::int AS n FROM export_file WHERE job_id = $1`, [id])).toEqual([{ n: 0 }]);
    await api.get(`/api/v1/exports/${id}/file`).expect(404);

    const second = await startWorker();
    let done: Record<string, unknown> | undefined;
    for (let i = 0; i < 600 && !done; i++) {
      const state = await job(id);
      if (state.status === 'done' || state.status === 'failed') done = state;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(done).toMatchObject({ status: 'done', rowsDone: ROWS, rowsTotal: ROWS, rowsWritten: ROWS, percent: 100 });
    const [{ attempt }] = await ds.query(`SELECT attempt FROM export_job WHERE id = $1`, [id]);
    expect(attempt).toBe(2);

    const file = await api.get(`/api/v1/exports/${id}/file`).buffer(true).parse(binary).expect(200);
    const rows: string[][] = parse((file.body as Buffer).subarray(3));
    expect(rows).toHaveLength(ROWS + 1);
    const ids = new Set(rows.slice(1).map((r) => r[0]));
    const stored: Array<{ id: string }> = await ds.query(`SELECT id FROM record WHERE owner_id = $1`, [owner.id]);
    expect(ids).toEqual(new Set(stored.map((r) => r.id)));
    second.child.kill('SIGTERM');
    await second.exited;
  }, 180_000);

  it('fails closed when the requester lost access after the request', async () => {
    const runner = t.app.get(ExportRunner);
    const other = await newUser(ds, { username: 'crash.revoked', roles: ['gbv_caseworker'] });
    const otherApi = as(t, await login(t, other.username, other.password));
    const { id } = (await otherApi.post('/api/v1/exports', { format: 'json', recordType: 'incident', module: 'gbv' }).expect(202)).body;
    await ds.query(`UPDATE app_user SET roles = '{gbv_supervisor}' WHERE id = $1`, [other.id]);
    await runner.run(id, false);
    const state = (await otherApi.get(`/api/v1/exports/${id}`).expect(200)).body;
    expect(state).toMatchObject({ status: 'failed', error: { code: 'access_revoked' } });
    expect(await ds.query(`SELECT count(*)::int AS n FROM export_file WHERE job_id = $1`, [id])).toEqual([{ n: 0 }]);
    const audit = await ds.query(`SELECT action, outcome FROM audit_log WHERE object_id = $1 ORDER BY id`, [id]);
    expect(audit).toEqual([{ action: 'export.requested', outcome: 'allowed' }, { action: 'export.failed', outcome: 'failed' }]);

    const disabled = await newUser(ds, { username: 'crash.disabled', roles: ['gbv_caseworker'] });
    const disabledApi = as(t, await login(t, disabled.username, disabled.password));
    const second = (await disabledApi.post('/api/v1/exports', { format: 'csv', recordType: 'incident', module: 'gbv' }).expect(202)).body;
    await ds.query(`UPDATE app_user SET disabled = true WHERE id = $1`, [disabled.id]);
    await runner.run(second.id, false);
    expect(await ds.query(`SELECT status, error_code FROM export_job WHERE id = $1`, [second.id])).toEqual([{ status: 'failed', error_code: 'access_revoked' }]);
  });
});
