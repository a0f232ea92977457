import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  applyOverlays,
  localizeLookup,
  translationKeys,
  type LoadedBundle,
  type LookupDefinition,
  type LookupOverlay,
} from '../../engine/index.js';
import { AuditService } from '../audit/audit.service.js';
import { HavenError, pointer, type Issue } from '../common/errors.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { ActiveConfigService } from './active-config.service.js';
import { bundleIssuesToIssues } from './bundle-import.js';
import { locationCsv, parseLocationCsv, type CsvProblem, type HierarchyContext } from './location-csv.js';
import { readOverlays, type OverlayState, type StoredLocationNode } from './overlays.js';
import { locationsInUse } from './record-usage.js';

/** Serialises overlay writes across instances (each write is a new version built on the latest one). */
const OVERLAY_LOCK = 7_262_836_4;
const OPTION_VALUE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const KEY = /^[a-z][a-z0-9_]*$/;

export interface LookupOverlayRequest {
  add?: Array<{ value: string; label: string; labels?: Record<string, string>; tags?: string[] }>;
  rename?: Record<string, Record<string, string>>;
  order?: string[];
  disable?: string[];
  enable?: string[];
}

export interface LocationImportReport {
  dryRun: boolean;
  valid: boolean;
  /** Data rows read (the header excluded). */
  rows: number;
  problems: CsvProblem[];
  summary: { added: number; changed: number; unchanged: number; removed: number; keptDisabled: number };
  /** Places missing from the file that records use: kept, disabled (never removed). */
  keptDisabled: Array<{ code: string; records: number }>;
  overlayVersion: number;
  ms: number;
}

function sameNode(a: StoredLocationNode, b: StoredLocationNode): boolean {
  const names = (n: StoredLocationNode) => JSON.stringify(Object.entries(n.names).sort());
  return a.parent === b.parent && a.level === b.level && names(a) === names(b) && a.latitude === b.latitude && a.longitude === b.longitude && !!a.disabled === !!b.disabled;
}

/**
 * Localization by system administrators, without steering-committee approval: overlays on lookups marked
 * `localizable` and the replacement of the localizable location hierarchy. Every change is a new overlay
 * version (append-only), audited, announced to every instance and in force as soon as the call returns.
 */
@Injectable()
export class LocalizationService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
    private readonly audit: AuditService,
  ) {}

  private lookupSource(key: string): { bundle: LoadedBundle; def: LookupDefinition } | undefined {
    for (const bundle of this.config.loadedBundles()) {
      const entry = bundle.lookups.find((l) => l.def.key === key);
      if (entry) return { bundle, def: entry.def };
    }
    return undefined;
  }

  async overlayLookup(key: string, body: LookupOverlayRequest, actor: Actor, locale?: string) {
    const source = this.lookupSource(key);
    if (!source) throw HavenError.notFound(`No lookup "${key}".`);
    if (source.def.localizable !== true) {
      throw new HavenError('forbidden', `Lookup "${key}" is not localizable: changing it needs a new bundle version and steering-committee approval.`, [
        { code: 'lookup_not_localizable', path: '', message: 'Only lookups marked "localizable": true take overlays.' },
      ]);
    }
    const operations = (['add', 'rename', 'order', 'disable', 'enable'] as const).filter((op) => body[op] !== undefined);
    if (operations.length === 0) throw HavenError.validation([{ code: 'required', path: '', message: 'Give at least one of add, rename, order, disable, enable.' }]);

    const version = await this.ds.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [OVERLAY_LOCK]);
      const overlays = await readOverlays(tx);
      const previous = overlays.lookups[key] ?? {};
      const next = this.nextLookupState(source, previous, body);
      // Checked with the lookup overlays only: they do not interact with the (possibly large) location hierarchy.
      const result = applyOverlays(this.config.loadedBundles(), { lookups: { ...overlays.lookups, [key]: next } });
      if (!result.bundles) throw HavenError.validation(bundleIssuesToIssues(result.issues), 'The overlay would make the configuration invalid.');
      const [row]: Array<{ version: string }> = await tx.query(
        `INSERT INTO config_overlay (kind, target, operation, state, created_by, created_by_name) VALUES ('lookup', $1, $2, $3, $4, $5) RETURNING version`,
        [key, JSON.stringify(body), JSON.stringify(next), actor.principal.userId, actor.principal.username],
      );
      await this.audit.record(
        {
          ...auditActor(actor),
          action: 'lookup.overlay_changed',
          objectType: 'lookup',
          objectId: key,
          details: {
            version: Number(row!.version),
            added: (body.add ?? []).map((o) => o.value),
            renamed: Object.keys(body.rename ?? {}),
            ordered: body.order !== undefined,
            disabled: body.disable ?? [],
            enabled: body.enable ?? [],
          },
        },
        tx,
      );
      await ActiveConfigService.notify(tx, `overlay:${row!.version}`);
      return Number(row!.version);
    });
    await this.config.reload();
    const lang = locale ?? source.bundle.manifest.baseLanguage;
    return { key, overlayVersion: Math.max(version, this.config.overlayVersion()), lookup: localizeLookup(this.config.current(), key, lang) };
  }

  /** Checks one request against the lookup as it stands (bundle + overlay so far) and returns the new overlay state. */
  private nextLookupState(source: { bundle: LoadedBundle; def: LookupDefinition }, previous: LookupOverlay, body: LookupOverlayRequest): LookupOverlay {
    const issues: Issue[] = [];
    const locales = source.bundle.manifest.locales;
    const values = new Set([...source.def.values.map((v) => v.value), ...(previous.add ?? []).map((o) => o.value)]);
    const bundleDisabled = new Set(source.def.values.filter((v) => v.disabled === true).map((v) => v.value));
    const checkLabels = (labels: unknown, at: string) => {
      if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
        issues.push({ code: 'invalid_type', path: at, message: 'Labels are an object from locale to text.' });
        return;
      }
      for (const [locale, text] of Object.entries(labels)) {
        if (!locales.includes(locale)) issues.push({ code: 'unknown_locale', path: `${at}/${locale}`, message: `"${locale}" is not one of the locales (${locales.join(', ')}).` });
        if (typeof text !== 'string' || text.trim() === '' || text.length > 500 || text.includes('\u0000')) {
          issues.push({ code: 'invalid_value', path: `${at}/${locale}`, message: 'A label is a non-empty text of at most 500 characters (no NUL).' });
        }
      }
    };
    const add = [...(previous.add ?? [])];
    (body.add ?? []).forEach((option, i) => {
      const at = pointer('add', i);
      if (!OPTION_VALUE.test(option.value)) issues.push({ code: 'invalid_format', path: `${at}/value`, message: `"${option.value}" is not an option value.` });
      else if (values.has(option.value)) issues.push({ code: 'option_exists', path: `${at}/value`, message: `"${option.value}" is already an option of this lookup.` });
      if (option.label.includes('\u0000')) issues.push({ code: 'invalid_character', path: `${at}/label`, message: 'A label cannot contain NUL characters.' });
      if (option.labels !== undefined) checkLabels(option.labels, `${at}/labels`);
      (option.tags ?? []).forEach((tag, j) => {
        if (!KEY.test(tag)) issues.push({ code: 'invalid_format', path: `${at}/tags/${j}`, message: `"${tag}" is not a tag key.` });
      });
      values.add(option.value);
      add.push({ value: option.value, label: option.label.trim(), ...(option.labels ? { labels: option.labels } : {}), ...(option.tags ? { tags: option.tags } : {}) });
    });
    const rename: Record<string, Record<string, string>> = Object.fromEntries(Object.entries(previous.rename ?? {}).map(([v, l]) => [v, { ...l }]));
    if (body.rename !== undefined) {
      if (typeof body.rename !== 'object' || body.rename === null || Array.isArray(body.rename)) {
        issues.push({ code: 'invalid_type', path: '/rename', message: 'rename is an object: value -> { locale: label }.' });
      } else {
        for (const [value, labels] of Object.entries(body.rename)) {
          const at = pointer('rename', value);
          if (!values.has(value)) issues.push({ code: 'unknown_option', path: at, message: `"${value}" is not an option of this lookup.` });
          checkLabels(labels, at);
          if (typeof labels === 'object' && labels !== null) rename[value] = { ...(rename[value] ?? {}), ...(labels as Record<string, string>) };
        }
      }
    }
    const checkValues = (list: readonly string[] | undefined, name: string) =>
      (list ?? []).forEach((value, i) => {
        if (!values.has(value)) issues.push({ code: 'unknown_option', path: pointer(name, i), message: `"${value}" is not an option of this lookup.` });
        if ((list ?? []).indexOf(value) !== i) issues.push({ code: 'not_unique', path: pointer(name, i), message: `"${value}" is listed twice.` });
      });
    checkValues(body.order, 'order');
    checkValues(body.disable, 'disable');
    checkValues(body.enable, 'enable');
    (body.enable ?? []).forEach((value, i) => {
      if (bundleDisabled.has(value)) issues.push({ code: 'disabled_by_bundle', path: pointer('enable', i), message: `"${value}" is disabled by the bundle itself: only a new bundle version can enable it.` });
      if ((body.disable ?? []).includes(value)) issues.push({ code: 'conflict', path: pointer('enable', i), message: `"${value}" cannot be disabled and enabled at once.` });
    });
    if (issues.length > 0) throw HavenError.validation(issues, 'The overlay is not valid.');
    const disabled = new Set([...(previous.disable ?? []), ...(body.disable ?? [])]);
    for (const value of body.enable ?? []) disabled.delete(value);
    const order = body.order ?? previous.order;
    return {
      ...(add.length > 0 ? { add } : {}),
      ...(Object.keys(rename).length > 0 ? { rename } : {}),
      ...(order && order.length > 0 ? { order } : {}),
      ...(disabled.size > 0 ? { disable: [...disabled] } : {}),
    };
  }

  // ---- locations ----------------------------------------------------------------------------------

  /** Where the localizable hierarchy lives and what it may use. */
  private hierarchyContext(): { ctx: HierarchyContext; bundle: LoadedBundle } {
    const bundles = this.config.loadedBundles();
    const target = bundles.find((b) => b.locations.some((l) => l.def.localizable === true));
    if (!target) throw new HavenError('forbidden', 'No location hierarchy of the active bundles is localizable.', [{ code: 'locations_not_localizable', path: '', message: 'Mark a locations file "localizable": true.' }]);
    const levels = new Map<number, string>();
    const fixed = new Map<string, { level: number }>();
    for (const bundle of bundles) {
      for (const { def } of bundle.locations) {
        for (const level of def.adminLevels) if (!levels.has(level.level)) levels.set(level.level, level.key);
        if (def.localizable !== true) for (const place of def.locations) fixed.set(place.code, { level: place.level });
      }
    }
    return { bundle: target, ctx: { baseLanguage: target.manifest.baseLanguage, locales: target.manifest.locales, levels, fixed } };
  }

  /** The localizable hierarchy in force: the imported one, else the bundles' (names from their translations). */
  currentHierarchy(overlay: OverlayState = this.config.overlays()): StoredLocationNode[] {
    if (overlay.locations) return [...overlay.locations.nodes];
    const out: StoredLocationNode[] = [];
    for (const bundle of this.config.loadedBundles()) {
      for (const { def } of bundle.locations) {
        if (def.localizable !== true) continue;
        for (const place of def.locations) {
          const names: Record<string, string> = { [bundle.manifest.baseLanguage]: place.name };
          for (const t of bundle.translations) {
            const text = t.def[translationKeys.location(place.code)];
            if (text !== undefined) names[t.locale] = text;
          }
          out.push({ code: place.code, level: place.level, names, ...(place.parent === undefined ? {} : { parent: place.parent }), ...(place.disabled ? { disabled: true } : {}) });
        }
      }
    }
    return out;
  }

  exportLocations(): string {
    const { bundle } = this.hierarchyContext();
    const locales = [bundle.manifest.baseLanguage, ...bundle.manifest.locales.filter((l) => l !== bundle.manifest.baseLanguage)];
    return locationCsv(this.currentHierarchy(), locales);
  }

  /**
   * Checks a hierarchy CSV and, unless `dryRun`, makes it the localizable hierarchy: all or nothing. Places of
   * the current hierarchy missing from the file are removed, except those records use: they are kept, disabled.
   */
  async importLocations(csv: string, dryRun: boolean, actor: Actor): Promise<LocationImportReport> {
    const started = performance.now();
    const { ctx } = this.hierarchyContext();
    const parsed = parseLocationCsv(csv, ctx);
    const run = async (db: EntityManager): Promise<LocationImportReport> => {
      const overlays = await readOverlays(db);
      const current = this.currentHierarchy(overlays);
      const problems = [...parsed.problems];
      const incoming = new Map(parsed.nodes.map((n) => [n.code, n]));
      const previous = new Map(current.map((n) => [n.code, n]));
      const missing = current.filter((n) => !incoming.has(n.code)).map((n) => n.code);
      const used = missing.length > 0 ? await locationsInUse(db, this.config.current(), missing) : new Map<string, number>();
      // Keep used places (and the ancestors they need) disabled.
      const kept = new Map<string, StoredLocationNode>();
      const keep = (code: string): void => {
        if (incoming.has(code) || kept.has(code) || ctx.fixed.has(code)) return;
        const node = previous.get(code);
        if (!node) return;
        kept.set(code, { ...node, disabled: true });
        if (node.parent !== undefined) keep(node.parent);
      };
      for (const code of used.keys()) keep(code);
      const nodes = [...parsed.nodes, ...kept.values()];
      const summary = { added: 0, changed: 0, unchanged: 0, removed: missing.length - kept.size, keptDisabled: kept.size };
      for (const node of parsed.nodes) {
        const before = previous.get(node.code);
        if (!before) summary.added++;
        else if (sameNode(before, node)) summary.unchanged++;
        else summary.changed++;
      }
      if (problems.length === 0) {
        const result = applyOverlays(this.config.loadedBundles(), {
          lookups: overlays.lookups,
          locations: { nodes: nodes.map(({ code, parent, level, names, disabled }) => ({ code, level, names, ...(parent ? { parent } : {}), ...(disabled ? { disabled } : {}) })) },
        });
        for (const issue of result.issues) {
          const index = /^\/locations\/(\d+)/.exec(issue.pointer)?.[1];
          const node = index === undefined ? undefined : nodes[Number(index)];
          const keptNode = node !== undefined && kept.has(node.code);
          problems.push({
            row: node ? (parsed.lines.get(node.code) ?? 0) : 0,
            code: keptNode ? 'in_use' : 'invalid_hierarchy',
            message: keptNode
              ? `"${node.code}" is used by ${used.get(node.code) ?? 'some'} record(s) and must stay (disabled), but: ${issue.message}`
              : `${issue.file}${issue.pointer}: ${issue.message}`,
          });
        }
      }
      const valid = problems.length === 0;
      let version = overlays.version;
      if (valid && !dryRun) {
        const [row]: Array<{ version: string }> = await db.query(
          `INSERT INTO config_overlay (kind, target, operation, state, created_by, created_by_name) VALUES ('locations', 'hierarchy', $1, $2, $3, $4) RETURNING version`,
          [JSON.stringify({ rows: parsed.rows, ...summary }), JSON.stringify({ nodes }), actor.principal.userId, actor.principal.username],
        );
        version = Number(row!.version);
        await this.audit.record(
          { ...auditActor(actor), action: 'location.hierarchy_imported', objectType: 'location', objectId: 'hierarchy', details: { version, rows: parsed.rows, ...summary, keptDisabled: [...kept.keys()].slice(0, 100) } },
          db,
        );
        await ActiveConfigService.notify(db, `overlay:${version}`);
      }
      return {
        dryRun,
        valid,
        rows: parsed.rows,
        problems: problems.sort((a, b) => a.row - b.row),
        summary,
        keptDisabled: [...kept.keys()].map((code) => ({ code, records: used.get(code) ?? 0 })),
        overlayVersion: version,
        ms: 0,
      };
    };
    const report = dryRun
      ? await run(this.ds.manager)
      : await this.ds.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock($1)', [OVERLAY_LOCK]);
          const result = await run(tx);
          if (!result.valid) {
            throw HavenError.validation(
              result.problems.map((p) => ({ code: p.code, path: `/${p.row}${p.column ? `/${p.column}` : ''}`, message: `Line ${p.row}: ${p.message}`, params: { row: p.row, ...(p.column ? { column: p.column } : {}) } })),
              `The location file has ${result.problems.length} problem(s); nothing was imported.`,
            );
          }
          return result;
        });
    if (!dryRun) await this.config.reload();
    return { ...report, ms: Math.round(performance.now() - started) };
  }
}
