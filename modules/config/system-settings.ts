import type { CompiledConfig } from '../../engine/index.js';

/**
 * System settings from the active bundles (the core bundle's settings.json), with defaults for anything a
 * bundle leaves out. Read through here only, so that every setting has one default.
 */
export interface SystemSettings {
  defaultLocale: string;
  passwordPolicy: { minLength: number; disallowUsername: boolean; disallowCommon: boolean };
  loginThrottling: {
    /** Failures of one (username, address) pair that lock the pair. */
    maxFailures: number;
    lockMinutes: number;
    /** Failures from one address, whatever the usernames, that block the address. */
    maxFailuresPerAddress: number;
    /** Failures on one account from any address after which every further attempt is slowed down. */
    accountSlowdownAfter: number;
  };
  sessions: { idleMinutes: number; absoluteHours: number };
  governance: { requiredApprovals: number };
  reports: { smallCellThreshold: number };
  exports: { fileTtlHours: number };
  attachments: { maxBytes: number; allowedTypes: string[] };
}

const DEFAULTS: SystemSettings = {
  defaultLocale: 'en',
  passwordPolicy: { minLength: 12, disallowUsername: true, disallowCommon: true },
  loginThrottling: { maxFailures: 6, lockMinutes: 30, maxFailuresPerAddress: 30, accountSlowdownAfter: 10 },
  sessions: { idleMinutes: 60, absoluteHours: 12 },
  governance: { requiredApprovals: 2 },
  reports: { smallCellThreshold: 5 },
  exports: { fileTtlHours: 24 },
  attachments: { maxBytes: 20 * 1024 * 1024, allowedTypes: ['image/jpeg', 'image/png', 'application/pdf'] },
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects where `override` wins; values of the wrong type are ignored. */
function merge<T>(base: T, override: unknown): T {
  if (!isObject(base) || !isObject(override)) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = (base as Record<string, unknown>)[key];
    if (current === undefined) continue;
    if (isObject(current)) out[key] = merge(current, value);
    else if (typeof value === typeof current && (Array.isArray(value) === Array.isArray(current))) out[key] = value;
  }
  return out as T;
}

const cache = new WeakMap<CompiledConfig, SystemSettings>();

export function systemSettings(compiled: CompiledConfig): SystemSettings {
  const cached = cache.get(compiled);
  if (cached) return cached;
  let settings = DEFAULTS;
  for (const bundle of compiled.source) if (bundle.settings) settings = merge(settings, bundle.settings.def);
  cache.set(compiled, settings);
  return settings;
}
