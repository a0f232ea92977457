/** Public shapes of abilities: who asks, about which record, and what the answer offers. */
import type { MongoAbility } from '@casl/ability';
import type { AdminScope, AdminSubject, RecordScope } from '../bundle/schema/role-catalogue.js';

export type { AdminScope, AdminSubject, RecordScope };

export interface AbilityUser {
  readonly id: string;
  readonly username: string;
  readonly agency: string | null;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
}

/**
 * What an ability needs to know about one record (typed columns, never its data). Owner, agency and
 * group identifiers are the same kind of identifiers as `AbilityUser`'s (`id`, `agency`, `groups`).
 */
export interface RecordFacts {
  readonly module: string;
  readonly recordType: string;
  readonly ownerId: string | null;
  readonly ownerAgency: string | null;
  readonly ownerGroups: readonly string[];
  /** User ids the record is shared with (referrals, transfers, assignments). */
  readonly sharedWith: readonly string[];
  /**
   * User id -> the only forms the record's shares open to that user, for users whose shares on the record are
   * all referrals (a referral shares the forms its module lists). Grants that reach the record only because it
   * is shared with the user read just those forms' fields. Absent (or no entry for the user): no narrowing.
   */
  readonly sharedForms?: Readonly<Record<string, readonly string[]>>;
}

/** A conjunction over record columns; a list of them is a disjunction. Empty object = every record of that type. */
export interface RecordCondition {
  readonly ownerId?: string;
  readonly sharedWithUser?: string;
  readonly ownerGroupsAny?: readonly string[];
  readonly ownerAgency?: string;
}

export type FormAccess = 'read' | 'read_write';

/** What one user may do. Its methods are prototype methods: call them on the ability (`ability.can(…)`). */
export interface HavenAbility {
  readonly user: AbilityUser;
  /** The user's roles that exist in the config (in the user's order). */
  readonly roles: readonly string[];
  /** The user's roles the config does not define: ignored here, for the caller to report. */
  readonly unknownRoles: readonly string[];
  /**
   * The same permissions as CASL rules, built on first access. Subject `Record` (attributes `module`,
   * `recordType`, `ownerId`, `ownerAgency`, `ownerGroups`, `sharedWith`; `read` rules carry the readable
   * fields, `create`/`update` rules the writable ones) and the admin subjects (attribute `agency` for
   * agency-scoped grants).
   */
  readonly casl: MongoAbility;
  /** True when some admin grant allows `action` on `subject` (for an agency-scoped grant: if the user has an agency). */
  can(action: string, subject: AdminSubject): boolean;
  /** The widest scope the user has for an admin action, or undefined when none. */
  adminScope(action: string, subject: AdminSubject): AdminScope | undefined;
  /** Without `record`: "on some record of that type". A record of another module or type is refused. */
  canRecord(action: string, module: string, recordType: string, record?: RecordFacts): boolean;
  /** The records `action` reaches, as a disjunction of conditions; [] = no access at all. */
  recordConditions(action: string, module: string, recordType: string): readonly RecordCondition[];
  /**
   * Top-level keys and `<subform>.<field>` paths the user may read. Without `record`: fields readable on
   * every record the user can read (the scope rule of docs/permissions.md); with it: on that record.
   */
  readableFields(module: string, recordType: string, record?: RecordFacts): ReadonlySet<string>;
  /** Same for writing; always a subset of the readable fields. */
  writableFields(module: string, recordType: string, record?: RecordFacts): ReadonlySet<string>;
  /** Forms the user may see (absent = none); `read_write` when some writing grant allows it. */
  formAccess(module: string, recordType: string): ReadonlyMap<string, FormAccess>;
  readonly aggregateReports: boolean;
  readonly secondFactorRequired: boolean;
}
