/**
 * Record validation throughput on the GBV incident, the largest record type of the GBV bundle.
 * Loads configs/core + configs/gbv from disk, compiles them, and measures records per second for
 * (a) AJV schema validation alone and (b) the full `process()` (normalisation, schema, computed
 * fields, value checks, required-while-visible, validation rules) on a complete incident
 * (benchmarks/fixtures/gbv-incident-complete.json). One core, one thread. Prints a markdown table.
 *
 * Run: `npm run build --silent && node dist/benchmarks/validate.js [--seconds 1]`
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearCompileCache, compileBundles, loadBundles, type ProcessContext } from '../engine/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Works from the sources (benchmarks/) and from the build (dist/benchmarks/).
const root = [path.resolve(here, '..'), path.resolve(here, '../..')].find((dir) => statSync(path.join(dir, 'configs'), { throwIfNoEntry: false })?.isDirectory());
if (root === undefined) throw new Error('configs/ not found');

const secondsArg = process.argv.indexOf('--seconds');
const roundSeconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1;
const ROUNDS = 7;

/** A bundle folder as the engine takes it: relative path -> file text. */
function readBundle(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(dir, full).split(path.sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
}

function ms(since: number): string {
  return `${(performance.now() - since).toFixed(1)} ms`;
}

/** Median records/s over ROUNDS rounds of `roundSeconds`, after a warm-up. */
function throughput(run: () => unknown): { median: number; best: number } {
  for (let i = 0; i < 5_000; i++) run();
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = performance.now();
    const end = start + roundSeconds * 1000;
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) run();
      n += 100;
    }
    rates.push((n / (performance.now() - start)) * 1000);
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(ROUNDS / 2)] as number, best: rates[ROUNDS - 1] as number };
}

const fileMaps = ['core', 'gbv'].map((name) => readBundle(path.join(root, 'configs', name)));
let started = performance.now();
const loaded = loadBundles(fileMaps);
const loadTime = ms(started);
if (loaded.bundles === undefined) {
  console.error(loaded.issues.map((i) => `${i.bundle ?? '?'}/${i.file}#${i.pointer} ${i.code}: ${i.message}`).join('\n'));
  process.exit(1);
}
clearCompileCache();
started = performance.now();
const compiled = compileBundles(loaded.bundles);
const compileTime = ms(started);
started = performance.now();
compileBundles(loaded.bundles);
const cachedTime = ms(started);

const incident = compiled.recordType('gbv', 'incident');
const fixture = JSON.parse(readFileSync(path.join(root, 'benchmarks/fixtures/gbv-incident-complete.json'), 'utf8')) as Record<string, unknown>;
const ctx: ProcessContext = {
  user: { id: 'bench', agency: 'agency_a', roles: ['caseworker'], groups: [] },
  today: '2026-06-30',
  now: '2026-06-30T12:00:00.000Z',
};
const check = incident.process(fixture, ctx);
if (check.issues.length > 0) {
  console.error('The fixture is not valid against the bundle:\n', JSON.stringify(check.issues, null, 2));
  process.exit(1);
}
const rows = incident.subforms.map((s) => `${s.key}: ${Array.isArray(fixture[s.key]) ? (fixture[s.key] as unknown[]).length : 0}`);

const schema = throughput(() => incident.validateSchema(fixture));
const full = throughput(() => incident.process(fixture, ctx));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`
## Record validation — GBV incident (${incident.fields.length} fields, ${incident.subforms.length} subforms)

| measure | value |
| --- | --- |
| bundles | ${compiled.bundles.map((b) => `${b.key} ${b.version}`).join(', ')} |
| load (parse + cross-check, first in process) | ${loadTime} |
| compile (AJV + rules, all record types) | ${compileTime} |
| compile again (cached) | ${cachedTime} |
| fixture | ${Object.keys(fixture).length} top-level values; rows ${rows.join(', ')} |
| (a) schema validation only | ${fmt(schema.median)} records/s (best round ${fmt(schema.best)}) |
| (b) full process() | ${fmt(full.median)} records/s (best round ${fmt(full.best)}) |
| per record, full | ${(1_000_000 / full.median).toFixed(1)} µs |

Node ${process.version}, ${ROUNDS} rounds of ${roundSeconds} s, median shown.
`);
