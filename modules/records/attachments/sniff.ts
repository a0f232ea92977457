/**
 * Recognises the file formats Haven accepts as attachments from their first bytes (magic numbers), so that an
 * upload's declared Content-Type can be checked against what the file really is. A few signatures on purpose,
 * not a general-purpose detector: `file-type` (current major) and Nest's `FileTypeValidator` need Node 22, and
 * only the formats below may be attached anyway (docs/decisions/0006-attachments.md).
 */

export interface SniffedFormat {
  /** Short name of the format (`jpeg`, `png`, `webp`, `pdf`, `mp3`, `mp4`, `ogg`, `webm`, `wav`). */
  readonly format: string;
  /** Media types a file of this format may be declared as (the first is the canonical one). */
  readonly contentTypes: readonly string[];
}

/** How many leading bytes `sniff` looks at. */
export const SNIFF_BYTES = 64;

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
};

const startsWith = (bytes: Uint8Array, signature: readonly number[]): boolean =>
  bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);

/** MPEG audio frame header: 11 sync bits, a valid version, layer III/II/I (not 00: that is AAC ADTS), bitrate ≠ 1111. */
function isMpegAudioFrame(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0xff || (bytes[1] & 0xe0) !== 0xe0) return false;
  const version = (bytes[1] >> 3) & 0x03;
  const layer = (bytes[1] >> 1) & 0x03;
  const bitrate = (bytes[2] >> 4) & 0x0f;
  const sampleRate = (bytes[2] >> 2) & 0x03;
  return version !== 0x01 && layer !== 0x00 && bitrate !== 0x0f && sampleRate !== 0x03;
}

/** MP4 family: an `ftyp` box first; audio-only brands are declared `audio/mp4` (M4A), others either way. */
function mp4(bytes: Uint8Array): SniffedFormat | undefined {
  if (!ascii(bytes, 4, 'ftyp') || bytes.length < 12) return undefined;
  const brand = String.fromCharCode(...bytes.subarray(8, 12));
  if (/^M4[AB] $/.test(brand)) return { format: 'mp4', contentTypes: ['audio/mp4'] };
  // HEIF/AVIF images also start with ftyp: they are not an accepted format.
  if (/^(heic|heix|hevc|hevx|mif1|msf1|avif|avis)$/.test(brand)) return undefined;
  return { format: 'mp4', contentTypes: ['video/mp4', 'audio/mp4'] };
}

/** EBML header; WebM names its DocType `webm` in the header (Matroska says `matroska`: not accepted). */
function webm(bytes: Uint8Array): SniffedFormat | undefined {
  if (!startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return undefined;
  const head = bytes.subarray(0, Math.min(bytes.length, SNIFF_BYTES));
  for (let i = 4; i + 4 <= head.length; i++) if (ascii(head, i, 'webm')) return { format: 'webm', contentTypes: ['audio/webm', 'video/webm'] };
  return undefined;
}

/** The format of a file from its first bytes, or undefined when it is none of the accepted formats. */
export function sniff(bytes: Uint8Array): SniffedFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { format: 'jpeg', contentTypes: ['image/jpeg'] };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { format: 'png', contentTypes: ['image/png'] };
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return { format: 'webp', contentTypes: ['image/webp'] };
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE')) return { format: 'wav', contentTypes: ['audio/wav'] };
  if (ascii(bytes, 0, '%PDF-')) return { format: 'pdf', contentTypes: ['application/pdf'] };
  if (ascii(bytes, 0, 'OggS')) return { format: 'ogg', contentTypes: ['audio/ogg', 'video/ogg', 'application/ogg'] };
  if (ascii(bytes, 0, 'ID3') || isMpegAudioFrame(bytes)) return { format: 'mp3', contentTypes: ['audio/mpeg'] };
  return mp4(bytes) ?? webm(bytes);
}

/** Names clients use for an accepted type, and the type they stand for. */
const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/mp3': 'audio/mpeg',
  'audio/x-mp3': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
};

/**
 * A declared media type reduced to `type/subtype` in lower case (parameters dropped), or undefined when it is
 * not one (`application/octet-stream` counts as "not declared": browsers send it for unknown extensions). Aliases
 * (`image/jpg`, `audio/x-wav`) become the type they stand for.
 */
export function declaredType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!type || type === 'application/octet-stream' || !/^[a-z]+\/[a-z0-9.+_-]+$/.test(type)) return undefined;
  return ALIASES[type] ?? type;
}

export type TypeCheck =
  | { readonly ok: true; readonly contentType: string; readonly format: string }
  | {
      readonly ok: false;
      readonly code: 'file_type_not_allowed' | 'file_content_mismatch';
      readonly message: string;
      readonly declared?: string;
      readonly detected?: string;
    };

/**
 * Checks an upload: its bytes must be one of the accepted formats, the declared type (when there is one) must be
 * a type of that format, and the resulting type must be one of `allowed` (the bundle's `attachments.allowedTypes`).
 * The stored content type is the declared one (aliases resolved), or the format's first allowed type when none
 * was declared.
 */
export function checkUpload(bytes: Uint8Array, declared: string | undefined, allowed: readonly string[]): TypeCheck {
  const allowedSet = new Set(allowed.map((t) => t.toLowerCase()));
  const type = declaredType(declared);
  const found = sniff(bytes.subarray(0, SNIFF_BYTES));
  if (type !== undefined && !allowedSet.has(type)) {
    return { ok: false, code: 'file_type_not_allowed', message: `Files of type ${type} cannot be attached.`, declared: type, ...(found ? { detected: found.contentTypes[0] } : {}) };
  }
  if (found === undefined) {
    // Claiming an accepted type for other content (an .exe renamed .pdf) is a mismatch.
    return type !== undefined
      ? { ok: false, code: 'file_content_mismatch', message: `The file's content is not ${type}.`, declared: type }
      : { ok: false, code: 'file_type_not_allowed', message: 'The file is not of a type that can be attached.' };
  }
  const detected = found.contentTypes[0];
  if (type !== undefined && !found.contentTypes.includes(type)) {
    return { ok: false, code: 'file_content_mismatch', message: `The file's content is ${detected}, not ${type}.`, declared: type, detected };
  }
  const stored = type ?? found.contentTypes.find((t) => allowedSet.has(t));
  if (stored === undefined) {
    return { ok: false, code: 'file_type_not_allowed', message: `Files of type ${detected} cannot be attached.`, detected };
  }
  return { ok: true, contentType: stored, format: found.format };
}
