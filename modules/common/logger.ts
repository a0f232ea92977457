import { pino, type Logger } from 'pino';

/**
 * The process logger. Logs are structured JSON and must never contain record data: log ids, codes and
 * counts, never request bodies or field values. Request logging (`request-context.ts`) writes method, route,
 * status, duration and request id only.
 */
export const logger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'haven' },
  redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'token', '*.token'], remove: true },
});

export function setLogLevel(level: string): void {
  logger.level = level;
}
