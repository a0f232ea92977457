import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { bundleHash, compileBundles, loadBundles, type CompiledConfig } from '../../engine/index.js';
import { logger } from '../common/logger.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { readConfigDir } from './bundle-files.js';
import { InvalidBundlesError } from './bundle-report.js';
import { ConfigRepository } from './config.repository.js';

/** Serialises baseline activation across app instances starting together. */
const BASELINE_LOCK = 7_262_836_2;

/**
 * Holds the compiled form of the ACTIVE bundles. On the very first start (no active bundle in the database)
 * it validates the bundles under HAVEN_CONFIG_DIR and activates them as the bootstrap baseline, audited.
 * After that the database is the source of truth: changed files on disk change nothing that runs (they go
 * through governance as drafts), and a start with changed files says so in one log line.
 */
@Injectable()
export class ActiveConfigService implements OnApplicationBootstrap {
  private compiled?: CompiledConfig;

  constructor(
    private readonly ds: DataSource,
    @Inject(HAVEN_RUNTIME) private readonly runtime: HavenRuntime,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureBaseline();
    await this.reload();
    await this.reportChangedFiles();
  }

  /** The compiled active configuration. */
  current(): CompiledConfig {
    if (!this.compiled) throw new Error('The active configuration is not loaded yet.');
    return this.compiled;
  }

  /** Activates the bundles on disk when nothing is active yet. Returns whether it did. */
  async ensureBaseline(): Promise<boolean> {
    return this.ds.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [BASELINE_LOCK]);
      const repo = new ConfigRepository(tx);
      if ((await repo.activeHashes()).size > 0) return false;
      const sources = await readConfigDir(this.runtime.env.configDir);
      if (sources.length === 0) throw new Error(`No configuration bundle found in ${this.runtime.env.configDir} (HAVEN_CONFIG_DIR).`);
      const result = loadBundles(sources.map((s) => s.files));
      if (!result.bundles) throw new InvalidBundlesError(result.issues, `The bundles in ${this.runtime.env.configDir} are not valid`);
      for (const source of sources) {
        const hash = bundleHash(source.files);
        const bundle = result.bundles.find((b) => b.hash === hash);
        if (!bundle) continue;
        await repo.store({ hash, key: bundle.key, version: bundle.manifest.version, state: 'active', files: source.files }, 'system', 'Bootstrap baseline');
        await repo.activate(bundle.key, hash, 'system');
        await tx.query(
          `INSERT INTO audit_log (actor, action, object_type, object_id, details) VALUES ('system', 'config.baseline_activated', 'bundle', $1, $2)`,
          [bundle.key, { hash, version: bundle.manifest.version }],
        );
      }
      logger.info({ bundles: result.bundles.map((b) => `${b.key}@${b.hash.slice(0, 12)}`) }, 'activated the configuration baseline');
      return true;
    });
  }

  /** Loads and compiles the active bundles (compilation is memoised per bundle hashes). */
  async reload(): Promise<CompiledConfig> {
    const stored = await new ConfigRepository(this.ds.manager).activeBundles();
    const result = loadBundles(stored.map((s) => s.files));
    if (!result.bundles) throw new InvalidBundlesError(result.issues, 'The active bundles in the database do not load');
    this.compiled = compileBundles(result.bundles);
    return this.compiled;
  }

  private async reportChangedFiles(): Promise<void> {
    let sources;
    try {
      sources = await readConfigDir(this.runtime.env.configDir);
    } catch {
      return;
    }
    const active = await new ConfigRepository(this.ds.manager).activeHashes();
    const changed: string[] = [];
    for (const source of sources) {
      let key: string | undefined;
      try {
        key = (JSON.parse(source.files['bundle.json'] ?? '{}') as { key?: string }).key;
      } catch {
        key = undefined;
      }
      if (!key) continue;
      if (active.get(key) !== bundleHash(source.files)) changed.push(key);
    }
    if (changed.length > 0) {
      logger.warn(
        { bundles: changed },
        `The bundle files on disk differ from the active configuration (${changed.join(', ')}); they do not take effect until imported, approved and activated.`,
      );
    }
  }
}
