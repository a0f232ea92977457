import type { ValueContext } from './field-values.js';
import { isoDay, yearsBetween } from './random.js';
import { familyName, givenName, personName } from './texts.js';

/**
 * What makes demo records look like real GBVIMS+ and CPIMS+ files rather than uniform noise: realistic
 * shares (most survivors are women and girls, most incidents are reported within two weeks, a third are
 * rape), dates in a believable order and ages that agree with dates of birth. Everything a profile does not
 * name is filled from the field definitions alone (field-values.ts), so a deployment's own fields get values
 * too. A profile value for a field the active configuration does not have is simply dropped, and every drafted
 * record still goes through the engine's `process()` (draft.ts): a profile can make data realistic, never
 * valid by assertion.
 */

/** The state a profile value is drawn from. */
export interface DraftState extends ValueContext {
  /** Values drafted so far (profile fields in declaration order, then the rest in form order). */
  readonly data: Readonly<Record<string, unknown>>;
  readonly ownerFullName: string;
  readonly todayIso: string;
}

export type ValueFn = (s: DraftState) => unknown;

/** A profile value for a subform: draft its rows here (so that later profile values can read them). */
export const DRAFT_ROWS = Symbol('draft rows');

export interface RecordProfile {
  readonly module: string;
  readonly recordType: string;
  /** Share of the optional fields the generic filler fills (records are rarely complete). */
  readonly fill: number;
  /** Share of the optional fields of a subform row filled. */
  readonly rowFill: number;
  /** Event and entry days (day numbers) for a record, given today. */
  days(s: Pick<ValueContext, 'rng' | 'todayDay'>): { eventDay: number; createdDay: number };
  /**
   * Top-level values, drawn in this order before the generic filler (undefined/null: leave empty; DRAFT_ROWS for
   * a subform: draft its rows now). Keys starting with `_` are scratch values for later profile values, never
   * stored.
   */
  readonly fields: Readonly<Record<string, ValueFn>>;
  /** Row values per subform (`row` is the row drafted so far). */
  readonly rows?: Readonly<Record<string, Readonly<Record<string, (s: DraftState, row: Record<string, unknown>, index: number) => unknown>>>>;
  /** How many rows a subform gets when the filler decides to fill it (default 1–3). */
  readonly rowCounts?: Readonly<Record<string, readonly (readonly [number, number])[]>>;
  /** Workflow status from the drafted data. */
  status(data: Readonly<Record<string, unknown>>): string;
}

const YEAR_DAYS = 365.25;

/** Entered some day in the last three years; the event came `delay` days before. */
function entryDays(s: Pick<ValueContext, 'rng' | 'todayDay'>, delay: number): { eventDay: number; createdDay: number } {
  const createdDay = s.todayDay - s.rng.int(0, 3 * 365);
  return { eventDay: createdDay - delay, createdDay };
}

/** A date of birth for someone `age` years old on `onDay`. */
function birthDay(s: DraftState, age: number, onDay: number): string {
  return isoDay(onDay - Math.floor(age * YEAR_DAYS) - s.rng.int(1, 360));
}

function survivorAge(s: DraftState): number {
  const band = s.rng.weighted<[number, number]>([
    [[12, 17], 24],
    [[18, 25], 30],
    [[26, 40], 31],
    [[41, 60], 12],
    [[61, 75], 3],
  ]);
  return s.rng.int(band[0], band[1]);
}

const year = (s: DraftState, day: number) => isoDay(day).slice(0, 4);
const serial = (s: DraftState) => String(s.rng.int(1, 99_999)).padStart(5, '0');

/** The GBVIMS classification tool is a chain of yes/no questions; the first "yes" decides the type. */
const CLASSIFICATION = [
  'classification_penetration',
  'classification_unwanted_sexual_contact',
  'classification_physical_assault',
  'classification_forced_marriage',
  'classification_denial_of_resources',
  'classification_psychological_abuse',
];

function classificationAnswer(question: number): ValueFn {
  return (s) => {
    // Which question gets the first "yes" (index 6: none of them, a non-GBV incident), drawn once per record.
    const answered = CLASSIFICATION.slice(0, question).every((key) => s.data[key] === false);
    if (!answered) return undefined;
    const yesAt = s.data['_yes_at'] as number | undefined;
    return yesAt === question ? true : false;
  };
}

const incident: RecordProfile = {
  module: 'gbv',
  recordType: 'incident',
  fill: 0.5,
  rowFill: 0.6,
  days: (s) =>
    entryDays(
      s,
      s.rng.weighted([
        [s.rng.int(0, 3), 40],
        [s.rng.int(4, 5), 10],
        [s.rng.int(6, 14), 20],
        [s.rng.int(15, 30), 15],
        [s.rng.int(31, 400), 15],
      ]),
    ),
  fields: {
    // `_yes_at` is a scratch value (not a field): dropped by the draft, read by the classification answers.
    _yes_at: (s) => s.rng.weighted([[0, 31], [1, 15], [2, 24], [3, 7], [4, 10], [5, 10], [6, 3]]),
    caseworker_name: (s) => s.ownerFullName,
    incidentid_ir: (s) => `IR-${year(s, s.createdDay)}-${serial(s)}`,
    consent_reporting: (s) => s.rng.chance(0.85),
    incident_date: (s) => isoDay(s.eventDay),
    date_of_first_report: (s) => isoDay(Math.max(s.eventDay, s.createdDay - s.rng.weighted([[0, 80], [1, 15], [2, 5]]))),
    incident_date_estimated: (s) => s.rng.chance(0.08),
    ...Object.fromEntries(CLASSIFICATION.map((key, i) => [key, classificationAnswer(i)])),
    gbv_reported_elsewhere: (s) => s.rng.weighted([['no', 62], ['gbvims-org', 14], ['non-gbvims-org', 24]]),
    survivor_code: (s) => `SV-${year(s, s.createdDay)}-${serial(s)}`,
    sex: (s) => s.rng.weighted([['female', 92], ['male', 7], ['other', 1]]),
    age: survivorAge,
    date_of_birth: (s) => (s.rng.chance(0.6) ? birthDay(s, s.data['age'] as number, s.eventDay) : undefined),
    estimated: (s) => s.rng.chance(0.1),
    marital_status: (s) =>
      (s.data['age'] as number) < 18 ? s.rng.weighted([['single', 90], ['married_cohabitating', 10]]) : s.rng.weighted([['single', 35], ['married_cohabitating', 45], ['divorced_separated', 12], ['widowed', 8]]),
    unaccompanied_separated_status: (s) =>
      (s.data['age'] as number) < 18 ? s.rng.weighted([['no', 70], ['unaccompanied_minor', 10], ['separated_child', 15], ['other_vulnerable_child', 5]]) : 'no',
    displacement_status: (s) => s.rng.weighted([['refugee', 40], ['idp', 25], ['resident', 25], ['returnee', 6], ['asylum_seeker', 4]]),
    alleged_perpetrator: (s) => (s.rng.chance(0.93) ? DRAFT_ROWS : undefined),
    number_of_individual_perpetrators_from_ir: (s) => (Array.isArray(s.data['alleged_perpetrator']) ? (s.data['alleged_perpetrator'] as unknown[]).length || undefined : undefined),
  },
  rows: {
    alleged_perpetrator: {
      primary_perpetrator: (_s, _row, i) => (i === 0 ? 'primary' : 'secondary'),
      perpetrator_sex: (s) => s.rng.weighted([['male', 94], ['female', 5], ['other', 1]]),
      age_group: (s) => s.rng.weighted([['12_17', 6], ['18_25', 22], ['26_40', 40], ['41_60', 18], ['61_older', 3], ['unknown', 11]]),
      perpetrator_relationship: (s, _row, i) =>
        i === 0
          ? s.rng.weighted([['intimate_partner_former_partner', 38], ['family_other_than_spouse_or_caregiver', 10], ['no_relation', 22], ['other_resident_community_member', 15], ['unknown', 15]])
          : s.rng.weighted([['no_relation', 50], ['other_resident_community_member', 25], ['unknown', 25]]),
    },
  },
  rowCounts: { alleged_perpetrator: [[1, 70], [2, 17], [3, 9], [4, 4]] },
  status: () => 'open',
};

const gbvCase: RecordProfile = {
  module: 'gbv',
  recordType: 'case',
  fill: 0.45,
  rowFill: 0.6,
  days: (s) => entryDays(s, s.rng.int(0, 3)),
  fields: {
    consent_for_services: (s) => s.rng.chance(0.92),
    consent_for_services_date: (s) => (s.data['consent_for_services'] === true ? isoDay(s.eventDay) : undefined),
    name: (s) => personName(s.rng),
    survivor_code_no: (s) => `SV-${year(s, s.createdDay)}-${serial(s)}`,
    sex: (s) => s.rng.weighted([['female', 92], ['male', 7], ['other', 1]]),
    // The case's age rule compares with today: the survivor's age now.
    age: survivorAge,
    date_of_birth: (s) => (s.rng.chance(0.6) ? birthDay(s, s.data['age'] as number, s.todayDay) : undefined),
    marital_status: (s) => ((s.data['age'] as number) < 18 ? 'single' : undefined),
    unaccompanied_separated_status: (s) => ((s.data['age'] as number) < 18 ? s.rng.weighted([['no', 75], ['separated_child', 15], ['unaccompanied_minor', 10]]) : 'no'),
    gbv_displacement_status: (s) => s.rng.weighted([['refugee', 40], ['idp', 25], ['resident', 25], ['returnee', 6], ['asylum_seeker', 4]]),
    date_closure: (s) =>
      s.todayDay - s.createdDay > 90 && s.rng.chance(0.45) ? isoDay(Math.min(s.todayDay, s.createdDay + s.rng.int(30, 240))) : undefined,
  },
  rowCounts: { action_plan_section: [[1, 50], [2, 30], [3, 20]], gbv_follow_up_subform_section: [[1, 50], [2, 30], [3, 15], [5, 5]] },
  status: (data) => (data['date_closure'] ? 'closed' : 'open'),
};

const cpCase: RecordProfile = {
  module: 'cp',
  recordType: 'case',
  fill: 0.45,
  rowFill: 0.6,
  days: (s) => entryDays(s, s.rng.int(0, 2)),
  fields: {
    registration_date: (s) => isoDay(s.eventDay),
    name_first: (s) => givenName(s.rng),
    name_last: (s) => familyName(s.rng),
    sex: (s) => s.rng.weighted([['female', 52], ['male', 47], ['other', 1]]),
    // A child registered some time in the last three years; the age rule accepts the age at registration or now.
    age: (s) => Math.min(17, s.rng.int(1, 16) + Math.floor((s.todayDay - s.eventDay) / YEAR_DAYS)),
    date_of_birth: (s) => {
      const age = s.data['age'] as number;
      const day = s.todayDay - Math.floor(age * YEAR_DAYS) - s.rng.int(1, 360);
      return yearsBetween(isoDay(day), s.todayIso) === age && day <= s.eventDay ? isoDay(day) : undefined;
    },
    estimated: () => false,
    risk_level: (s) => s.rng.weighted([['high', 20], ['medium', 50], ['low', 30]]),
    protection_status: (s) => s.rng.weighted([['unaccompanied', 35], ['separated', 65]]),
    displacement_status: (s) => s.rng.weighted([['refugee', 45], ['idp', 30], ['resident', 15], ['returnee', 10]]),
    date_closure: (s) =>
      s.todayDay - s.createdDay > 120 && s.rng.chance(0.35) ? isoDay(Math.min(s.todayDay, s.createdDay + s.rng.int(60, 365))) : undefined,
    closure_reason: (s) => (s.data['date_closure'] ? s.rng.weighted([['formal_closing', 70], ['transferred', 12], ['repatriated', 8], ['other', 10]]) : undefined),
  },
  rowCounts: { family_details_section: [[1, 30], [2, 35], [3, 25], [5, 10]], services_section: [[1, 50], [2, 30], [3, 20]] },
  status: (data) => (data['date_closure'] ? 'closed' : 'open'),
};

/** Profiles of the shipped record types; any other record type is drafted from its definitions alone. */
export const PROFILES: readonly RecordProfile[] = [incident, gbvCase, cpCase];

export function profileFor(module: string, recordType: string): RecordProfile {
  return (
    PROFILES.find((p) => p.module === module && p.recordType === recordType) ?? {
      module,
      recordType,
      fill: 0.5,
      rowFill: 0.6,
      days: (s) => entryDays(s, s.rng.int(0, 7)),
      fields: {},
      status: () => 'open',
    }
  );
}
