/**
 * An in-memory registry behind the HttpTransport seam, for unit tests that need registry answers
 * a real registry would never give (wrong digests, huge sizes, redirects elsewhere, outages).
 * It speaks the distribution API for manifests, blobs (GET and HEAD) and tag lists, optionally
 * demanding Basic or Bearer authentication, and counts requests.
 */
import { SourceError } from '../errors.js';
import type { HttpRequest, HttpResponse, HttpTransport } from '../http-transport.js';
import { MEDIA_TYPES } from '../manifest.js';
import { packageTar, sha256 } from './tar-writer.js';

export interface FakeArtifact {
  readonly manifest: Buffer;
  readonly digest: string;
  readonly layerDigest: string;
}

export class FakeRegistry {
  readonly manifests = new Map<string, Buffer>();
  readonly blobs = new Map<string, Buffer>();
  readonly tags = new Map<string, Map<string, string>>();
  readonly requests: HttpRequest[] = [];
  /** When set, every request fails as if the network were down. */
  down = false;
  /** Rewrites a response (hostile registries). */
  tamper: ((request: HttpRequest, response: HttpResponse) => HttpResponse | undefined) | undefined;
  /**
   * As real registries: a blob is served only by the repositories a push linked it to (no
   * cross-repository reads). Off by default: tests that place blobs by hand serve them anywhere.
   */
  repositoryScopedBlobs = false;
  private readonly links = new Map<string, Set<string>>();
  auth: { scheme: 'basic' | 'bearer'; user: string; password: string; anonymousPull?: boolean } | undefined;

  constructor(readonly host = 'registry.test') {}

  /** Publishes a package as `kcl mod push` does; returns its manifest digest. */
  push(repository: string, tag: string | undefined, files: Readonly<Record<string, string>>, layer?: Buffer): FakeArtifact {
    const blob = layer ?? packageTar(files);
    const layerDigest = sha256(blob);
    this.blobs.set(layerDigest, blob);
    const empty = Buffer.from('{}');
    this.blobs.set(sha256(empty), empty);
    this.link(repository, layerDigest);
    this.link(repository, sha256(empty));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        artifactType: MEDIA_TYPES.kclPackage,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
        layers: [{ mediaType: MEDIA_TYPES.kclPackage, digest: layerDigest, size: blob.length, annotations: { 'org.opencontainers.image.title': `${repository.split('/').pop()}_${tag ?? 'x'}.tar` } }],
        annotations: { 'org.kcllang.package.name': repository.split('/').pop(), 'org.kcllang.package.version': tag ?? '0.0.0' },
      }),
    );
    return this.pushManifest(repository, tag, manifest, layerDigest);
  }

  /** Makes a blob readable in a repository (what a push, or a cross-repository mount, does). */
  link(repository: string, digest: string): void {
    const linked = this.links.get(repository) ?? new Set<string>();
    linked.add(digest);
    this.links.set(repository, linked);
  }

  pushManifest(repository: string, tag: string | undefined, manifest: Buffer, layerDigest = ''): FakeArtifact {
    const digest = sha256(manifest);
    this.manifests.set(digest, manifest);
    if (tag !== undefined) {
      const tags = this.tags.get(repository) ?? new Map<string, string>();
      tags.set(tag, digest);
      this.tags.set(repository, tags);
    }
    return { manifest, digest, layerDigest };
  }

  private token = 'token-for-tests';

  transport: HttpTransport = async (request) => {
    this.requests.push(request);
    if (this.down) throw new SourceError('S2003', `${request.url.host} refused the connection`);
    const response = this.tamper?.(request, this.answer(request)) ?? this.answer(request);
    // As the real transport: a 2xx body above the request's limit is refused.
    if (response.status >= 200 && response.status < 300 && response.body.length > request.maxBytes) {
      throw new SourceError('S3002', `${request.url.host} sent more than ${request.maxBytes} bytes`);
    }
    return response;
  };

  private authorized(request: HttpRequest): boolean {
    if (!this.auth) return true;
    const header = request.headers.authorization;
    if (this.auth.scheme === 'basic') return header === `Basic ${Buffer.from(`${this.auth.user}:${this.auth.password}`).toString('base64')}`;
    return header === `Bearer ${this.token}`;
  }

  private answer(request: HttpRequest): HttpResponse {
    const { url } = request;
    if (url.pathname === '/token') {
      const basic = request.headers.authorization;
      const ok = basic === `Basic ${Buffer.from(`${this.auth!.user}:${this.auth!.password}`).toString('base64')}` || (basic === undefined && this.auth!.anonymousPull === true);
      return ok ? json(200, { token: this.token, expires_in: 300 }) : status(401);
    }
    if (!this.authorized(request)) {
      const challenge =
        this.auth!.scheme === 'basic' ? 'Basic realm="fake"' : `Bearer realm="https://${this.host}/token",service="${this.host}",scope="repository:x:pull"`;
      return { status: 401, headers: { 'www-authenticate': challenge }, body: Buffer.alloc(0) };
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(url.pathname);
    if (!m) return status(404);
    const [, repository, kind, reference] = m as unknown as [string, string, string, string];
    if (kind === 'tags') {
      const tags = [...(this.tags.get(repository)?.keys() ?? [])];
      return tags.length === 0 && !this.tags.has(repository) ? status(404) : json(200, { name: repository, tags });
    }
    if (kind === 'manifests') {
      const digest = reference.startsWith('sha256:') ? reference : this.tags.get(repository)?.get(reference);
      const body = digest ? this.manifests.get(digest) : undefined;
      if (!body) return status(404);
      return { status: 200, headers: { 'content-type': MEDIA_TYPES.ociManifest, 'docker-content-digest': digest! }, body };
    }
    const blob = this.repositoryScopedBlobs && this.links.get(repository)?.has(reference) !== true ? undefined : this.blobs.get(reference);
    if (!blob) return status(404);
    return { status: 200, headers: { 'content-length': String(blob.length) }, body: request.method === 'HEAD' ? Buffer.alloc(0) : blob };
  }
}

function status(code: number): HttpResponse {
  return { status: code, headers: {}, body: Buffer.alloc(0) };
}

function json(code: number, doc: unknown): HttpResponse {
  return { status: code, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(doc)) };
}
