/**
 * The OCI distribution API, as far as pulling a package needs it: a manifest by tag or digest,
 * a blob by digest (or only whether this repository and credential may read it: HEAD), the tag
 * list. Everything read is bounded (limits.ts) and verified: a
 * manifest asked for by digest must hash to it, a tag's manifest must match the
 * Docker-Content-Digest the registry claims, a blob must have the descriptor's size and digest.
 *
 * Authentication (auth-challenge.ts): anonymous first; on 401, Basic with the credentials, or
 * the Bearer token flow (the realm is asked for a token scoped to `repository:<name>:pull`,
 * with the credentials when there are any). Tokens are reused until they expire.
 *
 * Transport rules: HTTPS, except registries configured for plain HTTP, which must be on this
 * machine (loopback). Redirects (registries send blob downloads to storage hosts) are followed
 * at most 5 times, never from HTTPS to HTTP, and the Authorization header never crosses to
 * another host.
 *
 * Every call takes an optional AbortSignal: a deadline for the whole call (redirects, tag pages,
 * the token exchange and the retry after a 401 together), on top of each exchange's own timeout.
 * When it fires the call fails at once (S2003, or the signal's reason if that is a SourceError).
 */
import { createHash } from 'node:crypto';
import { parseChallenge, tokenFromAnswer } from './auth-challenge.js';
import { accessIdentity, credentialFingerprint, type RegistryCredential } from './credentials.js';
import { SourceError } from './errors.js';
import type { HttpRequest, HttpResponse, HttpTransport } from './http-transport.js';
import type { SourceLimits } from './limits.js';
import { MANIFEST_ACCEPT, type Descriptor } from './manifest.js';
import { isLoopbackHost, registryHost } from './reference.js';

const MAX_REDIRECTS = 5;
const MAX_TAG_PAGES = 20;
/** A token without expires_in is good for 60 s (the distribution spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
const USER_AGENT = 'kclguard';

export interface RegistryClientOptions {
  readonly transport: HttpTransport;
  readonly limits: SourceLimits;
  /** host[:port] of registries spoken to over plain HTTP; each must be a loopback address. */
  readonly plainHttpRegistries?: ReadonlySet<string>;
  readonly now?: () => number;
}

export interface FetchedManifest {
  readonly digest: string;
  readonly bytes: Buffer;
  readonly contentType?: string;
}

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

interface RequestOptions {
  readonly accept: string;
  readonly maxBytes: number;
  readonly what: string;
  /** Default GET. */
  readonly method?: 'GET' | 'HEAD';
  readonly signal?: AbortSignal | undefined;
}

interface Target {
  readonly registry: string;
  readonly repository: string;
}

export class RegistryClient {
  private readonly tokens = new Map<string, { header: string; expiresAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: RegistryClientOptions) {
    this.now = options.now ?? Date.now;
  }

  private baseUrl(registry: string): string {
    const plain = this.options.plainHttpRegistries?.has(registry) === true && isLoopbackHost(registryHost(registry));
    return `${plain ? 'http' : 'https'}://${registry}`;
  }

  async manifest(target: Target, reference: string, credential: RegistryCredential | undefined, signal?: AbortSignal): Promise<FetchedManifest> {
    const what = `${target.registry}/${target.repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
    const response = await this.get(target, `/v2/${target.repository}/manifests/${reference}`, credential, {
      accept: MANIFEST_ACCEPT,
      maxBytes: this.options.limits.maxManifestBytes,
      what: `manifest ${what}`,
      signal,
    });
    const digest = sha256Digest(response.body);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new SourceError('S3001', `manifest ${what} has digest ${digest}, not the one asked for`);
    }
    const claimed = response.headers['docker-content-digest'];
    if (typeof claimed === 'string' && claimed !== '' && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new SourceError('S3001', `manifest ${what}: the registry says ${claimed.slice(0, 80)} but the content hashes to ${digest}`);
    }
    const contentType = response.headers['content-type'];
    return { digest, bytes: response.body, ...(typeof contentType === 'string' ? { contentType } : {}) };
  }

  async blob(target: Target, descriptor: Descriptor, credential: RegistryCredential | undefined, signal?: AbortSignal): Promise<Buffer> {
    const what = `layer ${descriptor.digest} of ${target.registry}/${target.repository}`;
    if (descriptor.size > this.options.limits.maxLayerBytes) {
      throw new SourceError('S3002', `${what} is ${descriptor.size} bytes; the limit is ${this.options.limits.maxLayerBytes}`);
    }
    const response = await this.get(target, `/v2/${target.repository}/blobs/${descriptor.digest}`, credential, {
      accept: '*/*',
      maxBytes: descriptor.size,
      what,
      signal,
    });
    if (response.body.length !== descriptor.size) throw new SourceError('S3001', `${what} is ${response.body.length} bytes, not the ${descriptor.size} its manifest says`);
    const digest = sha256Digest(response.body);
    if (digest !== descriptor.digest) throw new SourceError('S3001', `${what} hashes to ${digest}`);
    return response.body;
  }

  /**
   * Whether this repository, with these credentials, serves the blob: HEAD on it, answered as a
   * GET of it would be (401/403 S2001, 404 S2002...). Registries answer for blobs linked to the
   * repository only (no cross-repository reads), so a cached copy of a layer may be handed to a
   * pull only after this succeeded for the pull's own repository and credentials.
   */
  async blobAccessible(target: Target, descriptor: Descriptor, credential: RegistryCredential | undefined, signal?: AbortSignal): Promise<void> {
    const what = `layer ${descriptor.digest} of ${target.registry}/${target.repository}`;
    await this.get(target, `/v2/${target.repository}/blobs/${descriptor.digest}`, credential, { accept: '*/*', maxBytes: 0, what, method: 'HEAD', signal });
  }

  async tags(target: Target, credential: RegistryCredential | undefined, signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${target.repository}/tags/list?n=1000`;
    for (let page = 0; path && page < MAX_TAG_PAGES; page++) {
      const response: HttpResponse = await this.get(target, path, credential, {
        accept: 'application/json',
        maxBytes: this.options.limits.maxManifestBytes,
        what: `the tags of ${target.registry}/${target.repository}`,
        signal,
      });
      let doc: { tags?: unknown };
      try {
        doc = JSON.parse(response.body.toString('utf8')) as { tags?: unknown };
      } catch {
        throw new SourceError('S2004', `the tag list of ${target.registry}/${target.repository} is not JSON`);
      }
      if (Array.isArray(doc.tags)) tags.push(...doc.tags.filter((t): t is string => typeof t === 'string'));
      path = nextPage(response.headers.link, target.repository);
    }
    return tags;
  }

  /** GET with authentication and safe redirects; 2xx or a SourceError. */
  private async get(
    target: Target,
    path: string,
    credential: RegistryCredential | undefined,
    options: RequestOptions,
  ): Promise<HttpResponse> {
    const tokenKey = accessIdentity(target, credentialFingerprint(credential));
    let authorization = this.cachedAuthorization(tokenKey);
    for (let attempt = 0; ; attempt++) {
      const response = await this.followRedirects(new URL(path, this.baseUrl(target.registry)), options, authorization);
      if (response.status === 401 && attempt === 0) {
        authorization = await this.authenticate(target, response, credential, tokenKey, options);
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      throw statusError(response.status, options.what, credential !== undefined);
    }
  }

  private cachedAuthorization(key: string): string | undefined {
    const cached = this.tokens.get(key);
    if (!cached) return undefined;
    if (cached.expiresAt > this.now()) return cached.header;
    this.tokens.delete(key);
    return undefined;
  }

  private async followRedirects(start: URL, options: RequestOptions, authorization: string | undefined): Promise<HttpResponse> {
    let url = start;
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === start.origin;
      const request: HttpRequest = {
        url,
        method: options.method ?? 'GET',
        headers: { accept: options.accept, 'user-agent': USER_AGENT, ...(authorization && sameOrigin ? { authorization } : {}) },
        maxBytes: options.maxBytes,
        timeoutMs: this.options.limits.requestTimeoutMs,
      };
      const response = await this.send(request, options.signal);
      if (![301, 302, 303, 307, 308].includes(response.status)) return response;
      if (hop >= MAX_REDIRECTS) throw new SourceError('S2004', `${options.what}: more than ${MAX_REDIRECTS} redirects`);
      const location = response.headers.location;
      if (typeof location !== 'string' || location === '') throw new SourceError('S2004', `${options.what}: a redirect without a Location`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new SourceError('S2004', `${options.what}: a redirect to an invalid URL`);
      }
      this.checkRedirect(url, next, options.what);
      url = next;
    }
  }

  /** One exchange, given up as soon as the call's signal fires (the transport is told too). */
  private async send(request: HttpRequest, signal: AbortSignal | undefined): Promise<HttpResponse> {
    if (!signal) return this.options.transport(request);
    if (signal.aborted) throw abortError(signal);
    const exchange = this.options.transport({ ...request, signal });
    exchange.catch(() => undefined); // lost the race: its late failure is nobody's concern
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([exchange, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private checkRedirect(from: URL, to: URL, what: string): void {
    if (to.protocol === 'https:') return;
    if (to.protocol === 'http:' && from.protocol === 'http:' && isLoopbackHost(to.hostname.replace(/^\[|\]$/g, ''))) return;
    throw new SourceError('S2004', `${what}: refused a redirect from ${from.protocol}//${from.host} to ${to.protocol}//${to.host.slice(0, 100)} (only HTTPS, or plain HTTP between loopback addresses)`);
  }

  private async authenticate(target: Target, response: HttpResponse, credential: RegistryCredential | undefined, tokenKey: string, options: RequestOptions): Promise<string> {
    const { what } = options;
    const challenge = parseChallenge(response.headers['www-authenticate']);
    if (challenge?.scheme === 'basic') {
      if (!credential || !('username' in credential) || !('password' in credential)) {
        throw new SourceError('S2001', `${what}: the registry wants a user name and password${credential ? ' (the credentials hold a token)' : ' and none were given'}`);
      }
      const header = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      this.tokens.set(tokenKey, { header, expiresAt: Number.POSITIVE_INFINITY });
      return header;
    }
    if (challenge?.scheme !== 'bearer') throw new SourceError('S2004', `${what}: the registry asked for ${challenge ? `'${challenge.scheme.slice(0, 40)}'` : 'an unnamed'} authentication, which is not supported`);
    if (credential && 'registryToken' in credential) {
      const header = `Bearer ${credential.registryToken}`;
      this.tokens.set(tokenKey, { header, expiresAt: Number.POSITIVE_INFINITY });
      return header;
    }
    const token = await this.fetchToken(target, challenge.params, credential, options);
    const header = `Bearer ${token.token}`;
    this.tokens.set(tokenKey, { header, expiresAt: this.now() + (token.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS) * 1000 * 0.9 });
    return header;
  }

  private async fetchToken(target: Target, params: Readonly<Record<string, string>>, credential: RegistryCredential | undefined, options: RequestOptions): Promise<{ token: string; expiresInSeconds?: number }> {
    const { what } = options;
    let realm: URL;
    try {
      realm = new URL(params.realm ?? '');
    } catch {
      throw new SourceError('S2004', `${what}: the registry's token realm is not a URL`);
    }
    const registryIsPlain = this.baseUrl(target.registry).startsWith('http:');
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && registryIsPlain && isLoopbackHost(realm.hostname.replace(/^\[|\]$/g, '')))) {
      throw new SourceError('S2004', `${what}: refused the token realm ${realm.protocol}//${realm.host.slice(0, 100)} (HTTPS only, or plain HTTP on loopback)`);
    }
    const scope = `repository:${target.repository}:pull`;
    const query = new URLSearchParams({ ...(params.service ? { service: params.service } : {}), scope });
    let request: HttpRequest;
    if (credential && 'identityToken' in credential) {
      // An OAuth2 refresh token (docker's identitytoken) is exchanged with a POST.
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, client_id: USER_AGENT, scope, ...(params.service ? { service: params.service } : {}) });
      request = {
        url: realm,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT },
        body: body.toString(),
        maxBytes: this.options.limits.maxManifestBytes,
        timeoutMs: this.options.limits.requestTimeoutMs,
      };
    } else {
      for (const [key, value] of query) realm.searchParams.set(key, value);
      const basic = credential && 'username' in credential && 'password' in credential ? `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}` : undefined;
      request = {
        url: realm,
        method: 'GET',
        headers: { 'user-agent': USER_AGENT, ...(basic ? { authorization: basic } : {}) },
        maxBytes: this.options.limits.maxManifestBytes,
        timeoutMs: this.options.limits.requestTimeoutMs,
      };
    }
    const answer = await this.send(request, options.signal);
    if (answer.status === 401 || answer.status === 403) throw new SourceError('S2001', `${what}: the token service refused ${credential ? 'the credentials' : 'anonymous access'} (HTTP ${answer.status})`);
    if (answer.status < 200 || answer.status >= 300) throw statusError(answer.status, `${what} (token service)`, credential !== undefined);
    const token = tokenFromAnswer(answer.body);
    if (!token) throw new SourceError('S2004', `${what}: the token service's answer holds no token`);
    return token;
  }
}

function abortError(signal: AbortSignal): SourceError {
  return signal.reason instanceof SourceError ? signal.reason : new SourceError('S2003', 'the registry did not finish answering in time');
}

function statusError(status: number, what: string, withCredentials: boolean): SourceError {
  if (status === 401 || status === 403) return new SourceError('S2001', `${what}: access denied (HTTP ${status}) ${withCredentials ? 'with the given credentials' : 'without credentials'}`);
  if (status === 404) return new SourceError('S2002', `${what} not found (HTTP 404)`);
  if (status === 429 || status >= 500) return new SourceError('S2003', `${what}: the registry answered HTTP ${status}`);
  return new SourceError('S2004', `${what}: unexpected HTTP status ${status}`);
}

/** The next page of a tag list (RFC 5988 Link header), kept on the same repository's path. */
function nextPage(link: string | string[] | undefined, repository: string): string | undefined {
  const text = Array.isArray(link) ? link[0] : link;
  const m = text ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(text) : null;
  if (!m) return undefined;
  const next = new URL(m[1]!, 'http://registry.invalid');
  return next.pathname === `/v2/${repository}/tags/list` ? `${next.pathname}${next.search}` : undefined;
}
