/** The one way the engine builds AJV instances: strict, every error, JSON Schema formats. */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`; reading `.default` works under Node ESM, jest and bundlers.
const addFormats = addFormatsModule.default;

export function createAjv(options: { discriminator?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    strict: true,
    allErrors: true,
    // `["string", "null"]`: every stored field may be cleared.
    allowUnionTypes: true,
    discriminator: options.discriminator ?? false,
    // Schemas are generated from definitions; we never want AJV to mutate data.
    useDefaults: false,
    coerceTypes: false,
    removeAdditional: false,
  });
  addFormats(ajv, ['date', 'date-time']);
  return ajv;
}

export type { ErrorObject };

/** Where an AJV error points: the offending property for `required`/`additionalProperties`. */
export function errorPointer(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return `${error.instancePath}/${escape(params['missingProperty'])}`;
  }
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return `${error.instancePath}/${escape(params['additionalProperty'])}`;
  }
  if (error.keyword === 'discriminator') return `${error.instancePath}/type`;
  return error.instancePath;
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Drops errors that only repeat a more basic one: once a value has the wrong type, its enum/format
 * errors say nothing new; when no branch of an `anyOf` matches, the `anyOf` error alone is kept rather
 * than one error per branch.
 */
export function essentialErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  // Branch errors of a failed union are summarised by the union's own error: they neither show nor count as a
  // type failure (otherwise the union error itself would be dropped as "repeating" its branches' type errors).
  const kept = errors.filter((error) => !unions.some((prefix) => error.schemaPath.startsWith(prefix)));
  const typeFailures = new Set(kept.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return kept.filter((error) => error.keyword === 'type' || !typeFailures.has(error.instancePath));
}
