import type { FieldInfo } from '../../engine/index.js';
import { isoDay, type Random } from './random.js';
import { personName, phoneNumber, prose, shortText, timeOfDay } from './texts.js';

/** What a generated value may depend on: the record's days and the people and places of the demo. */
export interface ValueContext {
  readonly rng: Random;
  /** Day number of "today" for the seed (no date after it where the form forbids future dates). */
  readonly todayDay: number;
  /** Day number of the event the record is about (incident, registration). */
  readonly eventDay: number;
  /** Day number the record was entered. */
  readonly createdDay: number;
  /** Usernames for `user` fields (the owner's colleagues). */
  readonly usernames: readonly string[];
  /** Agency codes for `agency` fields. */
  readonly agencies: readonly string[];
  /** Location codes the location fields may take (leaves of the hierarchy first). */
  readonly locations: readonly string[];
}

type Def = Record<string, unknown>;

/** Date fields default to the weeks after the event; never after "today" when the form forbids future dates. */
function dateValue(field: FieldInfo, ctx: ValueContext): string {
  const def = field.definition as Def;
  let day = ctx.eventDay + ctx.rng.int(0, Math.max(0, ctx.createdDay - ctx.eventDay) + 45);
  // The day before today at the latest: a time of day on today could still be later than "now".
  if (def['notInFuture'] === true) day = Math.min(day, ctx.todayDay - 1);
  const iso = isoDay(day);
  return def['includeTime'] === true ? `${iso}T${timeOfDay(ctx.rng)}:00.000Z` : iso;
}

function numberValue(field: FieldInfo, ctx: ValueContext): number {
  const def = field.definition as Def;
  const min = typeof def['min'] === 'number' ? def['min'] : 0;
  const max = typeof def['max'] === 'number' ? Math.min(def['max'], min + 20) : min + 20;
  return ctx.rng.int(Math.ceil(min), Math.floor(max));
}

/**
 * A plausible value for one leaf field from its definition alone (type, options, limits), or undefined when
 * the seed leaves that kind of field empty (signatures, attachments, computed values, layout).
 */
export function genericValue(field: FieldInfo, ctx: ValueContext): unknown {
  const { rng } = ctx;
  const def = field.definition as Def;
  const options = field.options ?? [];
  const maxLength = typeof def['maxLength'] === 'number' ? def['maxLength'] : 1000;
  switch (field.type) {
    case 'text':
      if (def['phone'] === true) return phoneNumber(rng);
      if (def['pattern'] !== undefined) return undefined;
      return /name/.test(field.key) ? personName(rng).slice(0, maxLength) : shortText(rng, Math.min(maxLength, 100));
    case 'textarea':
      return prose(rng, rng.int(1, 3), maxLength);
    case 'date':
      return dateValue(field, ctx);
    case 'date_range': {
      const from = dateValue(field, ctx);
      return { from: from.slice(0, 10), to: from.slice(0, 10) };
    }
    case 'number':
      return numberValue(field, ctx);
    case 'select':
    case 'radio':
      return options.length ? rng.pick(options) : undefined;
    case 'multi_select': {
      if (!options.length) return undefined;
      const limit = typeof def['maxItems'] === 'number' ? def['maxItems'] : 3;
      return rng.some(options, rng.int(1, Math.min(limit, 3, options.length)));
    }
    case 'yes_no':
    case 'tick_box':
      return rng.chance(0.6);
    case 'location':
      return ctx.locations.length ? rng.pick(ctx.locations) : undefined;
    case 'user':
      return ctx.usernames.length ? ((def['multiple'] === true ? [rng.pick(ctx.usernames)] : rng.pick(ctx.usernames)) as unknown) : undefined;
    case 'agency':
      return ctx.agencies.length ? rng.pick(ctx.agencies) : undefined;
    case 'tally': {
      const items = (def['items'] as { key: string }[] | undefined) ?? [];
      return Object.fromEntries(items.map((item) => [item.key, rng.int(0, 3)]));
    }
    default:
      // signature, attachment, calculated, separator, subform (drafted row by row elsewhere), unknown types
      return undefined;
  }
}
