/** Shared by the choice types (radio, select, multi_select): option sources, `optionsIf`, checks. */
import { Type } from '@sinclair/typebox';
import { InlineOption, Key, Logic } from '../../bundle/schema/common.js';
import type { PreparedRule } from '../../rules/prepare.js';
import { pointer } from '../../util/json-pointer.js';
import type { DefinitionCheckEnv, FieldCompileEnv, FieldText, ResolvedOption, ValueCheckContext } from '../field-type.js';

export const OptionsExtras = {
  options: Type.Optional(Type.Array(InlineOption, { minItems: 1 })),
  lookup: Type.Optional(Key),
  /** `{ "<option tag>": LOGIC }`: options carrying the tag are offered only while the rule holds. */
  optionsIf: Type.Optional(Type.Record(Key, Logic)),
};

interface OptionsDef {
  readonly options?: readonly InlineOption[];
  readonly lookup?: string;
  readonly optionsIf?: Readonly<Record<string, unknown>>;
}

export function checkOptionsDefinition(def: OptionsDef, env: DefinitionCheckEnv): void {
  let options: readonly ResolvedOption[] | undefined;
  if (def.options !== undefined && def.lookup !== undefined) {
    env.report('/lookup', 'invalid_option_source', 'Give either inline `options` or a `lookup`, not both.');
  } else if (def.options === undefined && def.lookup === undefined) {
    env.report('', 'invalid_option_source', 'A choice field needs inline `options` or a `lookup`.');
  }
  if (def.options !== undefined) {
    options = def.options;
    const seen = new Set<string>();
    def.options.forEach((option, i) => {
      if (seen.has(option.value)) env.report(`/options/${i}/value`, 'duplicate_option', `Option value "${option.value}" appears twice.`);
      seen.add(option.value);
    });
  } else if (def.lookup !== undefined) {
    const found = env.resolveLookup(def.lookup);
    if (found.status === 'missing') env.report('/lookup', 'unknown_lookup', found.message);
    if (found.status === 'found') options = found.lookup.values;
  }
  if (def.optionsIf !== undefined) {
    const tags = new Set(options?.flatMap((option) => option.tags ?? []));
    for (const [tag, logic] of Object.entries(def.optionsIf)) {
      const at = pointer('/optionsIf', tag);
      if (options !== undefined && !tags.has(tag)) {
        env.report(at, 'unknown_option_tag', `No option of this field has the tag "${tag}".`);
      }
      env.checkLogic(logic, at, 'self');
    }
  }
}

export function resolveOptions(def: OptionsDef, env: FieldCompileEnv): readonly ResolvedOption[] {
  if (def.options !== undefined) return def.options;
  if (def.lookup !== undefined) return env.lookup(def.lookup)?.values ?? [];
  return [];
}

/** Per option value, the `optionsIf` rules that must all hold for it to be offered. */
export type OptionGates = ReadonlyMap<string, readonly PreparedRule[]>;

export function prepareOptionGates(def: OptionsDef, options: readonly ResolvedOption[], env: FieldCompileEnv): OptionGates {
  const gates = new Map<string, PreparedRule[]>();
  if (def.optionsIf === undefined) return gates;
  const rules = new Map(Object.entries(def.optionsIf).map(([tag, logic]) => [tag, env.prepare(logic)] as const));
  for (const option of options) {
    const applicable = (option.tags ?? []).flatMap((tag) => {
      const rule = rules.get(tag);
      return rule ? [rule] : [];
    });
    if (applicable.length > 0) gates.set(option.value, applicable);
  }
  return gates;
}

/** Reports `option_not_available` when a chosen option's `optionsIf` rules do not hold. */
export function checkGate(gates: OptionGates, value: unknown, path: string, ctx: ValueCheckContext): void {
  if (typeof value !== 'string') return;
  const rules = gates.get(value);
  if (rules === undefined) return;
  for (const rule of rules) {
    if (!rule.test(ctx.data)) {
      ctx.report(path, 'option_not_available', `The option "${value}" is not available for this record.`, { value });
      return;
    }
  }
}

/**
 * Valid option values as a Set. Options are checked here rather than with a JSON Schema `enum`: AJV
 * compares an enum of 200+ values (countries, languages) one by one on every record. Disabled values
 * stay valid: old records keep them.
 */
export function optionSet(options: readonly ResolvedOption[]): ReadonlySet<string> {
  return new Set(options.map((option) => option.value));
}

/** Reports `not_an_option` for a string outside the options (other types already failed the schema). */
export function checkOption(values: ReadonlySet<string>, value: unknown, path: string, ctx: ValueCheckContext): boolean {
  if (typeof value !== 'string' || values.has(value)) return true;
  ctx.report(path, 'not_an_option', 'Not one of the options.', { value });
  return false;
}

/** Inline option labels are translatable texts of the field; lookup labels belong to the lookup. */
export function optionTexts(def: OptionsDef): readonly FieldText[] {
  return (def.options ?? []).map((option, i) => ({ suffix: `option.${option.value}`, pointer: `/options/${i}/label`, text: option.label }));
}
