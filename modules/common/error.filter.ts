import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode, HavenError, Issue } from './errors.js';
import { logger } from './logger.js';

interface ErrorBody {
  error: {
    code: string;
    message: string;
    issues: Issue[];
    requestId?: string;
    details?: Record<string, unknown>;
  };
}

/** Maps framework and body-parser errors that carry an HTTP status to our catalogue. */
function fromHttpStatus(status: number, message: string): HavenError {
  const byStatus: Record<number, ErrorCode> = {
    400: 'validation_failed',
    401: 'unauthenticated',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    409: 'conflict',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'rate_limited',
  };
  const code = byStatus[status];
  if (code) return new HavenError(code, message);
  return new HavenError(status >= 500 ? 'internal_error' : 'validation_failed', message);
}

/** body-parser errors are plain errors with `type` and `status`. */
function fromBodyParser(err: { type?: string; status?: number; message?: string }): HavenError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HavenError('malformed_json', 'The request body is not valid JSON.', [
        { code: 'malformed_json', path: '', message: 'The request body is not valid JSON.' },
      ]);
    case 'entity.too.large':
      return new HavenError('payload_too_large', 'The request body is larger than the server accepts.', [
        { code: 'payload_too_large', path: '', message: 'The request body is larger than the server accepts.' },
      ]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HavenError('unsupported_media_type', 'The request body encoding is not supported.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HavenError('validation_failed', 'The request body could not be read.');
    default:
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        return fromHttpStatus(err.status, 'The request could not be processed.');
      }
      return undefined;
  }
}

/**
 * The one exception filter. Every error leaves the server in the same shape:
 * `{ "error": { "code", "message", "issues": [{ "code", "path", "message" }], "requestId" } }`.
 * Unknown errors become a 500 whose body says nothing about the cause; the cause is logged (without
 * request data) under the request id.
 */
@Catch()
export class HavenExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request & { id?: string }>();
    const error = this.toHavenError(exception, req);
    if (error.status >= 500) {
      logger.error(
        { requestId: req?.id, err: exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : String(exception) },
        'request failed',
      );
    }
    const body: ErrorBody = {
      error: { code: error.code, message: error.message, issues: error.issues, requestId: req?.id },
    };
    if (error.details) body.error.details = error.details;
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(error.status).json(body);
  }

  toHavenError(exception: unknown, req?: Request): HavenError {
    if (exception instanceof HavenError) return exception;
    if (exception instanceof HttpException) {
      // The HTTP adapter wraps body-parser errors (malformed JSON, too large) and keeps them as the cause.
      const cause = (exception as { cause?: unknown }).cause;
      if (cause && typeof cause === 'object' && 'type' in cause) {
        const mapped = fromBodyParser(cause as { type?: string; status?: number });
        if (mapped) return mapped;
      }
      const status = exception.getStatus();
      if (status === HttpStatus.NOT_FOUND) {
        return new HavenError('not_found', req ? `No route ${req.method} ${req.path}.` : 'Not found.');
      }
      return fromHttpStatus(status, exception.message);
    }
    if (exception && typeof exception === 'object' && 'type' in exception) {
      const mapped = fromBodyParser(exception as { type?: string; status?: number });
      if (mapped) return mapped;
    }
    return new HavenError('internal_error', 'The server could not complete the request.');
  }
}
