/**
 * Reads the tar archive a KCL package is published as (`kcl mod push` tars the package
 * directory: entries named relative to it, starting with `.`), in memory and with limits. Only
 * directories and regular files are accepted, as the reference's own unpacker does: a link,
 * device or FIFO entry, a path that is absolute or climbs with `..`, or a name given twice makes
 * the whole artifact invalid. Nothing is ever written to disk.
 *
 * Formats: ustar (with its name prefix), GNU long names (`L`), and pax extended headers (`x`,
 * for `path` and `size`; global `g` headers are ignored). A gzip-compressed tar is accepted too
 * (the reference's tooling accepts `.tar.gz` packages), decompressed with the same byte limit:
 * decompression stops as soon as it produces more than that, so a gzip bomb costs at most the
 * limit, and runs on libuv's thread pool instead of the calling thread.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { SourceError } from './errors.js';

const BLOCK = 512;
/** pax and GNU long-name records carry paths, not content: anything larger is hostile. */
const MAX_META_RECORD = 64 * 1024;

export interface TarLimits {
  readonly maxFiles: number;
  readonly maxUnpackedBytes: number;
  /** One file's size (checked from its header, before its bytes are taken); undefined: only the total counts. */
  readonly maxFileBytes?: number;
}

export interface TarFile {
  /** Normalised: no leading `./`, no `.` or `..` segments, `/`-separated. */
  readonly path: string;
  readonly data: Buffer;
}

function invalid(message: string): SourceError {
  return new SourceError('S3003', message);
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

/** An octal field, or GNU base-256 (high bit set) for large values. */
function numberField(header: Buffer, offset: number, length: number): number {
  const raw = header.subarray(offset, offset + length);
  if ((raw[0]! & 0x80) !== 0) {
    let value = raw[0]! & 0x7f;
    for (let i = 1; i < length; i++) {
      value = value * 256 + raw[i]!;
      if (value > Number.MAX_SAFE_INTEGER) throw invalid('a tar header holds an impossible size');
    }
    return value;
  }
  const text = raw.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalid(`a tar header holds a malformed number '${text.slice(0, 20)}'`);
  return parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = numberField(header, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum === stored;
}

function isZeroBlock(header: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (header[i] !== 0) return false;
  return true;
}

/** pax records: `<length> <key>=<value>\n`. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = Number(data.subarray(pos, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= 0 || pos + length > data.length) throw invalid('a pax header record is malformed');
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

/** The entry's path made safe, or an error; '' for the archive's own root (`.`, `./`). */
export function normaliseEntryPath(name: string): string {
  if (name.includes('\0') || name.includes('\\')) throw invalid(`tar entry '${printable(name)}' has a NUL or backslash in its name`);
  if (name.startsWith('/')) throw invalid(`tar entry '${printable(name)}' is an absolute path`);
  const segments: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw invalid(`tar entry '${printable(name)}' leaves the package (it contains '..')`);
    segments.push(segment);
  }
  return segments.join('/');
}

function printable(name: string): string {
  return name.slice(0, 200).replace(/[^\x20-\x7e]/g, '?');
}

const gunzipAsync = promisify(gunzip);

/** A gzip layer is decompressed on libuv's thread pool: a 16 MiB one would hold the main thread for tens of ms. */
async function decompress(data: Buffer, limits: TarLimits): Promise<Buffer> {
  if (data.length < 2 || data[0] !== 0x1f || data[1] !== 0x8b) return data;
  try {
    // The tar framing adds a little to the files' own bytes: allow for the headers.
    return await gunzipAsync(data, { maxOutputLength: limits.maxUnpackedBytes + (limits.maxFiles + 2) * 2 * BLOCK });
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new SourceError('S3002', `the package layer decompresses to more than ${limits.maxUnpackedBytes} bytes`);
    }
    throw invalid('the package layer is not a valid gzip stream');
  }
}

/** The regular files of a tar (or tar.gz) archive; directories are implied by the paths. */
export async function readTar(archive: Buffer, limits: TarLimits): Promise<TarFile[]> {
  return parseTar(await decompress(archive, limits), limits);
}

function parseTar(data: Buffer, limits: TarLimits): TarFile[] {
  const files: TarFile[] = [];
  const seen = new Set<string>();
  let entries = 0;
  let unpacked = 0;
  let pos = 0;
  let longName: string | undefined;
  let pax: Map<string, string> | undefined;
  while (pos + BLOCK <= data.length) {
    const header = data.subarray(pos, pos + BLOCK);
    if (isZeroBlock(header)) break;
    if (!checksumOk(header)) throw invalid(`the tar header at byte ${pos} has a wrong checksum (not a tar archive?)`);
    const type = String.fromCharCode(header[156]!) || '0';
    let size = numberField(header, 124, 12);
    if (pax?.has('size')) size = Number(pax.get('size'));
    if (!Number.isSafeInteger(size) || size < 0) throw invalid('a tar entry has an invalid size');
    const body = pos + BLOCK;
    const next = body + Math.ceil(size / BLOCK) * BLOCK;
    if (body + size > data.length) throw invalid('the tar archive ends inside an entry');
    if (++entries > limits.maxFiles * 2 + 8) throw new SourceError('S3002', `the package has more than ${limits.maxFiles} entries`);

    if (type === 'x' || type === 'L' || type === 'g') {
      if (size > MAX_META_RECORD) throw new SourceError('S3002', `a tar ${type === 'L' ? 'long-name' : 'pax'} record is larger than ${MAX_META_RECORD} bytes`);
      const record = data.subarray(body, body + size);
      if (type === 'x') pax = paxRecords(record);
      else if (type === 'L') longName = record.toString('utf8').replace(/\0+$/, '');
      pos = next;
      continue;
    }
    const ustar = field(header, 257, 6) === 'ustar';
    const prefix = ustar ? field(header, 345, 155) : '';
    const name = pax?.get('path') ?? longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    pax = undefined;
    longName = undefined;
    const path = normaliseEntryPath(name);
    if (type === '5') {
      pos = next;
      continue;
    }
    if (type !== '0' && type !== '\0' && type !== '7') {
      const kind = type === '1' ? 'a hard link' : type === '2' ? 'a symbolic link' : type === '3' || type === '4' ? 'a device' : type === '6' ? 'a FIFO' : `of type '${printable(type)}'`;
      throw invalid(`tar entry '${printable(name)}' is ${kind}; a KCL package holds only files and directories`);
    }
    if (path === '') throw invalid('a tar file entry has an empty name');
    if (seen.has(path)) throw invalid(`tar entry '${printable(path)}' appears twice`);
    seen.add(path);
    if (seen.size > limits.maxFiles) throw new SourceError('S3002', `the package has more than ${limits.maxFiles} files`);
    if (limits.maxFileBytes !== undefined && size > limits.maxFileBytes) throw new SourceError('S3002', `the package's file '${printable(path)}' is larger than ${limits.maxFileBytes} bytes`);
    unpacked += size;
    if (unpacked > limits.maxUnpackedBytes) throw new SourceError('S3002', `the package's files add up to more than ${limits.maxUnpackedBytes} bytes`);
    files.push({ path, data: data.subarray(body, body + size) });
    pos = next;
  }
  return files;
}
