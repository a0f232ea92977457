import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { bundleHash, compileBundles, loadBundles, missingTranslations, parseBundle } from '../../engine/index.js';
import { readBundleDir } from '../config/bundle-files.js';
import { importBundleDraft } from '../config/bundle-import.js';
import { InvalidBundlesError } from '../config/bundle-report.js';
import { formatBundleIssues } from '../config/bundle-report.js';
import { bundleWithDependencies } from '../config/bundle-sources.js';
import { describeConfig } from '../config/describe.js';
import { exportTranslations, importTranslations } from '../config/translation-sheets.js';
import { dataSourceOptions } from '../database/data-source.js';
import { openDatabase } from '../database/open-database.js';
import { loadEnv } from '../settings/env.js';
import { runCli } from './run-cli.js';

const USAGE = `Usage: npm run config -- <command> ...

  validate <dir>...                      check bundles (with the bundles they depend on, found beside them);
                                         prints every problem with file and JSON pointer; exit 1 on problems
  hash <dir>                             the bundle's content hash (SHA-256 of its canonical JSON)
  describe <dir>                         forms, fields, lookups and rules as a readable outline
  translations <dir> --missing <locale>  keys without a text in that locale (key, then the base text)
  translations <dir> --export <file>     a spreadsheet (.xlsx or .csv): one row per key, one column per locale
                 [--locales fr,ar]
  translations <dir> --import <file>     writes translations/<locale>.json from such a spreadsheet
  import <dir>                           stores the bundle as a DRAFT in Haven's database (embedded or DATABASE_URL),
                                         validated with the active bundles it depends on; prints its hash. It then
                                         goes through submit, approval and activation (docs/governance.md)`;

async function validate(dirs: string[]): Promise<number> {
  if (dirs.length === 0) throw new Error(`validate needs a bundle folder.\n${USAGE}`);
  let failed = false;
  for (const dir of dirs) {
    const { all, missing } = await bundleWithDependencies(dir);
    const result = loadBundles(all);
    const problems = missing.length ? [`${dir}: depends on ${missing.join(', ')}, which is not beside it`] : [];
    if (result.issues.length || problems.length) {
      failed = true;
      console.log(`${dir}: ${result.issues.length + problems.length} problem(s)`);
      if (problems.length) console.log(problems.join('\n'));
      if (result.issues.length) console.log(formatBundleIssues(result.issues));
    } else {
      const started = performance.now();
      const compiled = compileBundles(result.bundles!);
      const ms = performance.now() - started;
      const main = result.bundles!.find((b) => b.hash === bundleHash(all[0]))!;
      const types = compiled.recordTypes.filter((rt) => main.modules.some((m) => m.def.key === rt.module));
      console.log(
        `${dir}: valid — bundle ${main.key} ${main.manifest.version}, hash ${main.hash}; ` +
          `${main.forms.length} forms, ${types.reduce((n, rt) => n + rt.fields.length, 0)} fields, ${main.lookups.length} lookups; compiled in ${ms.toFixed(0)} ms`,
      );
    }
  }
  return failed ? 1 : 0;
}

async function importDraft(dir: string | undefined): Promise<number> {
  if (!dir) throw new Error(`import needs a bundle folder.\n${USAGE}`);
  const files = await readBundleDir(dir);
  const env = loadEnv();
  const db = await openDatabase(env, 'cli');
  const ds = new DataSource({ ...dataSourceOptions(db.url, 2) });
  try {
    await ds.initialize();
    const result = await importBundleDraft(ds, files, { id: null, name: `cli:${os.userInfo().username}` });
    console.log(result.hash);
    console.error(
      result.created
        ? `Stored bundle ${result.key} ${result.version} as a draft. Next: POST /api/v1/config/bundles/${result.hash}/submit`
        : `Bundle ${result.key} ${result.version} was already stored (${result.state}); nothing changed.`,
    );
    return 0;
  } catch (err) {
    if (err instanceof InvalidBundlesError) {
      console.log(`${dir}: ${err.issues.length} problem(s)`);
      console.log(formatBundleIssues(err.issues));
      return 1;
    }
    throw err;
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await db.close();
  }
}

async function translations(dir: string | undefined, values: { missing?: string; export?: string; import?: string; locales?: string }): Promise<number> {
  if (!dir) throw new Error(`translations needs a bundle folder.\n${USAGE}`);
  const files = await readBundleDir(dir);
  const parsed = parseBundle(files);
  if (!parsed.bundle) {
    console.log(formatBundleIssues(parsed.issues));
    return 1;
  }
  const bundle = parsed.bundle;
  if (values.missing) {
    const missing = missingTranslations(bundle, values.missing);
    for (const entry of missing) console.log(`${entry.key}\t${entry.base}`);
    console.error(`${missing.length} key(s) without a "${values.missing}" text in bundle ${bundle.key}.`);
    return 0;
  }
  if (values.export) {
    const rows = await exportTranslations(bundle, values.export, values.locales?.split(',').map((l) => l.trim()).filter(Boolean));
    console.log(`Wrote ${rows} key(s) to ${values.export}.`);
    return 0;
  }
  if (values.import) {
    const { written, issues } = await importTranslations(bundle, values.import);
    if (issues.length) {
      console.log(formatBundleIssues(issues));
      return 1;
    }
    for (const [file, text] of Object.entries(written)) await fs.writeFile(path.join(dir, file), text);
    console.log(`Updated ${Object.keys(written).join(', ') || 'nothing'}.`);
    return 0;
  }
  throw new Error(`translations needs --missing, --export or --import.\n${USAGE}`);
}

await runCli(async () => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { missing: { type: 'string' }, export: { type: 'string' }, import: { type: 'string' }, locales: { type: 'string' }, help: { type: 'boolean' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'validate':
      return validate(rest);
    case 'hash': {
      if (!rest[0]) throw new Error(`hash needs a bundle folder.\n${USAGE}`);
      console.log(bundleHash(await readBundleDir(rest[0])));
      return 0;
    }
    case 'describe': {
      if (!rest[0]) throw new Error(`describe needs a bundle folder.\n${USAGE}`);
      const { all } = await bundleWithDependencies(rest[0]);
      const result = loadBundles(all);
      if (!result.bundles) {
        console.log(formatBundleIssues(result.issues));
        return 1;
      }
      console.log(describeConfig(result.bundles, bundleHash(all[0])));
      return 0;
    }
    case 'translations':
      return translations(rest[0], values);
    case 'import':
      return importDraft(rest[0]);
    default:
      throw new Error(`Unknown command "${command}".\n${USAGE}`);
  }
});
