// The distribution API client against hostile and authenticating registries (a fake behind the
// transport seam: answers a real registry would never give).
import { describe, expect, it } from '@jest/globals';
import { SourceError } from './errors.js';
import type { HttpResponse } from './http-transport.js';
import { DEFAULT_SOURCE_LIMITS } from './limits.js';
import { parsePackageManifest } from './manifest.js';
import { RegistryClient } from './registry-client.js';
import { FakeRegistry } from './testing/fake-registry.js';
import { sha256 } from './testing/tar-writer.js';

const TARGET = { registry: 'registry.test', repository: 'team/policy' };

function client(registry: FakeRegistry, limits = DEFAULT_SOURCE_LIMITS, now?: () => number): RegistryClient {
  return new RegistryClient({ transport: registry.transport, limits, ...(now ? { now } : {}) });
}

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    return error.code;
  }
}

describe('RegistryClient', () => {
  it('pulls a manifest by tag and by digest, and its layer, verified', async () => {
    const registry = new FakeRegistry();
    const pushed = registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    const c = client(registry);
    const byTag = await c.manifest(TARGET, '1.0.0', undefined);
    expect(byTag.digest).toBe(pushed.digest);
    expect((await c.manifest(TARGET, pushed.digest, undefined)).bytes.equals(pushed.manifest)).toBe(true);
    const layer = parsePackageManifest(byTag.bytes, byTag.contentType, 'p').layer;
    expect(sha256(await c.blob(TARGET, layer, undefined))).toBe(layer.digest);
    expect(registry.requests.every((r) => r.url.protocol === 'https:')).toBe(true);
  });

  it('refuses content that does not match its digest: a manifest, a claimed Docker-Content-Digest, a layer', async () => {
    const registry = new FakeRegistry();
    const pushed = registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    const c = client(registry);
    const swap = (body: Buffer) => (_r: unknown, response: HttpResponse): HttpResponse => ({ ...response, body });
    registry.tamper = (request, response) => (request.url.pathname.includes('/manifests/sha256:') ? swap(Buffer.from('{"schemaVersion":2}'))(request, response) : undefined);
    expect(await codeOf(() => c.manifest(TARGET, pushed.digest, undefined))).toBe('S3001');
    registry.tamper = (_request, response) => ({ ...response, headers: { ...response.headers, 'docker-content-digest': `sha256:${'0'.repeat(64)}` } });
    expect(await codeOf(() => c.manifest(TARGET, '1.0.0', undefined))).toBe('S3001');
    registry.tamper = (request, response) => (request.url.pathname.includes('/blobs/') ? { ...response, body: Buffer.alloc(response.body.length, 1) } : undefined);
    expect(await codeOf(() => c.blob(TARGET, { mediaType: 'x', digest: pushed.layerDigest, size: registry.blobs.get(pushed.layerDigest)!.length }, undefined))).toBe('S3001');
  });

  it('never downloads a layer above the limit, or more bytes than the descriptor says', async () => {
    const registry = new FakeRegistry();
    const pushed = registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    const c = client(registry, { ...DEFAULT_SOURCE_LIMITS, maxLayerBytes: 100 });
    const before = registry.requests.length;
    expect(await codeOf(() => c.blob(TARGET, { mediaType: 'x', digest: pushed.layerDigest, size: 1 << 30 }, undefined))).toBe('S3002');
    expect(registry.requests.length).toBe(before);
    const honest = client(registry);
    expect(await codeOf(() => honest.blob(TARGET, { mediaType: 'x', digest: pushed.layerDigest, size: 10 }, undefined))).toBe('S3002');
  });

  it('maps statuses to codes: 404 S2002, 500/429 S2003, 401 without a challenge it can answer S2001/S2004', async () => {
    const registry = new FakeRegistry();
    const c = client(registry);
    expect(await codeOf(() => c.manifest(TARGET, 'missing', undefined))).toBe('S2002');
    for (const status of [500, 503, 429]) {
      registry.tamper = (_r, response) => ({ ...response, status, body: Buffer.alloc(0) });
      expect(await codeOf(() => c.manifest(TARGET, 'x', undefined))).toBe('S2003');
    }
    registry.tamper = (_r, response) => ({ ...response, status: 401, headers: { 'www-authenticate': 'Negotiate' }, body: Buffer.alloc(0) });
    expect(await codeOf(() => c.manifest(TARGET, 'x', undefined))).toBe('S2004');
    registry.tamper = (_r, response) => ({ ...response, status: 418, body: Buffer.alloc(0) });
    expect(await codeOf(() => c.manifest(TARGET, 'x', undefined))).toBe('S2004');
    registry.tamper = undefined;
    registry.down = true;
    expect(await codeOf(() => c.manifest(TARGET, 'x', undefined))).toBe('S2003');
  });

  it('authenticates with Basic credentials, and says S2001 without or with wrong ones', async () => {
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    registry.auth = { scheme: 'basic', user: 'u', password: 'p' };
    expect(await codeOf(() => client(registry).manifest(TARGET, '1.0.0', undefined))).toBe('S2001');
    expect(await codeOf(() => client(registry).manifest(TARGET, '1.0.0', { username: 'u', password: 'wrong' }))).toBe('S2001');
    const c = client(registry);
    await c.manifest(TARGET, '1.0.0', { username: 'u', password: 'p' });
    // The Authorization is remembered: the second request goes out with it at once.
    const count = registry.requests.length;
    await c.manifest(TARGET, '1.0.0', { username: 'u', password: 'p' });
    expect(registry.requests.length).toBe(count + 1);
  });

  it('runs the Bearer token flow with credentials or anonymously, and reuses the token until it expires', async () => {
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    registry.auth = { scheme: 'bearer', user: 'u', password: 'p' };
    let now = 0;
    const c = client(registry, DEFAULT_SOURCE_LIMITS, () => now);
    await c.manifest(TARGET, '1.0.0', { username: 'u', password: 'p' });
    const token = registry.requests.find((r) => r.url.pathname === '/token')!;
    expect(token.url.searchParams.get('scope')).toBe('repository:team/policy:pull');
    expect(token.url.searchParams.get('service')).toBe('registry.test');
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const tokenRequests = () => registry.requests.filter((r) => r.url.pathname === '/token').length;
    await c.manifest(TARGET, '1.0.0', { username: 'u', password: 'p' });
    expect(tokenRequests()).toBe(1);
    now += 301_000;
    await c.manifest(TARGET, '1.0.0', { username: 'u', password: 'p' });
    expect(tokenRequests()).toBe(2);
    // Anonymous: the token service refuses unless anonymous pulls are allowed.
    expect(await codeOf(() => client(registry).manifest(TARGET, '1.0.0', undefined))).toBe('S2001');
    registry.auth = { ...registry.auth, anonymousPull: true };
    await client(registry).manifest(TARGET, '1.0.0', undefined);
  });

  it('refuses a token realm over plain HTTP (credentials would travel in clear)', async () => {
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    registry.tamper = (request, response) =>
      request.url.pathname.startsWith('/v2/') && !request.headers.authorization
        ? { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://evil.example/token",service="x"' }, body: Buffer.alloc(0) }
        : response;
    expect(await codeOf(() => client(registry).manifest(TARGET, '1.0.0', { username: 'u', password: 'p' }))).toBe('S2004');
    expect(registry.requests.some((r) => r.url.host === 'evil.example')).toBe(false);
  });

  it('follows redirects to HTTPS storage without the Authorization header; refuses HTTPS->HTTP and endless redirects', async () => {
    const registry = new FakeRegistry();
    const pushed = registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    registry.auth = { scheme: 'basic', user: 'u', password: 'p' };
    const blob = registry.blobs.get(pushed.layerDigest)!;
    const descriptor = { mediaType: 'x', digest: pushed.layerDigest, size: blob.length };
    const redirectTo = (location: string) => (request: { url: URL }, response: HttpResponse): HttpResponse | undefined => {
      if (request.url.host === 'storage.test') return { status: 200, headers: {}, body: blob };
      if (request.url.pathname.includes('/blobs/') && response.status === 200) return { status: 307, headers: { location }, body: Buffer.alloc(0) };
      return undefined;
    };
    registry.tamper = redirectTo('https://storage.test/blob?sig=1');
    expect(sha256(await client(registry).blob(TARGET, descriptor, { username: 'u', password: 'p' }))).toBe(pushed.layerDigest);
    const atStorage = registry.requests.filter((r) => r.url.host === 'storage.test');
    expect(atStorage.length).toBe(1);
    expect(atStorage[0]!.headers.authorization).toBeUndefined();

    registry.tamper = redirectTo('http://169.254.169.254/latest/meta-data');
    expect(await codeOf(() => client(registry).blob(TARGET, descriptor, { username: 'u', password: 'p' }))).toBe('S2004');
    expect(registry.requests.some((r) => r.url.host === '169.254.169.254')).toBe(false);

    registry.tamper = (request) => ({ status: 302, headers: { location: request.url.toString() }, body: Buffer.alloc(0) });
    expect(await codeOf(() => client(registry).blob(TARGET, descriptor, undefined))).toBe('S2004');
  });

  it('gives up a whole call when its signal fires: across redirects, and inside an exchange that never ends (S2003)', async () => {
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    // Each hop answers after 40 ms with another redirect: 5 hops would take 200 ms.
    let hops = 0;
    const redirecting = new RegistryClient({
      transport: async (request) => {
        hops++;
        expect(request.signal).toBeDefined();
        await new Promise((resolve) => setTimeout(resolve, 40));
        return { status: 307, headers: { location: `https://registry.test/v2/team/policy/manifests/1.0.0?hop=${hops}` }, body: Buffer.alloc(0) };
      },
      limits: DEFAULT_SOURCE_LIMITS,
    });
    const started = Date.now();
    const reason = new SourceError('S2003', 'the check of registry.test/team/policy:1.0.0 ran out of time');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 100);
    await expect(redirecting.manifest(TARGET, '1.0.0', undefined, controller.signal)).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(180);
    expect(hops).toBeLessThan(5);
    // An exchange that never answers ends with the signal, not with the exchange's own 30 s timeout.
    const silent = new RegistryClient({ transport: () => new Promise(() => undefined), limits: DEFAULT_SOURCE_LIMITS });
    expect(await codeOf(() => silent.tags(TARGET, undefined, AbortSignal.timeout(50)))).toBe('S2003');
    // A signal that already fired sends nothing.
    const before = registry.requests.length;
    expect(await codeOf(() => client(registry).manifest(TARGET, '1.0.0', undefined, AbortSignal.abort()))).toBe('S2003');
    expect(registry.requests.length).toBe(before);
  });

  it('lists tags across pages, staying on the repository', async () => {
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    let page = 0;
    registry.tamper = (request, response) => {
      if (!request.url.pathname.endsWith('/tags/list')) return undefined;
      page++;
      if (page === 1) return { status: 200, headers: { link: '</v2/team/policy/tags/list?n=1&last=1.0.0>; rel="next"' }, body: Buffer.from('{"tags":["1.0.0"]}') };
      if (page === 2) return { status: 200, headers: { link: '<https://elsewhere.test/v2/other/tags/list>; rel="next"' }, body: Buffer.from('{"tags":["2.0.0"]}') };
      return response;
    };
    expect(await client(registry).tags(TARGET, undefined)).toEqual(['1.0.0', '2.0.0']);
    expect(page).toBe(2);
  });

  it('speaks plain HTTP only to configured loopback registries', async () => {
    const registry = new FakeRegistry('127.0.0.1:5000');
    registry.push('team/policy', '1.0.0', { 'main.k': 'a = 1\n' });
    const plain = new RegistryClient({ transport: registry.transport, limits: DEFAULT_SOURCE_LIMITS, plainHttpRegistries: new Set(['127.0.0.1:5000', 'example.com']) });
    await plain.manifest({ registry: '127.0.0.1:5000', repository: 'team/policy' }, '1.0.0', undefined);
    expect(registry.requests.at(-1)!.url.protocol).toBe('http:');
    await plain.manifest({ registry: 'example.com', repository: 'team/policy' }, '1.0.0', undefined).catch(() => undefined);
    expect(registry.requests.at(-1)!.url.protocol).toBe('https:');
  });
});
