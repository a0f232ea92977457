import { describe, expect, it } from '@jest/globals';
import { checkUpload, declaredType, sniff } from './sniff.js';

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** One sample per accepted format, as the first bytes of a real file look. */
export const SAMPLES = {
  jpeg: bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF\0'),
  png: bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IHDR'),
  webp: bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '),
  wav: bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '),
  pdf: bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'),
  ogg: bytes('OggS', [0, 2, 0, 0, 0, 0, 0, 0, 0, 0]),
  mp3id3: bytes('ID3', [4, 0, 0, 0, 0, 0, 0]),
  mp3frame: bytes([0xff, 0xfb, 0x90, 0x64, 0, 0]),
  m4a: bytes([0, 0, 0, 0x20], 'ftypM4A ', [0, 0, 0, 0], 'M4A isom'),
  mp4: bytes([0, 0, 0, 0x18], 'ftypisom', [0, 0, 2, 0], 'isomiso2'),
  webm: bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84], 'webm'),
};

describe('sniff', () => {
  it.each([
    ['jpeg', SAMPLES.jpeg, 'image/jpeg'],
    ['png', SAMPLES.png, 'image/png'],
    ['webp', SAMPLES.webp, 'image/webp'],
    ['wav', SAMPLES.wav, 'audio/wav'],
    ['pdf', SAMPLES.pdf, 'application/pdf'],
    ['ogg', SAMPLES.ogg, 'audio/ogg'],
    ['mp3', SAMPLES.mp3id3, 'audio/mpeg'],
    ['mp3', SAMPLES.mp3frame, 'audio/mpeg'],
    ['mp4', SAMPLES.m4a, 'audio/mp4'],
    ['mp4', SAMPLES.mp4, 'video/mp4'],
    ['webm', SAMPLES.webm, 'audio/webm'],
  ])('recognises %s', (format, sample, type) => {
    expect(sniff(sample)).toEqual(expect.objectContaining({ format }));
    expect(sniff(sample)?.contentTypes[0]).toBe(type);
  });

  it.each([
    ['a Windows executable', bytes('MZ\x90\0\x03\0\0\0')],
    ['an ELF binary', bytes('\x7fELF\x02\x01\x01')],
    ['a ZIP (docx, xlsx)', bytes('PK\x03\x04\x14\0')],
    ['HTML', bytes('<!DOCTYPE html><script>alert(1)</script>')],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['GIF', bytes('GIF89a')],
    ['HEIC (ftyp, image brand)', bytes([0, 0, 0, 0x18], 'ftypheic')],
    ['Matroska (not WebM)', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x88], 'matroska')],
    ['AAC ADTS (layer 00)', bytes([0xff, 0xf1, 0x50, 0x80])],
    ['RIFF AVI', bytes('RIFF', [0, 0, 0, 0], 'AVI LIST')],
    ['nothing', bytes()],
    ['one byte', bytes([0xff])],
    ['truncated PNG signature', bytes([0x89, 0x50, 0x4e])],
  ])('refuses %s', (_name, sample) => {
    expect(sniff(sample)).toBeUndefined();
  });
});

describe('declaredType', () => {
  it.each([
    ['image/JPEG', 'image/jpeg'],
    ['image/jpg', 'image/jpeg'],
    ['application/pdf; charset=binary', 'application/pdf'],
    [' audio/mpeg ', 'audio/mpeg'],
    ['application/octet-stream', undefined],
    ['', undefined],
    [undefined, undefined],
    ['not a type', undefined],
  ])('%p -> %p', (input, expected) => {
    expect(declaredType(input)).toBe(expected);
  });
});

describe('checkUpload', () => {
  const allowed = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/webm', 'audio/wav'];

  it('accepts a file whose content matches its declared, allowed type', () => {
    expect(checkUpload(SAMPLES.pdf, 'application/pdf', allowed)).toEqual({ ok: true, contentType: 'application/pdf', format: 'pdf' });
    expect(checkUpload(SAMPLES.m4a, 'audio/mp4', allowed)).toEqual({ ok: true, contentType: 'audio/mp4', format: 'mp4' });
  });

  it('takes the detected type when none is declared (application/octet-stream)', () => {
    expect(checkUpload(SAMPLES.png, 'application/octet-stream', allowed)).toEqual({ ok: true, contentType: 'image/png', format: 'png' });
    expect(checkUpload(SAMPLES.webm, undefined, allowed)).toEqual({ ok: true, contentType: 'audio/webm', format: 'webm' });
  });

  it('stores an alias as the allowed type it stands for', () => {
    expect(checkUpload(SAMPLES.jpeg, 'image/jpg', allowed)).toEqual({ ok: true, contentType: 'image/jpeg', format: 'jpeg' });
    expect(checkUpload(SAMPLES.wav, 'audio/x-wav', allowed)).toEqual({ ok: true, contentType: 'audio/wav', format: 'wav' });
  });

  it('refuses an executable renamed .pdf as a content mismatch', () => {
    expect(checkUpload(bytes('MZ\x90\0'), 'application/pdf', allowed)).toEqual(expect.objectContaining({ ok: false, code: 'file_content_mismatch' }));
  });

  it('refuses a PNG declared as a PDF, naming both types', () => {
    expect(checkUpload(SAMPLES.png, 'application/pdf', allowed)).toEqual(
      expect.objectContaining({ ok: false, code: 'file_content_mismatch', declared: 'application/pdf', detected: 'image/png' }),
    );
  });

  it('refuses types the bundle does not allow, even when the content matches', () => {
    expect(checkUpload(SAMPLES.mp4, 'video/mp4', allowed)).toEqual(expect.objectContaining({ ok: false, code: 'file_type_not_allowed' }));
    expect(checkUpload(SAMPLES.webp, 'image/webp', ['image/png'])).toEqual(expect.objectContaining({ ok: false, code: 'file_type_not_allowed' }));
    expect(checkUpload(bytes('GIF89a'), 'image/gif', allowed)).toEqual(expect.objectContaining({ ok: false, code: 'file_type_not_allowed' }));
    expect(checkUpload(bytes('hello'), undefined, allowed)).toEqual(expect.objectContaining({ ok: false, code: 'file_type_not_allowed' }));
  });
});
