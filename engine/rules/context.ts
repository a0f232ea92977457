/** What a rule sees. Built by the caller for each evaluation; the engine never reads clocks or globals. */

export interface RuleUser {
  readonly id: string;
  readonly agency: string | null;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

export interface RuleData {
  /** The record's data (after normalisation, with computed values filled in as they are computed). */
  readonly record: Readonly<Record<string, unknown>>;
  /** The current subform row, only inside a subform. */
  readonly row?: Readonly<Record<string, unknown>>;
  readonly user: RuleUser;
  /** `YYYY-MM-DD`. */
  readonly today: string;
  /** ISO timestamp. */
  readonly now: string;
}
