import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { bundleHash, compileBundles, loadBundles, type CompiledConfig, type LoadedBundle } from '../../engine/index.js';
import { logger } from '../common/logger.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { NoticeListener } from '../database/notice-listener.js';
import { readConfigDir } from './bundle-files.js';
import { InvalidBundlesError } from './bundle-report.js';
import { ConfigRepository } from './config.repository.js';
import { NO_OVERLAYS, overlaidBundles, overlayDigest, readOverlays, type OverlayState } from './overlays.js';

/** Serialises baseline activation across app instances starting together. */
const BASELINE_LOCK = 7_262_836_2;

/** NOTIFY channel: every activation, rollback and overlay change; each instance reloads on it. */
export const CONFIG_CHANNEL = 'haven_config';

/**
 * Holds the compiled form of the ACTIVE bundles with the localization overlays applied. On the very first
 * start (no active bundle in the database) it validates the bundles under HAVEN_CONFIG_DIR and activates them
 * as the bootstrap baseline, audited. After that the database is the source of truth: changed files on disk
 * change nothing that runs (they go through governance as drafts), and a start with changed files says so in
 * one log line.
 *
 * Activations, rollbacks and overlay changes are announced with NOTIFY on `haven_config`; every instance
 * LISTENs and reloads (also after its listening connection comes back, in case it missed a notice). A reload
 * swaps one reference: requests in flight finish on the configuration they started with.
 */
@Injectable()
export class ActiveConfigService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private compiled?: CompiledConfig;
  /** The active bundles as loaded (no overlays), by their sorted hashes: parsed once per activation. */
  private base?: { readonly key: string; readonly bundles: readonly LoadedBundle[] };
  private overlay: OverlayState = NO_OVERLAYS;
  private reloading: Promise<CompiledConfig> | undefined;
  private nextReload: Promise<CompiledConfig> | undefined;
  private readonly notices: NoticeListener;
  private closing = false;
  private bootstrapped = false;
  private readonly history = new Map<string, CompiledConfig>();

  constructor(
    private readonly ds: DataSource,
    @Inject(HAVEN_RUNTIME) private readonly runtime: HavenRuntime,
  ) {
    this.notices = new NoticeListener({
      url: runtime.databaseUrl,
      channel: CONFIG_CHANNEL,
      name: 'haven-config',
      what: 'configuration notices',
      onNotice: () => this.onNotice(),
      // Anything activated while the connection was down is picked up now.
      onUp: () => {
        if (this.bootstrapped) this.onNotice();
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureBaseline();
    await this.reload();
    this.bootstrapped = true;
    await this.reportChangedFiles();
    await this.notices.start();
  }

  /** Stops listening and lets a reload in flight finish while the connection pool is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.notices.stop();
    await Promise.allSettled([this.reloading, this.nextReload]);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.notices.stop();
  }

  /** The compiled active configuration (overlays applied). */
  current(): CompiledConfig {
    if (!this.compiled) throw new Error('The active configuration is not loaded yet.');
    return this.compiled;
  }

  /** Version of the overlays in `current()` (0: none yet). */
  overlayVersion(): number {
    return this.overlay.version;
  }

  /** The overlays in `current()`. */
  overlays(): OverlayState {
    return this.overlay;
  }

  /** The active bundles without overlays, as loaded (what overlays are applied to). */
  loadedBundles(): readonly LoadedBundle[] {
    if (!this.base) throw new Error('The active configuration is not loaded yet.');
    return this.base.bundles;
  }

  /** Whether changes by other instances reach this one right away (false while the notice connection is down). */
  isListening(): boolean {
    return this.notices.up;
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
      const configHash = compileBundles(result.bundles).hash;
      const bundleHashes = Object.fromEntries(result.bundles.map((b) => [b.key, b.hash]));
      for (const source of sources) {
        const hash = bundleHash(source.files);
        const bundle = result.bundles.find((b) => b.hash === hash);
        if (!bundle) continue;
        await repo.store({ hash, key: bundle.key, version: bundle.manifest.version, state: 'active', files: source.files }, 'system', 'Bootstrap baseline');
        await repo.activate(bundle.key, hash, 'system', { action: 'baseline', previous: null, configHash, bundleHashes });
        await tx.query(
          `INSERT INTO audit_log (actor, action, object_type, object_id, details) VALUES ('system', 'config.baseline_activated', 'bundle', $1, $2)`,
          [bundle.key, { hash, version: bundle.manifest.version }],
        );
      }
      logger.info({ bundles: result.bundles.map((b) => `${b.key}@${b.hash.slice(0, 12)}`) }, 'activated the configuration baseline');
      return true;
    });
  }

  /**
   * Loads the active bundles and overlays and compiles them (memoised per bundle hashes + overlay version).
   * Calls are serialised; a call during a reload makes one more reload happen after it.
   */
  reload(): Promise<CompiledConfig> {
    if (!this.reloading) {
      this.reloading = this.load().finally(() => {
        this.reloading = undefined;
      });
      return this.reloading;
    }
    // One more reload after the running one, shared by everyone asking meanwhile (it may have read too early).
    this.nextReload ??= this.reloading
      .catch(() => undefined)
      .then(() => {
        this.nextReload = undefined;
        return this.reload();
      });
    return this.nextReload;
  }

  private async load(): Promise<CompiledConfig> {
    const repo = new ConfigRepository(this.ds.manager);
    const hashes = await repo.activeHashes();
    const key = [...hashes.values()].sort().join(',');
    // Built aside and kept only once everything compiled: a failing reload leaves the running configuration whole
    // (bundles, overlays and compiled config from one and the same set).
    let base = this.base;
    if (!base || base.key !== key) {
      const stored = await repo.activeBundles();
      const result = loadBundles(stored.map((s) => s.files));
      if (!result.bundles) throw new InvalidBundlesError(result.issues, 'The active bundles in the database do not load');
      base = { key: stored.map((s) => s.hash).sort().join(','), bundles: result.bundles };
    }
    const overlay = await readOverlays(this.ds.manager);
    const applied = overlaidBundles(base.bundles, overlay);
    if (applied.failed.length > 0) logger.error({ failed: applied.failed }, 'some configuration overlays no longer apply; they are left out until fixed');
    if (applied.skipped.length > 0) logger.warn({ skipped: applied.skipped.length }, 'parts of the configuration overlays target definitions the active bundles no longer have');
    // The compile memo is per process and keyed by content: two databases (tests, a restore) may share a version number.
    const compiled = overlay.version === 0 ? compileBundles(applied.bundles) : compileBundles(applied.bundles, { variant: `overlay:${overlayDigest(overlay)}` });
    this.base = base;
    this.compiled = compiled;
    this.overlay = overlay;
    return compiled;
  }

  /**
   * The configuration (without overlays) a record last validated against, by the configuration hash it keeps:
   * the current one, or an earlier set found in the activation history. Undefined when unknown.
   */
  async configFor(configHash: string): Promise<CompiledConfig | undefined> {
    if (this.compiled?.hash === configHash) return this.compiled;
    const known = this.history.get(configHash);
    if (known) return known;
    const repo = new ConfigRepository(this.ds.manager);
    const bundles = await repo.bundlesOfConfig(configHash);
    if (!bundles) return undefined;
    const files = await Promise.all(Object.values(bundles).map((hash) => repo.files(hash)));
    if (files.some((f) => f === undefined)) return undefined;
    const result = loadBundles(files as Record<string, string>[]);
    if (!result.bundles) return undefined;
    const compiled = compileBundles(result.bundles);
    this.history.set(configHash, compiled);
    if (this.history.size > 4) this.history.delete(this.history.keys().next().value as string);
    return compiled;
  }

  private onNotice(): void {
    if (this.closing) return;
    this.reload().catch((err: unknown) => {
      if (!this.closing) logger.error({ err: String(err) }, 'could not reload the configuration; the previous one stays in use');
    });
  }

  /** Tells every instance (this one included, at commit) to reload. Pass the transaction's manager. */
  static async notify(manager: { query(sql: string, params?: unknown[]): Promise<unknown> }, payload: string): Promise<void> {
    await manager.query(`SELECT pg_notify($1, $2)`, [CONFIG_CHANNEL, payload]);
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
