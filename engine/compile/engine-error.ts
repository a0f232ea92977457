/**
 * Errors for programming mistakes of the engine's callers (asking for a record type that does not
 * exist). Bad data and bad bundles are never thrown: they are returned as issues.
 */
export type EngineErrorCode = 'unknown_record_type' | 'unknown_lookup' | 'unknown_export';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
