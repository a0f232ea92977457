import { setLogLevel } from '../common/logger.js';
import { EnvError } from '../settings/env.js';

/**
 * Runs a CLI command: quiet logs unless LOG_LEVEL says otherwise, one clear line on failure, and the
 * command's exit code. Errors are shown by message only (no stack) unless LOG_LEVEL=debug.
 */
export async function runCli(command: () => Promise<number>): Promise<never> {
  setLogLevel(process.env.LOG_LEVEL ?? 'warn');
  try {
    process.exit(await command());
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(err instanceof EnvError ? `Configuration error: ${message}` : `Error: ${message}`);
    if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
    process.exit(1);
  }
}
