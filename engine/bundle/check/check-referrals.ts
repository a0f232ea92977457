/**
 * Module files' `referrals`, `transfers` and `crossModule` sections (docs/referrals.md): the record types,
 * lookups, forms and fields they name exist, consent logic compiles against the record type, consent fields are
 * yes/no questions, and fields travelling across modules are of matching types and never identifying.
 *
 * A `crossModule` entry whose receiving module is not loaded at all is skipped: a deployment running one module
 * only loads that module's bundle. Once the receiving module is loaded, everything the entry names is checked.
 */
import type { FieldDefinition, LeafFieldDefinition } from '../../fields/index.js';
import type { ConsentDefinition, ModuleDefinition } from '../schema/definitions.js';
import type { ParsedBundle } from '../types.js';
import type { CheckContext, FieldEntry, Namespace } from './context.js';
import { checkLogicAt, namespaceLogicEnv } from './logic-env.js';

const CONSENT_TYPES = new Set(['yes_no', 'tick_box']);

interface At {
  readonly ctx: CheckContext;
  readonly bundle: ParsedBundle;
  readonly file: string;
}

const escape = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

function recordTypeOf(at: At, def: ModuleDefinition, recordType: string, pointer: string): Namespace | undefined {
  if (!def.recordTypes.includes(recordType)) {
    at.ctx.report(at.bundle, at.file, pointer, 'unknown_record_type', `Module "${def.key}" does not list record type "${recordType}".`);
    return undefined;
  }
  return at.ctx.namespace(def.key, recordType);
}

function fieldOf(ns: Namespace | undefined, key: string): FieldEntry | undefined | 'broken' {
  if (ns === undefined || ns.brokenFields.has(key)) return 'broken';
  return ns.fields.get(key);
}

function formsOf(ctx: CheckContext, module: string, recordType: string): Set<string> {
  const out = new Set<string>();
  for (const bundle of ctx.bundles) for (const { def } of bundle.forms) if (def.module === module && def.recordType === recordType) out.add(def.key);
  return out;
}

function checkConsent(at: At, ns: Namespace | undefined, consent: ConsentDefinition, pointer: string, services: ReadonlySet<string> | undefined): void {
  const env = namespaceLogicEnv(at.ctx, at.bundle, ns);
  if (consent.rule !== undefined) checkLogicAt(at.ctx, at.bundle, at.file, env, consent.rule, `${pointer}/rule`, undefined);
  for (const [service, field] of Object.entries(consent.services ?? {})) {
    const p = `${pointer}/services/${escape(service)}`;
    if (services !== undefined && !services.has(service)) at.ctx.report(at.bundle, at.file, p, 'unknown_service', `"${service}" is not a value of the service lookup.`);
    const entry = fieldOf(ns, field);
    if (entry === undefined) at.ctx.report(at.bundle, at.file, p, 'unknown_field', `"${field}" is not a field of ${ns?.module}/${ns?.recordType}.`);
    else if (entry !== 'broken' && (entry.subform !== undefined || !CONSENT_TYPES.has(entry.def.type))) {
      at.ctx.report(at.bundle, at.file, p, 'invalid_consent_field', `"${field}" is not a top-level yes/no or tick-box field.`);
    }
  }
}

function isIdentifying(def: FieldDefinition | LeafFieldDefinition): boolean {
  if ((def as { identifying?: boolean }).identifying === true) return true;
  const children = (def as { fields?: readonly LeafFieldDefinition[] }).fields;
  return Array.isArray(children) && children.some((child) => child.identifying === true);
}

const lookupOf = (def: FieldDefinition | LeafFieldDefinition): string | undefined => (def as { lookup?: string }).lookup;

function checkModule(ctx: CheckContext, bundle: ParsedBundle, file: string, def: ModuleDefinition): void {
  const at: At = { ctx, bundle, file };
  for (const [recordType, referral] of Object.entries(def.referrals ?? {})) {
    const p = `/referrals/${recordType}`;
    if (!def.recordTypes.includes(recordType)) {
      recordTypeOf(at, def, recordType, p);
      continue; // its forms and fields cannot be checked: one issue says why
    }
    const ns = recordTypeOf(at, def, recordType, p);
    const lookup = ctx.resolveLookup(bundle, referral.serviceLookup);
    if (lookup.status === 'missing') ctx.report(bundle, file, `${p}/serviceLookup`, 'unknown_lookup', lookup.message);
    const services = lookup.status === 'found' ? new Set(lookup.lookup.values.map((v) => v.value)) : undefined;
    const forms = formsOf(ctx, def.key, recordType);
    referral.sharedForms.forEach((form, i) => {
      if (!forms.has(form) && !ctx.isBroken('form', form)) ctx.report(bundle, file, `${p}/sharedForms/${i}`, 'unknown_form', `"${form}" is not a form of ${def.key}/${recordType}.`);
    });
    if (referral.consent !== undefined) checkConsent(at, ns, referral.consent, `${p}/consent`, services);
  }
  for (const [recordType, transfer] of Object.entries(def.transfers ?? {})) {
    const p = `/transfers/${recordType}`;
    const ns = recordTypeOf(at, def, recordType, p);
    if (transfer.consent !== undefined) checkConsent(at, ns, transfer.consent, `${p}/consent`, undefined);
  }
  for (const [target, cross] of Object.entries(def.crossModule ?? {})) {
    const p = `/crossModule/${target}`;
    const source = recordTypeOf(at, def, cross.from, `${p}/from`);
    if (def.referrals?.[cross.from] === undefined) ctx.report(bundle, file, `${p}/from`, 'not_referable', `Module "${def.key}" has no referrals of "${cross.from}".`);
    const other = ctx.modules.get(target);
    if (other === undefined) {
      if (target === def.key) ctx.report(bundle, file, p, 'unknown_module', 'A referral across modules names another module.');
      continue; // not loaded in this deployment: the entry cannot apply
    }
    if (target === def.key) {
      ctx.report(bundle, file, p, 'unknown_module', 'A referral across modules names another module.');
      continue;
    }
    if (!other.def.recordTypes.includes(cross.recordType)) {
      ctx.report(bundle, file, `${p}/recordType`, 'unknown_record_type', `Module "${target}" does not list record type "${cross.recordType}".`);
      continue;
    }
    const dest = ctx.namespace(target, cross.recordType);
    cross.fields.forEach((pair, i) => {
      const from = fieldOf(source, pair.source);
      const to = fieldOf(dest, pair.target);
      if (from === undefined) ctx.report(bundle, file, `${p}/fields/${i}/source`, 'unknown_field', `"${pair.source}" is not a field of ${def.key}/${cross.from}.`);
      if (to === undefined) ctx.report(bundle, file, `${p}/fields/${i}/target`, 'unknown_field', `"${pair.target}" is not a field of ${target}/${cross.recordType}.`);
      if (from === undefined || to === undefined || from === 'broken' || to === 'broken') return;
      if (isIdentifying(from.def) || isIdentifying(to.def)) {
        ctx.report(bundle, file, `${p}/fields/${i}`, 'identifying_in_cross_module', `"${pair.source}" → "${pair.target}" is identifying: identifying fields never travel to another module.`);
      }
      if (from.subform !== undefined || to.subform !== undefined || from.def.type !== to.def.type || lookupOf(from.def) !== lookupOf(to.def)) {
        ctx.report(bundle, file, `${p}/fields/${i}`, 'field_type_mismatch', `"${pair.source}" (${from.def.type}) and "${pair.target}" (${to.def.type}) do not hold the same kind of value.`);
      }
    });
    const env = namespaceLogicEnv(ctx, bundle, source);
    cross.set?.forEach((entry, i) => {
      const to = fieldOf(dest, entry.target);
      if (to === undefined) ctx.report(bundle, file, `${p}/set/${i}/target`, 'unknown_field', `"${entry.target}" is not a field of ${target}/${cross.recordType}.`);
      checkLogicAt(ctx, bundle, file, env, entry.value, `${p}/set/${i}/value`, undefined);
    });
  }
}

export function checkReferrals(ctx: CheckContext): void {
  for (const bundle of ctx.bundles) {
    for (const { def, file } of bundle.modules) checkModule(ctx, bundle, file, def);
  }
}
