/**
 * PDF printouts over HTTP: the built server (`node dist/modules/main.js`) on a fresh embedded database with demo GBV
 * cases, Chromium from HAVEN_CHROMIUM_PATH (default Debian's `/usr/bin/chromium`). The case summary of the demo case
 * with the most data, printed by its owner:
 *
 *   1. one HTML print first (the app's own cold path), then the first PDF: the cold browser (Chromium launched by
 *      that request);
 *   2. warm PDFs per second with 1, 2 and 4 clients for `--seconds` each (the renderer renders 2 at a time), with the
 *      HTML print beside them;
 *   3. memory, sampled every 100 ms: the server's peak RSS (VmHWM) and the peak of the Chromium processes' summed PSS
 *      (proportional set size: shared pages split between the processes that map them, so the sum is not inflated);
 *   4. SIGTERM to exit, and whether any Chromium process outlives the server.
 *
 * Run: `npm run bench:print [-- --seconds 10] [--cases 200]`
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { setLogLevel } from '../modules/common/logger.js';
import { openDatabase } from '../modules/database/open-database.js';
import { prepareDatabase } from '../modules/seed/prepare.js';
import { seedDemo } from '../modules/seed/seed-demo.js';
import { loadEnv } from '../modules/settings/env.js';
import { freshServerTarget, machine, ms, numberArg, repoRoot, timing, type Timing } from './support/bench-env.js';
import { login, startHaven, stopHaven } from './support/haven-process.js';

const SECONDS = numberArg('seconds', 10);
const CASES = numberArg('cases', 200);
const PASSWORD = 'benchmark-demo-password';
const ADMIN_PASSWORD = 'benchmark-admin-password';

/** pid → parent pid, for every process (Linux /proc). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      map.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  return map;
}

function descendants(root: number): number[] {
  const map = parents();
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [pid, ppid] of map) if (frontier.includes(ppid)) next.push(pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/** A `kB` line of a /proc file, in MiB (0 when the process is gone). */
function procKb(file: string, key: string): number {
  try {
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
    return line === undefined ? 0 : Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    return 0;
  }
}

const isChromium = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chrom');
  } catch {
    return false;
  }
};

interface Phase {
  label: string;
  clients: number;
  done: number;
  failures: number;
  seconds: number;
  latency: Timing;
}

async function drive(label: string, clients: number, seconds: number, once: () => Promise<boolean>): Promise<Phase> {
  const latencies: number[] = [];
  let done = 0;
  let failures = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        if (await once()) {
          done++;
          latencies.push(performance.now() - t);
        } else failures++;
      }
    }),
  );
  return { label, clients, done, failures, seconds: (performance.now() - started) / 1000, latency: timing(latencies) };
}

async function main(): Promise<void> {
  setLogLevel('error');
  const log = (line: string) => console.error(line);
  const target = await freshServerTarget('embedded');
  const haven = await startHaven({ ...target.env, HAVEN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const pid = haven.child.pid!;
  const seenChromium = new Set<number>();
  let peakChromiumPss = 0;
  let peakChromiumProcs = 0;
  const sampler = setInterval(() => {
    const chrome = descendants(pid).filter(isChromium);
    for (const p of chrome) seenChromium.add(p);
    peakChromiumProcs = Math.max(peakChromiumProcs, chrome.length);
    peakChromiumPss = Math.max(peakChromiumPss, chrome.reduce((sum, p) => sum + procKb(`/proc/${p}/smaps_rollup`, 'Pss'), 0));
  }, 100);
  try {
    const env = loadEnv({ ...target.env, HAVEN_ADMIN_PASSWORD: ADMIN_PASSWORD, LOG_LEVEL: 'error' }, repoRoot);
    const db = await openDatabase(env, 'cli');
    const { compiled } = await prepareDatabase(db.url, env, () => undefined);
    await seedDemo(db.url, compiled, {
      incidents: 0, cases: CASES, cpCases: 0, agencies: 2, groupsPerAgency: 2, usersPerGroup: 3, seed: 11, history: false, append: false,
      today: new Date().toISOString().slice(0, 10), password: PASSWORD, poolSize: Math.min(CASES, 500),
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ id: string; username: string; size: number }>(
      `SELECT r.id, u.username, length(r.data::text) AS size FROM record r JOIN app_user u ON u.id = r.owner_id
        WHERE r.module = 'gbv' AND r.record_type = 'case' ORDER BY length(r.data::text) DESC LIMIT 1`,
    );
    await client.end();
    await db.close();
    const chosen = rows[0]!;
    const token = await login(haven.base, chosen.username, PASSWORD);
    const url = `${haven.base}/records/case/${chosen.id}/print?template=case_summary&locale=en`;
    const fetchAs = (accept: string) => fetch(url, { headers: { authorization: `Bearer ${token}`, accept } });
    log(`  Haven up, ${CASES} GBV cases; printing ${chosen.id} (${chosen.size} characters of data) as ${chosen.username}`);

    let t = performance.now();
    const html = await fetchAs('text/html');
    const htmlText = await html.text();
    const firstHtmlMs = performance.now() - t;
    if (html.status !== 200) throw new Error(`HTML print answered ${html.status}: ${htmlText}`);

    t = performance.now();
    const cold = await fetchAs('application/pdf');
    const coldBytes = Buffer.from(await cold.arrayBuffer());
    const coldMs = performance.now() - t;
    if (cold.status !== 200) throw new Error(`PDF print answered ${cold.status}: ${coldBytes.toString('utf8')} (is Chromium installed? apt-get install chromium)`);
    const pages = (coldBytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;

    t = performance.now();
    const second = await fetchAs('application/pdf');
    await second.arrayBuffer();
    const secondMs = performance.now() - t;

    const pdfOnce = async () => {
      const res = await fetchAs('application/pdf');
      const body = Buffer.from(await res.arrayBuffer());
      return res.status === 200 && body.subarray(0, 5).toString('latin1') === '%PDF-';
    };
    const htmlOnce = async () => {
      const res = await fetchAs('text/html');
      await res.text();
      return res.status === 200;
    };
    const phases: Phase[] = [];
    for (const clients of [1, 2, 4]) {
      phases.push(await drive('PDF', clients, SECONDS, pdfOnce));
      log(`  PDF, ${clients} client(s): ${(phases.at(-1)!.done / phases.at(-1)!.seconds).toFixed(1)}/s`);
    }
    phases.push(await drive('HTML', 2, SECONDS, htmlOnce));
    const havenHwm = procKb(`/proc/${pid}/status`, 'VmHWM');

    t = performance.now();
    await stopHaven(haven);
    const stopMs = performance.now() - t;
    clearInterval(sampler);
    const leftOver = [...seenChromium].filter((p) => existsSync(`/proc/${p}`) && isChromium(p));

    const out: string[] = [];
    out.push(`Machine: ${machine()}. Chromium: ${process.env.HAVEN_CHROMIUM_PATH ?? '/usr/bin/chromium'}.`);
    out.push('');
    out.push(`Case summary of the demo GBV case with the most data (${chosen.size} characters of JSON): ${pages} A4 page(s), ${(coldBytes.length / 1024).toFixed(0)} KiB PDF, ${(htmlText.length / 1024).toFixed(0)} KiB HTML.`);
    out.push('');
    out.push('| measure | value |');
    out.push('| --- | --- |');
    out.push(`| first HTML print (app warm-up) | ${ms(firstHtmlMs)} ms |`);
    out.push(`| first PDF, cold browser (Chromium launched by this request) | ${ms(coldMs)} ms |`);
    out.push(`| second PDF, warm browser | ${ms(secondMs)} ms |`);
    for (const p of phases) {
      out.push(`| ${p.label}, ${p.clients} client(s), ${p.seconds.toFixed(0)} s | ${(p.done / p.seconds).toFixed(1)}/s (p50 ${ms(p.latency.p50)} ms, p95 ${ms(p.latency.p95)} ms${p.failures ? `, ${p.failures} failed` : ''}) |`);
    }
    out.push(`| server peak RSS (VmHWM) | ${havenHwm.toFixed(0)} MiB |`);
    out.push(`| Chromium peak, all its processes (summed PSS) | ${peakChromiumPss.toFixed(0)} MiB in ${peakChromiumProcs} processes |`);
    out.push(`| SIGTERM to exit (browser closed on shutdown) | ${ms(stopMs)} ms |`);
    out.push(`| Chromium processes left after exit | ${leftOver.length} |`);
    console.log(out.join('\n'));
  } finally {
    clearInterval(sampler);
    await stopHaven(haven).catch(() => undefined);
    await target.close();
  }
}

await main();
