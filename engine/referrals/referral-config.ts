/**
 * Referral, transfer and cross-module configuration of a compiled config (module files' `referrals`,
 * `transfers`, `crossModule`; docs/referrals.md), prepared once per compiled config: consent rules and
 * cross-module `set` values are compiled to closures, the fields consent reads are listed (so a refusal can point
 * at them without showing their values).
 */
import type { ConsentDefinition, CrossModuleDefinition, ModuleDefinition } from '../bundle/schema/definitions.js';
import type { CompiledConfig } from '../compile/types.js';
import type { RuleData } from '../rules/context.js';
import { walkLogic } from '../rules/logic-walk.js';
import { prepareRule, RULE_ERROR, type PreparedRule } from '../rules/prepare.js';

/** What a consent check says: `fields` are the fields the rule reads whose consent is not given (or all of them). */
export interface ConsentOutcome {
  readonly given: boolean;
  /** Fields consent depends on (rule fields, then the service's field): where a refusal points. */
  readonly fields: readonly string[];
}

export interface CompiledConsent {
  /** Every field the consent reads (rule fields and, for a service, its consent field). */
  fieldsFor(service?: string): readonly string[];
  check(data: RuleData, service?: string): ConsentOutcome;
}

export interface ReferralConfig {
  readonly module: string;
  readonly recordType: string;
  readonly serviceLookup: string;
  /** Enabled values of the service lookup. */
  readonly services: readonly string[];
  readonly sharedForms: readonly string[];
  /** Field paths (top-level keys, `<subform>.<field>`) on the shared forms. */
  readonly sharedFields: ReadonlySet<string>;
  readonly consent: CompiledConsent;
}

export interface TransferConfig {
  readonly module: string;
  readonly recordType: string;
  readonly consent: CompiledConsent;
  readonly previousOwnerKeepsAccess: boolean;
}

export interface CrossModuleConfig {
  readonly fromModule: string;
  readonly fromRecordType: string;
  readonly toModule: string;
  readonly toRecordType: string;
  readonly fields: readonly { readonly source: string; readonly target: string }[];
  /** Values of the new record's `set` fields for a referred record (undefined values are left out). */
  setValues(data: RuleData): Record<string, unknown>;
}

export interface ReferralSettings {
  referral(module: string, recordType: string): ReferralConfig | undefined;
  transfer(module: string, recordType: string): TransferConfig | undefined;
  /** Modules a record of (module, recordType) can be referred to across modules. */
  crossModuleTargets(module: string, recordType: string): readonly CrossModuleConfig[];
  crossModule(module: string, recordType: string, toModule: string): CrossModuleConfig | undefined;
}

const NO_ENV = { recordFields: undefined, subformFields: () => undefined, resolveLookup: () => ({ status: 'broken' as const }) };

/** Fields of the record a piece of logic reads (`record.<field>`), in order of appearance, without repeats. */
function fieldsRead(logic: unknown): string[] {
  const refs = walkLogic(logic, '', NO_ENV, undefined, () => undefined);
  return [...new Set(refs.filter((ref) => ref.subform === undefined).map((ref) => ref.field))];
}

/** A value that says "yes": consent fields are yes/no or tick-box fields (booleans once normalised). */
const affirmative = (value: unknown): boolean => value === true || value === 'yes' || value === 'true';

function compileConsent(def: Partial<ConsentDefinition> | undefined, lookupValues: (key: string) => readonly string[] | undefined): CompiledConsent {
  const rule: PreparedRule | undefined = def?.rule === undefined ? undefined : prepareRule(def.rule, { lookupValues });
  const ruleFields = def?.rule === undefined ? [] : fieldsRead(def.rule);
  const services = def?.services ?? {};
  const fieldsFor = (service?: string): string[] => {
    const own = service === undefined ? undefined : services[service];
    return own === undefined || ruleFields.includes(own) ? ruleFields : [...ruleFields, own];
  };
  return {
    fieldsFor,
    check(data, service) {
      const own = service === undefined ? undefined : services[service];
      const ruleOk = rule === undefined || rule.test(data);
      const serviceOk = own === undefined || affirmative(data.record[own]);
      if (ruleOk && serviceOk) return { given: true, fields: [] };
      // Point at the fields that hold no "yes"; when the rule fails on something else, at all it reads.
      const missing = fieldsFor(service).filter((field) => !affirmative(data.record[field]));
      return { given: false, fields: missing.length > 0 ? missing : fieldsFor(service) };
    },
  };
}

function compileCrossModule(from: ModuleDefinition, toModule: string, def: CrossModuleDefinition, lookupValues: (key: string) => readonly string[] | undefined): CrossModuleConfig {
  const set = (def.set ?? []).map((entry) => ({ target: entry.target, rule: prepareRule(entry.value, { lookupValues }) }));
  return {
    fromModule: from.key,
    fromRecordType: def.from,
    toModule,
    toRecordType: def.recordType,
    fields: def.fields,
    setValues(data) {
      const out: Record<string, unknown> = {};
      for (const { target, rule } of set) {
        const value = rule.evaluate(data);
        if (value !== RULE_ERROR && value !== undefined && value !== null) out[target] = value;
      }
      return out;
    },
  };
}

const id = (module: string, recordType: string): string => `${module}\u0000${recordType}`;

function build(compiled: CompiledConfig): ReferralSettings {
  const lookupValues = (key: string): readonly string[] | undefined =>
    compiled.lookups.get(key)?.values.filter((v) => v.disabled !== true).map((v) => v.value);
  const referrals = new Map<string, ReferralConfig>();
  const transfers = new Map<string, TransferConfig>();
  const cross = new Map<string, CrossModuleConfig[]>();
  const modules = new Set<string>();
  for (const bundle of compiled.source) for (const { def } of bundle.modules) modules.add(def.key);
  for (const bundle of compiled.source) {
    for (const { def } of bundle.modules) {
      for (const [recordType, r] of Object.entries(def.referrals ?? {})) {
        referrals.set(id(def.key, recordType), {
          module: def.key,
          recordType,
          serviceLookup: r.serviceLookup,
          services: lookupValues(r.serviceLookup) ?? [],
          sharedForms: r.sharedForms,
          sharedFields: new Set((compiled.findRecordType(def.key, recordType)?.fields ?? []).filter((f) => r.sharedForms.includes(f.form)).map((f) => f.path)),
          consent: compileConsent(r.consent, lookupValues),
        });
      }
      for (const [recordType, t] of Object.entries(def.transfers ?? {})) {
        transfers.set(id(def.key, recordType), {
          module: def.key,
          recordType,
          consent: compileConsent(t.consent, lookupValues),
          previousOwnerKeepsAccess: t.previousOwnerKeepsAccess === true,
        });
      }
      for (const [toModule, c] of Object.entries(def.crossModule ?? {})) {
        // Only modules this deployment runs, and only record types it defines.
        if (!modules.has(toModule) || compiled.findRecordType(toModule, c.recordType) === undefined) continue;
        const key = id(def.key, c.from);
        cross.set(key, [...(cross.get(key) ?? []), compileCrossModule(def, toModule, c, lookupValues)]);
      }
    }
  }
  return {
    referral: (module, recordType) => referrals.get(id(module, recordType)),
    transfer: (module, recordType) => transfers.get(id(module, recordType)),
    crossModuleTargets: (module, recordType) => cross.get(id(module, recordType)) ?? [],
    crossModule: (module, recordType, toModule) => cross.get(id(module, recordType))?.find((c) => c.toModule === toModule),
  };
}

// Keyed by the compiled config object (itself memoised per bundle hashes): built once, gone with its config.
const byConfig = new WeakMap<CompiledConfig, ReferralSettings>();

/** The referral, transfer and cross-module settings of a compiled config (built on first use, then cached). */
export function referralSettings(compiled: CompiledConfig): ReferralSettings {
  let settings = byConfig.get(compiled);
  if (settings === undefined) {
    settings = build(compiled);
    byConfig.set(compiled, settings);
  }
  return settings;
}
