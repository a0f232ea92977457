import { Type } from '@sinclair/typebox';
import { StringEnum } from '../bundle/schema/common.js';
import { isPlainObject } from '../util/objects.js';
import { defineFieldType, nullable } from './field-type.js';
import { storableTextCheck } from './support/text-length.js';

/** Which content types each attachment kind admits. */
const KIND_MATCHERS: Readonly<Record<string, (contentType: string) => boolean>> = {
  photo: (type) => type.startsWith('image/'),
  audio: (type) => type.startsWith('audio/'),
  document: (type) => type.startsWith('application/') || type.startsWith('text/'),
};

export const attachmentField = defineFieldType({
  name: 'attachment',
  widget: 'attachment',
  extras: {
    kinds: Type.Optional(
      Type.Array(StringEnum(['photo', 'audio', 'document']), { minItems: 1, uniqueItems: true }),
    ),
    maxFiles: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  compile(def) {
    const matchers = (def.kinds ?? []).map((kind) => KIND_MATCHERS[kind]).filter((m) => m !== undefined);
    const file = {
      type: 'object',
      required: ['id', 'fileName', 'contentType', 'size'],
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 100 },
        fileName: { type: 'string', minLength: 1, maxLength: 255 },
        contentType: { type: 'string', pattern: '^[a-z]+/[A-Za-z0-9.+_-]+$' },
        size: { type: 'integer', minimum: 0 },
        description: { type: nullable('string'), maxLength: 1000 },
        uploadedAt: { type: 'string', format: 'date-time' },
        removed: { type: 'boolean' },
      },
      additionalProperties: false,
    };
    const maxFiles = def.maxFiles;
    return {
      schema: { type: nullable('array'), items: file },
      normalise: (value) => (Array.isArray(value) && value.length === 0 ? null : value),
      check: (value, path, ctx) => {
        if (!Array.isArray(value)) return;
        // Removed files stay listed (`removed: true`, for the history) but do not count towards maxFiles.
        const kept = value.filter((item) => !isPlainObject(item) || item['removed'] !== true).length;
        if (maxFiles !== undefined && kept > maxFiles) ctx.report(path, 'too_many', `At most ${maxFiles} allowed.`, { limit: maxFiles });
        value.forEach((item, i) => {
          if (!isPlainObject(item)) return;
          for (const key of ['id', 'fileName', 'description']) storableTextCheck(item[key], `${path}/${i}/${key}`, ctx);
          if (matchers.length === 0 || typeof item['contentType'] !== 'string') return;
          const type = item['contentType'];
          if (!matchers.some((matches) => matches(type))) {
            ctx.report(`${path}/${i}/contentType`, 'attachment_kind_not_allowed', `Files of type ${type} cannot be attached here.`, { contentType: type });
          }
        });
      },
    };
  },
});
