/**
 * Export throughput and memory, through the code a job runs: `ExportRunner.run` (the requester's ability rebuilt,
 * the request re-checked, the records read through a server-side cursor in one snapshot, redacted per record,
 * written by the format's writer to a temporary file, then stored in `export_file` with the job's `done` state).
 * Only the queue hand-off (pg-boss) and HTTP are left out.
 *
 * A fresh database on the PostgreSQL server of DATABASE_URL, N demo GBV incidents from the seed library (default
 * 100,000), a requester whose (benchmark-only) role reads and exports every incident with all fields. Each
 * measurement runs in a child process of its own, so that its peak RSS (`maxRSS`) is the export's alone:
 *
 *   1. the Incident Recorder (.xlsx; incidents without consent are read and left out);
 *   2. CSV of the same incidents (labels, every readable field);
 *   3. baseline: plain SQL reading the same rows through the same kind of cursor (FETCH 1000), nothing else.
 *
 * `--passes` (default 2) passes of the three, one after the other: the machine may be shared.
 *
 * Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:exports [-- --records 100000] [--passes 2]`
 * (`--keep` keeps the seeded database and prints its URL; `--reuse <url>` measures on it again, without seeding).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { AuditService } from '../modules/audit/audit.service.js';
import { PrincipalLoader } from '../modules/auth/principal.loader.js';
import { setLogLevel } from '../modules/common/logger.js';
import type { HavenRuntime } from '../modules/common/runtime.js';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { dataSourceOptions } from '../modules/database/data-source.js';
import { ExportRunner } from '../modules/exports/export-runner.js';
import { ExportsRepository } from '../modules/exports/exports.repository.js';
import { prepareDatabase } from '../modules/seed/prepare.js';
import { seedDemo } from '../modules/seed/seed-demo.js';
import { loadEnv } from '../modules/settings/env.js';
import { fmt, freshDatabase, machine, numberArg, repoRoot, serverVersion } from './support/bench-env.js';

const ROLE = {
  key: 'gbv_bench_exporter',
  label: 'Benchmark exporter',
  secondFactor: 'optional',
  records: [{ module: 'gbv', recordTypes: ['incident'], scope: 'all', actions: ['read', 'export'], forms: { '*': 'read' } }],
};

const ALL_FORMATS = ['incident-recorder', 'csv', 'sql'] as const;
/** `--formats csv,sql` runs only some of the measurements. */
const FORMATS = (process.argv.includes('--formats') ? process.argv[process.argv.indexOf('--formats') + 1].split(',') : [...ALL_FORMATS]).filter((f): f is (typeof ALL_FORMATS)[number] =>
  (ALL_FORMATS as readonly string[]).includes(f),
);

interface ChildInput {
  url: string;
  configDir: string;
  userId: string;
  format: 'incident-recorder' | 'csv' | 'sql';
}

interface ChildResult {
  format: string;
  seconds: number;
  rows: number;
  written: number;
  bytes: number;
  maxRssMb: number;
  /** CPU time of this process (user + system) during the measurement: on a shared machine, steadier than wall time. */
  cpuSeconds: number;
  /** Minor page faults of this process (memory touched for the first time: each costs a trip into the kernel). */
  pageFaults: number;
}

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/** One measurement in this (child) process. */
async function child(input: ChildInput): Promise<ChildResult> {
  const env = loadEnv({ LOG_LEVEL: 'error', DATABASE_URL: input.url, HAVEN_CONFIG_DIR: input.configDir });
  const runtime: HavenRuntime = { env, databaseKind: 'postgres', databaseUrl: input.url };
  const ds = new DataSource(dataSourceOptions(input.url, 4));
  await ds.initialize();
  try {
    if (input.format === 'sql') {
      const qr = ds.createQueryRunner();
      await qr.connect();
      const started = performance.now();
      const cpu = process.cpuUsage();
      const faults = process.resourceUsage().minorPageFault;
      await qr.startTransaction('REPEATABLE READ');
      await qr.query(`DECLARE plain NO SCROLL CURSOR FOR SELECT r.id, r.short_id, r.owner_id, r.status, r.created_at, r.data
                        FROM record r WHERE r.module = 'gbv' AND r.record_type = 'incident' AND NOT r.disabled ORDER BY r.created_at`);
      let rows = 0;
      for (;;) {
        const batch: unknown[] = await qr.query('FETCH 1000 FROM plain');
        rows += batch.length;
        if (batch.length < 1000) break;
      }
      await qr.commitTransaction();
      const seconds = (performance.now() - started) / 1000;
      const cpuSeconds = cpuSince(cpu);
      await qr.release();
      return { format: 'plain SQL (cursor, FETCH 1000)', seconds, rows, written: rows, bytes: 0, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuSeconds, pageFaults: process.resourceUsage().minorPageFault - faults };
    }
    const config = new ActiveConfigService(ds, runtime);
    await config.reload();
    const repo = new ExportsRepository(ds);
    const runner = new ExportRunner(ds, repo, config, new PrincipalLoader(ds, config), new AuditService(ds));
    const id = await repo.insert(
      { requestedBy: input.userId, format: input.format, module: 'gbv', recordType: 'incident', filter: {}, locale: 'en', labels: true, templateKey: null },
      ds.manager,
    );
    const started = performance.now();
    const cpu = process.cpuUsage();
    const faults = process.resourceUsage().minorPageFault;
    await runner.run(id, true);
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = cpuSince(cpu);
    const job = await repo.find(id);
    if (job?.status !== 'done') throw new Error(`export ${input.format} ended ${job?.status}: ${job?.errorMessage}`);
    const result = { format: input.format, seconds, rows: job.rowsTotal ?? 0, written: job.rowsWritten ?? 0, bytes: job.fileSize ?? 0, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuSeconds, pageFaults: process.resourceUsage().minorPageFault - faults };
    await ds.query(`DELETE FROM export_job WHERE id = $1`, [id]);
    return result;
  } finally {
    await ds.destroy();
  }
}

function runChild(input: ChildInput): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, self, '--child', JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child ${input.format} exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
    });
  });
}

async function main(): Promise<void> {
  setLogLevel(process.env.LOG_LEVEL ?? 'error');
  if (!process.env.DATABASE_URL) throw new Error('Set DATABASE_URL to the PostgreSQL server (a database of its own is created and dropped).');
  const records = numberArg('records', 100_000);
  const passes = Math.max(1, numberArg('passes', 2));
  const configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haven-bench-exports-configs-'));
  await fs.cp(path.join(repoRoot, 'configs'), configDir, { recursive: true });
  await fs.writeFile(path.join(configDir, 'gbv/roles/gbv_bench_exporter.json'), JSON.stringify(ROLE));
  // `--reuse <url>`: a database an earlier run seeded and kept (`--keep`); the code of two builds can then be
  // compared on the very same rows. `--keep` prints the database's URL instead of dropping it.
  const reuse = process.argv.includes('--reuse') ? process.argv[process.argv.indexOf('--reuse') + 1] : undefined;
  const keep = process.argv.includes('--keep');
  const fresh = reuse ? undefined : await freshDatabase('postgres');
  const db = { url: reuse ?? fresh!.url, close: async () => fresh?.close() };
  try {
    const version = await serverVersion(db.url);
    let userId: string;
    if (reuse) {
      const probe = new DataSource(dataSourceOptions(db.url, 1));
      await probe.initialize();
      try {
        const [row] = await probe.query(`SELECT id FROM app_user WHERE username = 'bench.exporter'`);
        if (!row) throw new Error(`${reuse} holds no benchmark data (seed it with --keep first).`);
        userId = row.id;
      } finally {
        await probe.destroy();
      }
    } else {
      const env = { ...fresh!.env, configDir };
      const prepared = await prepareDatabase(db.url, env, () => undefined);
      const started = performance.now();
      const seeded = await seedDemo(db.url, prepared.compiled, {
        incidents: records, cases: 0, cpCases: 0, agencies: 4, groupsPerAgency: 3, usersPerGroup: 5, seed: 42, history: false, append: false, today: '2026-06-30', password: 'benchmark-demo-password',
      });
      console.error(`seed: ${fmt(records)} incidents in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const ds = new DataSource(dataSourceOptions(db.url, 2));
      await ds.initialize();
      try {
        await ds.query('ANALYZE record');
        const [row] = await ds.query(
          `INSERT INTO app_user (username, password_hash, full_name, locale, roles, agency_id)
           VALUES ('bench.exporter', 'x', 'Benchmark exporter', 'en', '{gbv_bench_exporter}', (SELECT agency_id FROM app_user WHERE id = $1)) RETURNING id`,
          [seeded.users[0].id],
        );
        userId = row.id;
      } finally {
        await ds.destroy();
      }
      if (keep) console.error(`kept: --reuse ${db.url}`);
    }
    const results: Array<ChildResult & { pass: number }> = [];
    for (let pass = 1; pass <= passes; pass++) {
      for (const format of FORMATS) {
        const r = await runChild({ url: db.url, configDir, userId, format });
        console.error(`pass ${pass}, ${r.format}: ${fmt(r.rows / r.seconds)} rows/s (${r.seconds.toFixed(2)} s), peak RSS ${r.maxRssMb.toFixed(0)} MB, CPU ${r.cpuSeconds.toFixed(2)} s (${fmt((r.cpuSeconds * 1e6) / r.rows)} µs/record), ${fmt(r.pageFaults)} page faults`);
        results.push({ ...r, pass });
      }
    }
    console.log(`\n${machine()}; PostgreSQL ${version} (127.0.0.1); ${fmt(records)} demo GBV incidents; each measurement in its own process.\n`);
    console.log('| pass | export | records read | rows written | file | time s | rows/s | peak RSS MB | CPU s | CPU µs/record |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(`| ${r.pass} | ${r.format} | ${fmt(r.rows)} | ${fmt(r.written)} | ${r.bytes ? `${(r.bytes / 1024 / 1024).toFixed(1)} MB` : '—'} | ${r.seconds.toFixed(2)} | ${fmt(r.rows / r.seconds)} | ${r.maxRssMb.toFixed(0)} | ${r.cpuSeconds.toFixed(2)} | ${fmt((r.cpuSeconds * 1e6) / r.rows)} |`);
    }
  } finally {
    if (!keep) await db.close();
    await fs.rm(configDir, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf('--child');
if (at >= 0) {
  setLogLevel('error');
  void child(JSON.parse(process.argv[at + 1]) as ChildInput)
    .then((r) => {
      console.log(JSON.stringify(r));
      process.exit(0);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
} else {
  void main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
