/**
 * Writes tar archives for tests, including the hostile ones a real tar tool refuses to make
 * (entries climbing with `..`, links, duplicate names, a lying size). ustar format, with pax
 * `x` records on request.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  readonly name: string;
  /** '0' file (default), '5' directory, '1' hard link, '2' symlink, '3' device, 'x' pax... */
  readonly type?: string;
  readonly data?: string | Buffer;
  readonly linkName?: string;
  /** The size written into the header (default: the data's length). */
  readonly declaredSize?: number;
}

function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(entry.name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(entry.type ?? '0', 156);
  if (entry.linkName) h.write(entry.linkName.slice(0, 100), 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data ?? '', 'utf8');
    parts.push(header(entry, entry.declaredSize ?? data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A package the way `kcl mod push` archives it: a `./` entry, then the files relative to it. */
export function packageTar(files: Readonly<Record<string, string>>): Buffer {
  return tar([{ name: './', type: '5' }, ...Object.entries(files).map(([name, data]) => ({ name: `./${name}`, data }))]);
}

export function gzip(data: Buffer): Buffer {
  return gzipSync(data);
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
