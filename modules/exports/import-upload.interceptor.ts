import { type CallHandler, type ExecutionContext, HttpException, Injectable, type NestInterceptor } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';
import { HavenError } from '../common/errors.js';
import { loadExportSettings } from './exports-settings.js';

/** Text parts an import may carry besides `file`. */
export const IMPORT_TEXT_FIELDS = ['dryRun', 'module'] as const;

/**
 * `multipart/form-data` for spreadsheet imports: one part `file` in memory (at most HAVEN_IMPORT_MAX_BYTES) and the
 * text parts above. Multer's errors become Haven errors (413 for an oversize file, 400 otherwise).
 */
@Injectable()
export class ImportUploadInterceptor implements NestInterceptor {
  private readonly inner: NestInterceptor;
  private readonly maxBytes = loadExportSettings().importMaxBytes;

  constructor() {
    const Inner = FileInterceptor('file', {
      limits: { fileSize: this.maxBytes, files: 1, fields: IMPORT_TEXT_FIELDS.length, parts: IMPORT_TEXT_FIELDS.length + 1, fieldSize: 256, fieldNameSize: 64, headerPairs: 32 },
      defParamCharset: 'utf8',
    });
    this.inner = new Inner();
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<{ is(type: string): string | false | null }>();
    if (!req.is('multipart/form-data')) {
      throw new HavenError('unsupported_media_type', 'Upload the spreadsheet as multipart/form-data.', [
        { code: 'unsupported_media_type', path: '', message: 'Send multipart/form-data with a `file` part.' },
      ]);
    }
    try {
      return await this.inner.intercept(context, next);
    } catch (err) {
      if (!(err instanceof HttpException)) throw err;
      if (err.getStatus() === 413) {
        throw new HavenError('payload_too_large', `The file is larger than ${this.maxBytes} bytes.`, [
          { code: 'too_large', path: '/file', message: `A spreadsheet may be at most ${this.maxBytes} bytes.`, params: { limit: this.maxBytes } },
        ]);
      }
      throw HavenError.validation([{ code: 'malformed_upload', path: '', message: err.message || 'The upload could not be read.' }]);
    }
  }
}
