/**
 * File names of attachments: what a client sends is cleaned before it is stored (it is shown to others and goes
 * back out in Content-Disposition), and the download header carries it safely.
 */

/** C0/C1 controls, DEL, and the bidi controls that can disguise an extension (`photo\u202Egpj.exe`). */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export const MAX_FILE_NAME = 255;

/** Extensions for a file stored without a usable name. */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'video/mp4': 'mp4',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'audio/wav': 'wav',
};

/**
 * A storable, displayable file name: the last path segment, without control or bidi-override characters,
 * NFC, trimmed, at most MAX_FILE_NAME characters (the extension kept); `file.<ext>` when nothing is left.
 */
export function cleanFileName(raw: string | undefined, contentType: string): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  let name = base.replace(UNSAFE, '').normalize('NFC').replace(/\s+/g, ' ').trim();
  if (name === '' || name === '.' || name === '..') name = `file.${EXTENSIONS[contentType] ?? 'bin'}`;
  const chars = [...name];
  if (chars.length > MAX_FILE_NAME) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = chars.slice(0, MAX_FILE_NAME - [...ext].length).join('') + ext;
  }
  return name;
}

/** RFC 8187 value characters (attr-char): everything else is percent-encoded. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<name>`: always a download (never rendered inline),
 * the real name for clients that read RFC 6266, a plain one for those that do not.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%;]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc8187(fileName)}`;
}
