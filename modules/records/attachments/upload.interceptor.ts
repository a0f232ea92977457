import { type CallHandler, type ExecutionContext, HttpException, Injectable, type NestInterceptor } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';
import { HavenError } from '../../common/errors.js';
import { ActiveConfigService } from '../../config/active-config.service.js';
import { systemSettings } from '../../config/system-settings.js';

/** The text parts an upload may carry besides `file`. */
export const UPLOAD_TEXT_FIELDS = ['field', 'description'] as const;

/** What multer leaves on the request for the one file (memory storage). */
export interface UploadedBytes {
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

/**
 * Parses `multipart/form-data` for the attachment upload: one file part named `file` (kept in memory, at most the
 * active bundle's `attachments.maxBytes`, read per request so an activated bundle applies at once), a few small
 * text parts. Multer's errors become Haven errors: an oversize file is a 413, anything else malformed a 400, each
 * with an issue. Runs after the auth guard, so nobody without a session gets a byte buffered.
 */
@Injectable()
export class AttachmentUploadInterceptor implements NestInterceptor {
  private readonly inner: NestInterceptor;

  constructor(private readonly config: ActiveConfigService) {
    const Inner = FileInterceptor('file', {
      limits: () => ({
        fileSize: this.maxBytes(),
        files: 1,
        fields: UPLOAD_TEXT_FIELDS.length + 2,
        parts: UPLOAD_TEXT_FIELDS.length + 3,
        fieldSize: 4096,
        fieldNameSize: 64,
        headerPairs: 32,
      }),
      // Browsers send UTF-8 file names without saying so; multer's default would read them as Latin-1.
      defParamCharset: 'utf8',
    });
    this.inner = new Inner();
  }

  maxBytes(): number {
    return systemSettings(this.config.current()).attachments.maxBytes;
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<{ is(type: string): string | false | null }>();
    if (!req.is('multipart/form-data')) {
      throw new HavenError('unsupported_media_type', 'Upload a file as multipart/form-data.', [
        { code: 'unsupported_media_type', path: '', message: 'Send multipart/form-data with a `file` part and a `field` part.' },
      ]);
    }
    try {
      return await this.inner.intercept(context, next);
    } catch (err) {
      throw this.toHavenError(err);
    }
  }

  private toHavenError(err: unknown): unknown {
    if (!(err instanceof HttpException)) return err;
    const status = err.getStatus();
    if (status === 413) {
      const limit = this.maxBytes();
      return new HavenError('payload_too_large', `The file is larger than ${limit} bytes.`, [
        { code: 'too_large', path: '/file', message: `A file may be at most ${limit} bytes.`, params: { limit } },
      ]);
    }
    const message = err.message || 'The upload could not be read.';
    if (/unexpected file field/i.test(message)) {
      return HavenError.validation([{ code: 'unknown_field', path: '', message: 'Send exactly one file, in the part named `file`.' }]);
    }
    if (/too many/i.test(message)) {
      return HavenError.validation([{ code: 'too_many', path: '', message: `${message}: send one \`file\` and at most the parts ${UPLOAD_TEXT_FIELDS.join(', ')}.` }]);
    }
    if (/too long/i.test(message)) return HavenError.validation([{ code: 'too_long', path: '', message }]);
    return HavenError.validation([{ code: 'malformed_multipart', path: '', message }], 'The upload could not be read.');
  }
}
