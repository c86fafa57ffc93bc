/**
 * Pulls KCL packages by reference, with the caches that keep registries off the hot path:
 *
 * - which digest a reference points to, per credential identity (a reference is re-checked
 *   with the registry once per refresh interval; a digest reference, whose content cannot
 *   change, once). The identity matters: content another policy pulled with its credentials is
 *   served to a policy only after the registry let THAT policy's credentials (or anonymous
 *   access) read the manifest;
 * - the unpacked packages by manifest digest, in memory (LRU by size);
 * - manifests and layers on disk (disk-cache.ts), verified when read, which is what a restarted
 *   kclguard falls back on while its registry is down.
 *
 * A cached layer (unpacked in memory, or on disk) is handed to a pull only for an identity —
 * registry, repository, credential fingerprint — that the registry let read that layer: the one
 * that downloaded it, or one for which `HEAD /v2/<repository>/blobs/<digest>` succeeded with its
 * own credentials (recorded in memory and on disk). A manifest is anyone's to write, and naming a
 * digest proves nothing: without this, a tenant could publish a manifest naming another tenant's
 * private layer and be served it from the cache.
 *
 * When the registry cannot be reached (or refuses) and a digest is known for the reference, the
 * pull succeeds with that digest, marked stale with the reason. Pulls of the same reference
 * with the same credentials share one request.
 *
 * A registry is slow or hostile at its own references' expense only: checking one reference
 * (tag list pages, redirects, authentication, all of it) has one deadline, `referenceCheckMs`,
 * fetching one package (manifest, layer, access check) another, `packageFetchMs`, and the
 * refresh pass checks references a few at a time (`checkConcurrency`), so the others' moved tags
 * are seen while a slow one is still waiting.
 */
import { accessIdentity, credentialFingerprint, type RegistryCredential } from './credentials.js';
import type { DiskCache } from './disk-cache.js';
import { asSourceError, SourceError } from './errors.js';
import { latestVersionTag } from './latest-tag.js';
import type { SourceLimits } from './limits.js';
import { parsePackageManifest, type Descriptor } from './manifest.js';
import { SizedLru } from './memory-cache.js';
import { unpackPackage, type PackageContent } from './package-content.js';
import { formatReference, type OciReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

export interface PulledPackage {
  readonly reference: OciReference;
  /** The manifest digest the content came from. */
  readonly digest: string;
  /** The tag the digest was found under (the latest version's, for a reference without one). */
  readonly tag?: string;
  readonly content: PackageContent;
  /** Set when the registry could not confirm the digest now: why. */
  readonly stale?: string;
}

export interface PullerOptions {
  readonly client: RegistryClient;
  readonly limits: SourceLimits;
  readonly disk?: DiskCache;
  /** How long a reference's digest is trusted before the registry is asked again. */
  readonly refreshMs: number;
  /** How long after a failed check the registry is asked again. */
  readonly retryMs: number;
  /** Memory for unpacked packages (characters). */
  readonly memoryBytes: number;
  /** References the refresh pass checks at the same time (default 4). */
  readonly checkConcurrency?: number;
  readonly now?: () => number;
  /** Told about cache problems (a read-only disk): they never fail a pull. */
  readonly onCacheError?: (error: unknown) => void;
}

/** What is known about one reference for one credential identity. */
interface RefEntry {
  readonly reference: OciReference;
  readonly text: string;
  readonly credential: RegistryCredential | undefined;
  readonly fingerprint: string;
  digest?: string;
  tag?: string;
  /** When the registry was last asked (successfully or not). */
  checkedAt: number;
  /** When the registry last confirmed the digest (a previous run's time for a digest from disk). */
  confirmedAt?: number;
  /** Why the last check failed; undefined after a success. */
  error?: SourceError;
  lastUsed: number;
}

export class PackagePuller {
  private readonly refs = new Map<string, RefEntry>();
  /** Unpacked packages by manifest digest, with the layer they came from (whose grants decide who gets them). */
  private readonly packages: SizedLru<{ content: PackageContent; layer: Descriptor }>;
  /** Layers the registry let an identity read (grantKey). */
  private readonly grants = new SizedLru<true>(100_000);
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: PullerOptions) {
    this.packages = new SizedLru(options.memoryBytes);
    this.now = options.now ?? Date.now;
  }

  /** Pulls the package a reference names, with these credentials (undefined: anonymous). */
  async pull(reference: OciReference, credential: RegistryCredential | undefined): Promise<PulledPackage> {
    const entry = await this.entry(reference, credential);
    entry.lastUsed = this.now();
    await this.once(digestKey(entry), () => this.ensureDigest(entry));
    const digest = entry.digest!;
    const content = await this.once(`content\u0000${digest}\u0000${accessIdentity(reference, entry.fingerprint)}`, () => this.content(reference, digest, credential, entry.fingerprint));
    return {
      reference,
      digest,
      ...(entry.tag !== undefined ? { tag: entry.tag } : {}),
      content,
      ...(entry.error ? { stale: `${entry.error.message}; acting on ${digest}${entry.confirmedAt !== undefined ? `, last confirmed ${new Date(entry.confirmedAt).toISOString()}` : ''}` } : {}),
    };
  }

  /**
   * Asks the registry again about every reference whose refresh (or retry, after a failure) is
   * due. True when a digest moved, or a reference started or stopped failing: the policies
   * should be loaded again. `onChange` is told at the first such change, without waiting for
   * slower references. References are checked `checkConcurrency` at a time, each within
   * `referenceCheckMs`; one whose check is still running (an earlier pass's, or a pull's) is left
   * to whoever started it, which reports it. References no pull used for three refresh intervals
   * are forgotten.
   */
  async checkForUpdates(onChange?: () => void): Promise<boolean> {
    let changed = false;
    const now = this.now();
    const due: RefEntry[] = [];
    for (const [key, entry] of this.refs) {
      if (now - entry.lastUsed > 3 * this.options.refreshMs) this.refs.delete(key);
      else due.push(entry);
    }
    await eachLimited(due, this.options.checkConcurrency ?? 4, async (entry) => {
      const key = digestKey(entry);
      if (this.inFlight.has(key)) return;
      const before = { digest: entry.digest, failing: entry.error !== undefined };
      await this.once(key, () => this.ensureDigest(entry)).catch(() => undefined);
      if (entry.digest === before.digest && (entry.error !== undefined) === before.failing) return;
      if (!changed) onChange?.();
      changed = true;
    });
    return changed;
  }

  private async entry(reference: OciReference, credential: RegistryCredential | undefined): Promise<RefEntry> {
    const text = formatReference(reference);
    const fingerprint = credentialFingerprint(credential);
    const key = `${text}\u0000${fingerprint}`;
    let entry = this.refs.get(key);
    if (!entry) {
      entry = { reference, text, credential, fingerprint, checkedAt: Number.NEGATIVE_INFINITY, lastUsed: this.now() };
      // A digest confirmed before a restart is a fallback while the registry is down, never a
      // reason not to ask: checkedAt stays in the past.
      const record = await this.options.disk?.getRef(text, fingerprint).catch((error: unknown) => this.cacheError(error));
      if (record) {
        entry.digest = record.digest;
        entry.confirmedAt = record.resolvedAt;
      }
      this.refs.set(key, entry);
    }
    return entry;
  }

  /** Makes sure entry.digest is known and, unless it is still fresh, confirmed by the registry. */
  private async ensureDigest(entry: RefEntry): Promise<void> {
    const age = this.now() - entry.checkedAt;
    const confirmedDigestReference = entry.reference.digest !== undefined && entry.error === undefined && entry.checkedAt > Number.NEGATIVE_INFINITY;
    if (confirmedDigestReference || (entry.error === undefined && age < this.options.refreshMs)) return;
    if (entry.error !== undefined && age < this.options.retryMs) {
      if (entry.digest) return;
      throw entry.error;
    }
    const ms = this.options.limits.referenceCheckMs;
    try {
      const found = await withDeadline(ms, `${entry.text}: the registry did not finish answering within ${ms} ms (redirects, tag pages and authentication together)`, (signal) => this.resolveDigest(entry, signal));
      entry.digest = found.digest;
      if (found.tag !== undefined) entry.tag = found.tag;
      entry.error = undefined;
      entry.checkedAt = this.now();
      entry.confirmedAt = entry.checkedAt;
      await this.options.disk?.putRef({ reference: entry.text, fingerprint: entry.fingerprint, digest: found.digest, resolvedAt: entry.checkedAt }).catch((error: unknown) => this.cacheError(error));
    } catch (error) {
      entry.error = asSourceError(error);
      entry.checkedAt = this.now();
      if (!entry.digest) throw entry.error;
    }
  }

  /** Asks the registry which manifest the reference names (and proves these credentials may read it). */
  private async resolveDigest(entry: RefEntry, signal: AbortSignal): Promise<{ digest: string; tag?: string }> {
    const { reference, credential } = entry;
    const target = { registry: reference.registry, repository: reference.repository };
    let tag = reference.tag;
    if (reference.digest === undefined && tag === undefined) {
      const tags = await this.options.client.tags(target, credential, signal);
      tag = latestVersionTag(tags);
      if (tag === undefined) throw new SourceError('S2002', `${entry.text} has no version tag to take as its latest version (tags: ${tags.slice(0, 5).join(', ') || 'none'})`);
    }
    const manifest = await this.options.client.manifest(target, reference.digest ?? tag!, credential, signal);
    await this.options.disk?.putBlob(manifest.digest, manifest.bytes).catch((error: unknown) => this.cacheError(error));
    this.manifests.set(manifest.digest, manifest, manifest.bytes.length);
    return { digest: manifest.digest, ...(tag !== undefined ? { tag } : {}) };
  }

  /** Manifests fetched while resolving a digest, kept briefly so the content step needs no second GET. */
  private readonly manifests = new SizedLru<{ bytes: Buffer; contentType?: string }>(4 * 1024 * 1024);

  private async content(reference: OciReference, digest: string, credential: RegistryCredential | undefined, fingerprint: string): Promise<PackageContent> {
    const ms = this.options.limits.packageFetchMs;
    const describe = `${reference.registry}/${reference.repository}@${digest}`;
    return withDeadline(ms, `${describe}: the registry did not finish sending the package within ${ms} ms (manifest, layer and access check together)`, (signal) =>
      this.fetchContent(reference, digest, credential, fingerprint, describe, signal),
    );
  }

  private async fetchContent(reference: OciReference, digest: string, credential: RegistryCredential | undefined, fingerprint: string, describe: string, signal: AbortSignal): Promise<PackageContent> {
    const target = { registry: reference.registry, repository: reference.repository };
    const identity = accessIdentity(reference, fingerprint);
    const cached = this.packages.get(digest);
    if (cached) {
      await this.ensureLayerGrant(target, cached.layer, credential, identity, signal);
      return cached.content;
    }
    const manifest: { bytes: Buffer; contentType?: string } =
      this.manifests.get(digest) ??
      (await this.diskBlob(digest).then((bytes) => (bytes ? { bytes } : undefined))) ??
      (await this.options.client.manifest(target, digest, credential, signal));
    const parsed = parsePackageManifest(manifest.bytes, manifest.contentType, describe);
    let layer = await this.diskBlob(parsed.layer.digest);
    if (layer) {
      await this.ensureLayerGrant(target, parsed.layer, credential, identity, signal);
    } else {
      layer = await this.options.client.blob(target, parsed.layer, credential, signal);
      await this.grant(parsed.layer.digest, identity);
      await this.options.disk?.putBlob(parsed.layer.digest, layer).catch((error: unknown) => this.cacheError(error));
    }
    const content = await unpackPackage(layer, this.options.limits, describe);
    this.packages.set(digest, { content, layer: parsed.layer }, content.size);
    return content;
  }

  /**
   * Makes sure the registry let this identity read the layer before a cached copy is handed out:
   * a grant recorded before (this process, or the disk cache), else a HEAD on the blob with the
   * identity's own credentials, whose refusal fails the pull as a download would have.
   */
  private async ensureLayerGrant(target: { registry: string; repository: string }, layer: Descriptor, credential: RegistryCredential | undefined, identity: string, signal: AbortSignal): Promise<void> {
    const key = grantKey(identity, layer.digest);
    if (this.grants.get(key)) return;
    const onDisk = await this.options.disk?.hasGrant(layer.digest, identity).catch((error: unknown) => this.cacheError(error));
    if (onDisk) {
      this.grants.set(key, true, 1);
      return;
    }
    await this.options.client.blobAccessible(target, layer, credential, signal);
    await this.grant(layer.digest, identity);
  }

  private async grant(layerDigest: string, identity: string): Promise<void> {
    this.grants.set(grantKey(identity, layerDigest), true, 1);
    await this.options.disk?.putGrant(layerDigest, identity).catch((error: unknown) => this.cacheError(error));
  }

  private async diskBlob(digest: string): Promise<Buffer | undefined> {
    return this.options.disk?.getBlob(digest).catch((error: unknown) => {
      this.cacheError(error);
      return undefined;
    });
  }

  private cacheError(error: unknown): undefined {
    this.options.onCacheError?.(error);
    return undefined;
  }

  /** Runs `work` once for concurrent callers with the same key. */
  private once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}

/** `work`, given a signal that fires after `ms` with S2003 and `message` (the call fails then). */
async function withDeadline<T>(ms: number, message: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new SourceError('S2003', message)), ms);
  timer.unref();
  try {
    return await work(deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `work` over the items, at most `limit` at a time (work must not throw). */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** The key pulls and refresh checks of one reference, with one credential, share (once). */
function digestKey(entry: RefEntry): string {
  return `digest\u0000${entry.text}\u0000${entry.fingerprint}`;
}

/** A layer the registry let an identity (accessIdentity) read. */
function grantKey(identity: string, layerDigest: string): string {
  return `${identity}\u0000${layerDigest}`;
}
