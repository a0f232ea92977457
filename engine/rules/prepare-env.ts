/** What preparing a rule needs from the configuration. */
export interface PrepareEnv {
  /** Enabled values of a lookup visible to the rule, or undefined when there is no such lookup. */
  lookupValues(key: string): readonly string[] | undefined;
}
