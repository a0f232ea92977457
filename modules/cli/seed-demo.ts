import { parseArgs } from 'node:util';
import { openDatabase } from '../database/open-database.js';
import { prepareDatabase } from '../seed/prepare.js';
import { seedDemo, SeedRefusedError, type SeedProgress } from '../seed/seed-demo.js';
import { loadEnv } from '../settings/env.js';
import { runCli } from './run-cli.js';

const USAGE = `Usage: npm run seed:demo -- [options]

Fills the configured database (embedded, or DATABASE_URL) with DEMO data: agencies, teams, demo users and
engine-valid GBV incidents, GBV cases and CP cases. Never on a database with real records.

  --incidents N          GBV incidents (default 10000)
  --cases N              GBV cases (default: half the incidents)
  --cp-cases N           CP cases (default: a quarter of the incidents)
  --agencies N           demo agencies (default 4)
  --groups-per-agency N  teams per agency, GBV and CP in turn (default 3)
  --users-per-group N    one supervisor and caseworkers per team (default 5)
  --seed N               the same seed gives the same data (default 42)
  --today YYYY-MM-DD     the day the data is "as of" (default: today)
  --history              also write each record's create history row and audit row, as the API does
  --append               add to a database that already has records (refused otherwise)
  --password TEXT        password of the demo users created (default: HAVEN_DEMO_PASSWORD or haven-demo-password)
  --batch N              records per COPY transaction (default 5000)
  --pool N               engine-processed records per kind the others vary from (default 4000)`;

function count(value: string | undefined, name: string, fallback: number, min = 0, max = 50_000_000): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new Error(`--${name} takes a whole number from ${min} to ${max}, got "${value}".`);
  return Number(value);
}

function formatProgress(p: SeedProgress): string {
  switch (p.phase) {
    case 'records':
      return `  records ${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')}  (${Math.round(p.perSecond ?? 0).toLocaleString('en-US')}/s)`;
    case 'pool':
      return `  drafting ${p.total.toLocaleString('en-US')} ${p.label} records through the engine`;
    default:
      return `  ${p.label}…`;
  }
}

await runCli(async () => {
  const { values } = parseArgs({
    options: {
      incidents: { type: 'string' },
      cases: { type: 'string' },
      'cp-cases': { type: 'string' },
      agencies: { type: 'string' },
      'groups-per-agency': { type: 'string' },
      'users-per-group': { type: 'string' },
      seed: { type: 'string' },
      today: { type: 'string' },
      history: { type: 'boolean', default: false },
      append: { type: 'boolean', default: false },
      password: { type: 'string' },
      batch: { type: 'string' },
      pool: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const incidents = count(values.incidents, 'incidents', 10_000);
  const today = values.today ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today) || Number.isNaN(Date.parse(today))) throw new Error(`--today takes a date as YYYY-MM-DD, got "${today}".`);
  const password = values.password ?? process.env.HAVEN_DEMO_PASSWORD ?? 'haven-demo-password';
  if (password.length < 12) throw new Error('The demo password needs 12 characters or more.');
  const options = {
    incidents,
    cases: count(values.cases, 'cases', Math.ceil(incidents / 2)),
    cpCases: count(values['cp-cases'], 'cp-cases', Math.ceil(incidents / 4)),
    agencies: count(values.agencies, 'agencies', 4, 1, 100),
    groupsPerAgency: count(values['groups-per-agency'], 'groups-per-agency', 3, 1, 50),
    usersPerGroup: count(values['users-per-group'], 'users-per-group', 5, 1, 200),
    seed: count(values.seed, 'seed', 42, 0, 2 ** 31),
    today,
    history: values.history,
    append: values.append,
    password,
    batchSize: count(values.batch, 'batch', 5000, 100, 100_000),
    poolSize: count(values.pool, 'pool', 4000, 1, 1_000_000),
  };

  const env = loadEnv();
  const db = await openDatabase(env, 'cli');
  try {
    console.log(`Seeding DEMO data into the ${db.kind === 'embedded' ? `embedded database in ${env.dataDir}` : 'PostgreSQL server of DATABASE_URL'}:`);
    console.log(
      `  ${options.incidents.toLocaleString('en-US')} GBV incidents, ${options.cases.toLocaleString('en-US')} GBV cases, ${options.cpCases.toLocaleString('en-US')} CP cases; ` +
        `${options.agencies} agencies × ${options.groupsPerAgency} teams × ${options.usersPerGroup} users; seed ${options.seed}, as of ${today}${options.history ? ', with history and audit rows' : ''}`,
    );
    const prepared = await prepareDatabase(db.url, env);
    if (prepared.appliedMigrations.length) console.log(`  applied ${prepared.appliedMigrations.length} migration(s)`);
    if (prepared.activatedBaseline) console.log(`  activated the configuration baseline from ${env.configDir}`);
    let lastLine = '';
    const summary = await seedDemo(db.url, prepared.compiled, options, (p) => {
      const line = formatProgress(p);
      if (line !== lastLine) console.log(line);
      lastLine = line;
    });
    console.log('');
    console.log('| records | count | engine-drafted pool | re-checked with process() |');
    console.log('| --- | --- | --- | --- |');
    for (const k of summary.kinds) {
      console.log(`| ${k.module}/${k.recordType} | ${k.count.toLocaleString('en-US')} | ${k.pool.toLocaleString('en-US')} in ${(k.poolMs / 1000).toFixed(1)} s | ${k.checked.toLocaleString('en-US')} |`);
    }
    console.log('');
    console.log(
      `${summary.records.toLocaleString('en-US')} records in ${summary.seconds.toFixed(1)} s (${Math.round(summary.recordsPerSecond).toLocaleString('en-US')} records/s while streaming)` +
        (options.history ? `, ${summary.historyRows.toLocaleString('en-US')} history and audit rows each` : '') +
        '.',
    );
    console.log('');
    const created = summary.createdUsers;
    console.log(`DEMO USERS (${summary.users.length}, ${created} created now${created < summary.users.length ? '; existing ones keep their password' : ''}) — for demonstrations only, never for real cases:`);
    const teams = new Map<string, typeof summary.users>();
    for (const u of summary.users) teams.set(u.groupCodes[0] ?? '', [...(teams.get(u.groupCodes[0] ?? '') ?? []), u]);
    for (const [team, members] of teams) {
      const byRoles = new Map<string, string[]>();
      for (const m of members) byRoles.set(m.roles.join('+'), [...(byRoles.get(m.roles.join('+')) ?? []), m.username]);
      console.log(`  ${team.padEnd(18)} ${[...byRoles].map(([roles, names]) => `${names.join(', ')} (${roles})`).join('; ')}`);
    }
    if (created > 0) console.log(`Password of the demo users created now: ${password}`);
    return 0;
  } catch (err) {
    if (err instanceof SeedRefusedError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  } finally {
    await db.close();
  }
});
