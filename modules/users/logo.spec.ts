import { describe, expect, it } from '@jest/globals';
import { LOGO_MAX_BYTES, parseLogo } from './logo.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const url = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;

describe('parseLogo', () => {
  it.each([
    ['a PNG', url('image/png', PNG), 'image/png'],
    ['a JPEG', url('image/jpeg', JPEG), 'image/jpeg'],
    ['image/jpg, upper case', url('IMAGE/JPG', JPEG), 'image/jpeg'],
    ['exactly the limit', url('image/png', Buffer.concat([PNG, Buffer.alloc(LOGO_MAX_BYTES - PNG.length)])), 'image/png'],
  ])('accepts %s', (_name, value, contentType) => {
    const { logo, issues } = parseLogo(value);
    expect(issues).toEqual([]);
    expect(logo?.contentType).toBe(contentType);
  });

  it.each([
    ['plain text', 'hello', 'invalid_format'],
    ['a URL', 'https://example.org/logo.png', 'invalid_format'],
    ['not base64', 'data:image/png;base64,@@@', 'invalid_format'],
    ['not base64-encoded', 'data:image/png,rawbytes', 'invalid_format'],
    ['SVG', url('image/svg+xml', Buffer.from('<svg/>')), 'unsupported_type'],
    ['GIF', url('image/gif', Buffer.from('GIF89a')), 'unsupported_type'],
    ['JPEG bytes called PNG', url('image/png', JPEG), 'content_mismatch'],
    ['empty', url('image/png', Buffer.alloc(0)), 'content_mismatch'],
    ['one byte over the limit', url('image/png', Buffer.concat([PNG, Buffer.alloc(LOGO_MAX_BYTES - PNG.length + 1)])), 'too_large'],
  ])('refuses %s', (_name, value, code) => {
    const { logo, issues } = parseLogo(value);
    expect(logo).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ code, path: '/logo' })]);
  });
});
