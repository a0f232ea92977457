import type { Issue } from '../common/errors.js';

export const LOGO_MAX_BYTES = 200 * 1024;

export interface Logo {
  contentType: 'image/png' | 'image/jpeg';
  data: Buffer;
}

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/]*={0,2})$/i;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_SIGNATURE = Buffer.from([0xff, 0xd8, 0xff]);

/**
 * Reads an agency logo given as a base64 data URL. Only PNG and JPEG up to 200 KB, and the bytes must be what
 * the media type says (the logo is served back to browsers and printed on referral letters).
 */
export function parseLogo(dataUrl: string, path = '/logo'): { logo?: Logo; issues: Issue[] } {
  const match = DATA_URL.exec(dataUrl);
  if (!match) {
    return { issues: [{ code: 'invalid_format', path, message: 'The logo must be a base64 data URL (data:image/png;base64,...).' }] };
  }
  const mediaType = match[1].toLowerCase();
  const contentType = mediaType === 'image/png' ? 'image/png' : mediaType === 'image/jpeg' || mediaType === 'image/jpg' ? 'image/jpeg' : undefined;
  if (!contentType) {
    return { issues: [{ code: 'unsupported_type', path, message: 'The logo must be a PNG or JPEG image.', params: { allowed: ['image/png', 'image/jpeg'] } }] };
  }
  const data = Buffer.from(match[2], 'base64');
  if (data.length > LOGO_MAX_BYTES) {
    return { issues: [{ code: 'too_large', path, message: `The logo must be ${LOGO_MAX_BYTES / 1024} KB or smaller.`, params: { maxBytes: LOGO_MAX_BYTES } }] };
  }
  const signature = contentType === 'image/png' ? PNG_SIGNATURE : JPEG_SIGNATURE;
  if (data.length < signature.length || !data.subarray(0, signature.length).equals(signature)) {
    return { issues: [{ code: 'content_mismatch', path, message: `The logo is not a ${contentType === 'image/png' ? 'PNG' : 'JPEG'} image.` }] };
  }
  return { logo: { contentType, data }, issues: [] };
}
