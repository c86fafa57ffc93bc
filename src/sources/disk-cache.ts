/**
 * The on-disk cache: content-addressed blobs (manifests and package layers, `blobs/sha256/<hex>`),
 * the last digest each reference resolved to for each credential identity (`refs/<hash>.json`),
 * and which identities (registry, repository, credential) a registry let read each blob
 * (`grants/<hex>/<hash>`, empty files, removed with their blob), so that a restarted kclguard whose registry is down starts with the last
 * good packages. Every blob is re-hashed when read: a corrupted or tampered file is deleted and
 * counts as a miss, never as content. Writes go to a temporary name and are renamed into place.
 * The directory is bounded: after a write, the least recently used blobs go until the total is
 * under the limit. Files are private to kclguard's user (0600 in a 0700 directory).
 *
 * Every failure of the cache itself (a read-only or full disk) is logged by the caller and
 * otherwise ignored: the cache makes kclguard faster and outage-tolerant, never less correct.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RefRecord {
  readonly reference: string;
  readonly fingerprint: string;
  readonly digest: string;
  /** When the registry last confirmed it (ms since the epoch). */
  readonly resolvedAt: number;
}

const HEX = /^[a-f0-9]{64}$/;

export class DiskCache {
  private pruning: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  private blobPath(digest: string): string | undefined {
    const hex = digest.startsWith('sha256:') ? digest.slice(7) : '';
    return HEX.test(hex) ? join(this.dir, 'blobs', 'sha256', hex) : undefined;
  }

  private refPath(reference: string, fingerprint: string): string {
    return join(this.dir, 'refs', `${createHash('sha256').update(`${reference}\u0000${fingerprint}`).digest('hex')}.json`);
  }

  private async writeAtomic(path: string, data: Buffer | string): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, data, { mode: 0o600 });
    await rename(temporary, path);
  }

  /** The blob's bytes if present and intact; a blob that does not hash to its name is removed. */
  async getBlob(digest: string): Promise<Buffer | undefined> {
    const path = this.blobPath(digest);
    if (!path) return undefined;
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch {
      return undefined;
    }
    if (`sha256:${createHash('sha256').update(data).digest('hex')}` !== digest) {
      await rm(path, { force: true });
      return undefined;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return data;
  }

  async putBlob(digest: string, data: Buffer): Promise<void> {
    const path = this.blobPath(digest);
    if (!path) return;
    await this.writeAtomic(path, data);
    this.pruning = this.pruning.then(() => this.prune()).catch(() => undefined);
    await this.pruning;
  }

  private grantPath(digest: string, identity: string): string | undefined {
    const hex = digest.startsWith('sha256:') ? digest.slice(7) : '';
    return HEX.test(hex) ? join(this.dir, 'grants', hex, createHash('sha256').update(identity).digest('hex')) : undefined;
  }

  /** Whether the registry let this identity read the blob (recorded by putGrant). */
  async hasGrant(digest: string, identity: string): Promise<boolean> {
    const path = this.grantPath(digest, identity);
    if (!path) return false;
    return stat(path).then(
      (info) => info.isFile(),
      () => false,
    );
  }

  async putGrant(digest: string, identity: string): Promise<void> {
    const path = this.grantPath(digest, identity);
    if (path) await this.writeAtomic(path, '');
  }

  async getRef(reference: string, fingerprint: string): Promise<RefRecord | undefined> {
    try {
      const record = JSON.parse(await readFile(this.refPath(reference, fingerprint), 'utf8')) as RefRecord;
      const valid = record.reference === reference && record.fingerprint === fingerprint && typeof record.digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(record.digest) && typeof record.resolvedAt === 'number';
      return valid ? record : undefined;
    } catch {
      return undefined;
    }
  }

  async putRef(record: RefRecord): Promise<void> {
    await this.writeAtomic(this.refPath(record.reference, record.fingerprint), JSON.stringify(record));
  }

  /** Removes least recently used blobs (and their grants) until the blobs total at most maxBytes. */
  private async prune(): Promise<void> {
    const dir = join(this.dir, 'blobs', 'sha256');
    const names = await readdir(dir).catch(() => [] as string[]);
    const blobs: { name: string; path: string; size: number; mtime: number }[] = [];
    for (const name of names) {
      if (!HEX.test(name)) continue;
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (info) blobs.push({ name, path: join(dir, name), size: info.size, mtime: info.mtimeMs });
    }
    let total = blobs.reduce((sum, b) => sum + b.size, 0);
    blobs.sort((a, b) => a.mtime - b.mtime);
    for (const blob of blobs) {
      if (total <= this.maxBytes) break;
      await rm(blob.path, { force: true });
      await rm(join(this.dir, 'grants', blob.name), { recursive: true, force: true });
      total -= blob.size;
    }
  }
}
