import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HavenError, type Issue, pointerSegment } from './errors.js';
import { hasUnstorableCharacter } from '../../engine/index.js';
import { logger } from './logger.js';

export type HavenRequest = Request & { id: string };

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** Gives every request an id (the caller's X-Request-Id when well-formed), echoed in the response and logs. */
export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header('x-request-id');
  const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  (req as HavenRequest).id = id;
  res.setHeader('X-Request-Id', id);
  // The request line is logged at info level: below it (LOG_LEVEL=warn or error) no request pays for the listener.
  if (!logger.isLevelEnabled('info')) return next();
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    // Never the body, the query string or headers: they may carry record data or secrets.
    logger.info(
      {
        requestId: id,
        method: req.method,
        route: (req.route as { path?: string } | undefined)?.path ?? req.path.split('/').slice(0, 4).join('/'),
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'request',
    );
  });
  next();
}

/** Routes that take something else than JSON (uploads, CSV imports) declare it here. */
const NON_JSON_ROUTES: RegExp[] = [/\/attachments$/, /\/locations\/import$/, /\/config\/bundles$/, /\/imports\/incident-recorder$/];

/**
 * JSON routes only take JSON: a body with another media type is a 415, before any parsing happens.
 */
export function requireJsonBodies(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || !['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method)) return next();
  // The usual header first, without parsing it; anything else goes through the full media type check.
  if (req.headers['content-type'] === 'application/json' || req.is(['application/json', 'application/*+json'])) return next();
  if (NON_JSON_ROUTES.some((r) => r.test(req.path))) return next();
  next(
    new HavenError('unsupported_media_type', 'This route takes a JSON body (Content-Type: application/json).', [
      { code: 'unsupported_media_type', path: '', message: `Content-Type "${req.headers['content-type'] ?? ''}" is not accepted here.` },
    ]),
  );
}

/**
 * No query parameter may carry NUL (`%00`): PostgreSQL text cannot hold it, so any query using the value would fail
 * in the database (a 500). A 400 naming every such parameter (`invalid_character`), before any route runs.
 * (A query string cannot carry unpaired surrogates: invalid UTF-8 escapes are left undecoded.)
 */
export function refuseNulInQuery(req: Request, _res: Response, next: NextFunction): void {
  const url = req.originalUrl ?? req.url;
  const at = url.indexOf('?');
  if (at < 0) return next();
  const qs = url.slice(at + 1);
  if (!/%00/i.test(qs) && !qs.includes('\u0000')) return next();
  const issues: Issue[] = [];
  const stack: Array<[unknown, string]> = [[req.query, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      if (value.includes('\u0000')) issues.push({ code: 'invalid_character', path, message: 'Query parameters cannot contain NUL (%00).' });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    for (const key of Object.keys(value)) {
      const child = `${path}/${pointerSegment(key)}`;
      if (key.includes('\u0000')) issues.push({ code: 'invalid_character', path: child, message: 'Query parameter names cannot contain NUL (%00).' });
      stack.push([(value as Record<string, unknown>)[key], child]);
    }
  }
  if (issues.length === 0) issues.push({ code: 'invalid_character', path: '', message: 'The query string cannot contain NUL (%00).' });
  next(HavenError.validation(issues, 'The query is not valid.'));
}

/** `POST /records/:type` and `PATCH /records/:type/:id`: their `data` goes through the engine's checks. */
const RECORD_WRITE = /^\/api\/v1\/records\/[^/]+(?:\/[^/]+)?\/?$/;

/**
 * No JSON body may carry text that PostgreSQL cannot store (NUL, or an unpaired UTF-16 surrogate, which `\ud800`
 * escapes produce), in a value or in a key, and no URL path a NUL (`%00`): any route writing or looking up such
 * text would fail in the database (a 500), or, for surrogates, have them silently replaced. A 400 naming every
 * such place by its JSON pointer (`invalid_character`), before any route runs.
 */
export function refuseUnstorableText(req: Request, _res: Response, next: NextFunction): void {
  const issues: Issue[] = [];
  if (/%00/i.test(req.path)) issues.push({ code: 'invalid_character', path: '', message: 'The URL path cannot contain NUL (%00).' });
  const body: unknown = req.body;
  if (typeof body === 'object' && body !== null) {
    // A record's data is checked field by field by the engine, which lists such text with every other problem of
    // the same value (too long, not an option…): left to it on the routes that create and change records.
    const skip = RECORD_WRITE.test(req.path) && (req.method === 'POST' || req.method === 'PATCH') ? (body as Record<string, unknown>)['data'] : undefined;
    // Depth first, in document order; a name is reported just before its value.
    const stack: Array<[unknown, string, boolean]> = [[body, '', false]];
    while (stack.length > 0) {
      const [value, path, badName] = stack.pop() as [unknown, string, boolean];
      if (badName) issues.push({ code: 'invalid_character', path, message: 'A name cannot hold a NUL character or an unpaired surrogate.' });
      if (value === skip && path === '/data') continue;
      if (typeof value === 'string') {
        if (hasUnstorableCharacter(value)) issues.push({ code: 'invalid_character', path, message: 'Text cannot hold a NUL character or an unpaired surrogate.' });
        continue;
      }
      if (typeof value !== 'object' || value === null) continue;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}/${i}`, false]);
        continue;
      }
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push([(value as Record<string, unknown>)[key], `${path}/${pointerSegment(key)}`, hasUnstorableCharacter(key)]);
      }
    }
  }
  if (issues.length === 0) return next();
  next(HavenError.validation(issues, 'The request holds text that cannot be stored.'));
}
