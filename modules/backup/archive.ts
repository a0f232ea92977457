import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';

/**
 * A Haven backup archive is one file:
 *
 *   line 1   the magic line `HAVEN-BACKUP`
 *   line 2   the manifest, one line of JSON (`Manifest`)
 *   rest     the payload: `pg_dump --format=custom` output, or Haven's COPY snapshot (see `copy-payload.ts`)
 *
 * The manifest carries the payload's SHA-256, so a restore can check the whole payload before writing anything.
 * docs/backup.md and docs/decisions/0005-backup-format.md describe the format for people.
 */
export const MAGIC = 'HAVEN-BACKUP';
export const FORMAT_VERSION = 1;
export const ARCHIVE_EXTENSION = '.havenbak';
/** Larger than any sane manifest; reading stops there so that a wrong file is refused quickly. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export type PayloadKind = 'pg_dump' | 'copy';

export interface Manifest {
  format: number;
  createdAt: string;
  havenVersion: string;
  server: { major: number; version: string };
  /** Names from `schema_migrations`, in the order they were applied. */
  migrations: string[];
  /** Rows per table of schema public (schema_migrations excluded: `migrations` stands for it). */
  tables: Record<string, number>;
  payload: { kind: PayloadKind; sha256: string; tool?: string };
}

export class BackupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** A placeholder of the digest's length: the header is written first and the digest patched in at the end. */
export const SHA256_PLACEHOLDER = '0'.repeat(64);

/** The header bytes, and the offset of the payload digest inside them (to patch it once known). */
export function encodeHeader(manifest: Manifest): { bytes: Buffer; sha256Offset: number } {
  const json = JSON.stringify(manifest);
  const text = `${MAGIC}\n${json}\n`;
  const bytes = Buffer.from(text, 'utf8');
  const key = '"sha256":"';
  const at = bytes.indexOf(Buffer.from(`${key}${manifest.payload.sha256}"`, 'utf8'));
  if (at < 0) throw new Error('internal: digest not found in the manifest');
  return { bytes, sha256Offset: at + key.length };
}

export interface OpenedArchive {
  file: string;
  manifest: Manifest;
  /** Byte offset of the first payload byte. */
  payloadOffset: number;
  /** Size of the payload in bytes. */
  payloadBytes: number;
}

function fail(file: string, why: string): never {
  throw new BackupError(`${file} is not a usable Haven backup: ${why}.`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the manifest's shape; returns it typed. Unknown extra fields are allowed (forward compatible). */
function checkManifest(file: string, raw: unknown): Manifest {
  if (!isRecord(raw)) fail(file, 'the manifest is not a JSON object');
  if (typeof raw.format !== 'number' || !Number.isInteger(raw.format)) fail(file, 'the manifest has no format version');
  if (raw.format > FORMAT_VERSION) {
    throw new BackupError(`${file} uses backup format ${raw.format}, newer than this Haven understands (${FORMAT_VERSION}); restore it with a newer Haven.`);
  }
  if (raw.format < 1) fail(file, `unknown format version ${raw.format}`);
  const server = raw.server;
  if (!isRecord(server) || typeof server.major !== 'number') fail(file, 'the manifest has no server version');
  if (!Array.isArray(raw.migrations) || !raw.migrations.every((m) => typeof m === 'string')) fail(file, 'the manifest has no migration list');
  if (!isRecord(raw.tables) || !Object.values(raw.tables).every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) {
    fail(file, 'the manifest has no table row counts');
  }
  const payload = raw.payload;
  if (!isRecord(payload) || (payload.kind !== 'pg_dump' && payload.kind !== 'copy')) fail(file, 'the manifest names no known payload kind');
  if (typeof payload.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(payload.sha256)) fail(file, 'the manifest has no payload SHA-256');
  if (payload.sha256 === SHA256_PLACEHOLDER) fail(file, 'it was not finished (the backup was interrupted)');
  return raw as unknown as Manifest;
}

/** Reads and checks the magic line and the manifest. Does not read the payload. */
export async function openArchive(file: string): Promise<OpenedArchive> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BackupError(code === 'ENOENT' ? `No such backup file: ${file}.` : `Cannot read ${file}: ${(err as Error).message}.`, { cause: err });
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) fail(file, 'the file is empty');
    let head = Buffer.alloc(0);
    let manifestEnd = -1;
    while (manifestEnd < 0) {
      if (head.length >= Math.min(size, MAX_HEADER_BYTES)) fail(file, 'the header is incomplete');
      const buf = Buffer.alloc(Math.min(64 * 1024, size - head.length));
      const { bytesRead } = await fh.read(buf, 0, buf.length, head.length);
      if (bytesRead === 0) fail(file, 'the header is incomplete');
      head = Buffer.concat([head, buf.subarray(0, bytesRead)]);
      const magicEnd = head.indexOf(10);
      const magic = head.subarray(0, magicEnd < 0 ? Math.min(head.length, MAGIC.length + 1) : magicEnd).toString('latin1');
      if (magicEnd < 0 ? !`${MAGIC}\n`.startsWith(magic) : magic !== MAGIC) fail(file, 'it does not start with the Haven backup magic line');
      if (magicEnd >= 0) manifestEnd = head.indexOf(10, magicEnd + 1);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(head.subarray(MAGIC.length + 1, manifestEnd).toString('utf8'));
    } catch {
      fail(file, 'the manifest is not valid JSON');
    }
    const manifest = checkManifest(file, raw);
    const payloadOffset = manifestEnd + 1;
    return { file, manifest, payloadOffset, payloadBytes: size - payloadOffset };
  } finally {
    await fh.close();
  }
}

/** A read stream over the payload bytes only. */
export function payloadStream(archive: OpenedArchive): NodeJS.ReadableStream & AsyncIterable<Buffer> {
  return createReadStream(archive.file, { start: archive.payloadOffset, highWaterMark: 256 * 1024 });
}

/** Streams the payload through SHA-256 and refuses the archive when the digest differs from the manifest's. */
export async function verifyPayloadDigest(archive: OpenedArchive): Promise<void> {
  const hash = createHash('sha256');
  for await (const chunk of payloadStream(archive)) hash.update(chunk);
  const actual = hash.digest('hex');
  if (actual !== archive.manifest.payload.sha256) {
    throw new BackupError(
      `${archive.file} is damaged: its payload's SHA-256 is ${actual.slice(0, 12)}…, the manifest says ${archive.manifest.payload.sha256.slice(0, 12)}…. Nothing was restored.`,
    );
  }
}
