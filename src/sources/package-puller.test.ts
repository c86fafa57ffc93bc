// The puller's caches against tenants who share a kclguard: a layer one tenant pulled with its
// credentials must never reach another tenant through a manifest that merely names its digest,
// while a tenant the registry does let read the layer still gets the cached copy.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryCredential } from './credentials.js';
import { DiskCache } from './disk-cache.js';
import { SourceError } from './errors.js';
import type { HttpTransport } from './http-transport.js';
import { DEFAULT_SOURCE_LIMITS } from './limits.js';
import { PackagePuller, type PullerOptions } from './package-puller.js';
import { parseOciReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import { FakeRegistry } from './testing/fake-registry.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-puller-'));
  dirs.push(dir);
  return dir;
}

/** One transport for several fake registries, by host. */
function hosts(...registries: FakeRegistry[]): HttpTransport {
  return async (request) => {
    const registry = registries.find((r) => r.host === request.url.host);
    if (!registry) throw new SourceError('S2003', `${request.url.host} could not be resolved`);
    return registry.transport(request);
  };
}

function puller(transport: HttpTransport, options: Partial<PullerOptions> = {}): PackagePuller {
  let now = 1_000_000;
  return new PackagePuller({
    client: new RegistryClient({ transport, limits: DEFAULT_SOURCE_LIMITS }),
    limits: DEFAULT_SOURCE_LIMITS,
    refreshMs: 300_000,
    retryMs: 30_000,
    memoryBytes: 16 * 1024 * 1024,
    now: () => (now += 1),
    ...options,
  });
}

async function codeOf(run: Promise<unknown>): Promise<string | undefined> {
  try {
    await run;
    return undefined;
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    return error.code;
  }
}

const SECRET = 'dbPassword = "hunter2-of-tenant-a"\n';
const CRED_A: RegistryCredential = { username: 'alice', password: 'a-secret' };
const CRED_B: RegistryCredential = { username: 'bob', password: 'b-secret' };

/** Tenant A's private package on a.test, and tenant B's own registry b.test (blobs per repository, as real registries). */
function tenants() {
  const a = new FakeRegistry('a.test');
  const pushed = a.push('team-a/secrets', '1.0.0', { 'main.k': SECRET });
  a.auth = { scheme: 'basic', user: 'alice', password: 'a-secret' };
  const b = new FakeRegistry('b.test');
  b.auth = { scheme: 'basic', user: 'bob', password: 'b-secret' };
  b.repositoryScopedBlobs = true;
  // B's manifest names A's layer digest (and size); B never had the blob.
  const manifest = JSON.parse(pushed.manifest.toString('utf8')) as { annotations: Record<string, string> };
  manifest.annotations['org.kcllang.package.name'] = 'evil';
  const evil = b.pushManifest('team-b/evil', '1.0.0', Buffer.from(JSON.stringify(manifest)), pushed.layerDigest);
  // The same bytes as A's manifest (so the same manifest digest), in B's repository.
  b.pushManifest('team-b/twin', '1.0.0', pushed.manifest, pushed.layerDigest);
  return { a, b, pushed, evil, transport: hosts(a, b) };
}

function blobRequests(registry: FakeRegistry, method: 'GET' | 'HEAD'): number {
  return registry.requests.filter((r) => r.method === method && r.url.pathname.includes('/blobs/')).length;
}

describe('PackagePuller: cached layers across tenants', () => {
  it("refuses a manifest naming another tenant's private layer, from memory and from disk, as an uncached pull would", async () => {
    const { a, b, pushed, transport } = tenants();
    const cacheDir = tempDir();
    const shared = puller(transport, { disk: new DiskCache(cacheDir, 64 * 1024 * 1024) });
    const own = await shared.pull(parseOciReference('oci://a.test/team-a/secrets:1.0.0'), CRED_A);
    expect(own.content.files['main.k']).toBe(SECRET);
    expect(blobRequests(a, 'GET')).toBe(1);

    // B cannot read A's repository directly.
    expect(await codeOf(shared.pull(parseOciReference('oci://a.test/team-a/secrets:1.0.0'), CRED_B))).toBe('S2001');

    // What B's pulls give without any cache: the registry does not serve A's layer to B.
    const cold = puller(transport);
    const coldEvil = await codeOf(cold.pull(parseOciReference('oci://b.test/team-b/evil:1.0.0'), CRED_B));
    const coldTwin = await codeOf(cold.pull(parseOciReference('oci://b.test/team-b/twin:1.0.0'), CRED_B));
    expect(coldEvil).toBe('S2002');
    expect(coldTwin).toBe('S2002');
    const aRequests = a.requests.length;
    const bGets = blobRequests(b, 'GET');

    // Through the shared caches: the layer on disk (another manifest) and the unpacked package in
    // memory (the very same manifest digest) both stay A's.
    expect(await codeOf(shared.pull(parseOciReference('oci://b.test/team-b/evil:1.0.0'), CRED_B))).toBe(coldEvil);
    expect(await codeOf(shared.pull(parseOciReference('oci://b.test/team-b/twin:1.0.0'), CRED_B))).toBe(coldTwin);
    // ... and after a restart, from the disk cache alone.
    const restarted = puller(transport, { disk: new DiskCache(cacheDir, 64 * 1024 * 1024) });
    expect(await codeOf(restarted.pull(parseOciReference('oci://b.test/team-b/evil:1.0.0'), CRED_B))).toBe(coldEvil);
    expect(await codeOf(restarted.pull(parseOciReference('oci://b.test/team-b/twin:1.0.0'), CRED_B))).toBe(coldTwin);

    // Each refusal came from asking B's registry about the layer with B's credentials.
    expect(blobRequests(b, 'HEAD')).toBe(4); // the client's Basic credentials are cached per repository after the first 401
    expect(b.requests.filter((r) => r.method === 'HEAD' && r.headers.authorization !== undefined).map((r) => r.url.pathname)).toEqual([
      `/v2/team-b/evil/blobs/${pushed.layerDigest}`,
      `/v2/team-b/twin/blobs/${pushed.layerDigest}`,
      `/v2/team-b/evil/blobs/${pushed.layerDigest}`,
      `/v2/team-b/twin/blobs/${pushed.layerDigest}`,
    ]);
    expect(blobRequests(b, 'GET')).toBe(bGets);
    expect(a.requests.length).toBe(aRequests);

    // A itself is unaffected, from memory and after the restart (its grant is on disk: no request for the layer).
    expect((await shared.pull(parseOciReference('oci://a.test/team-a/secrets:1.0.0'), CRED_A)).content.files['main.k']).toBe(SECRET);
    expect((await restarted.pull(parseOciReference('oci://a.test/team-a/secrets:1.0.0'), CRED_A)).content.files['main.k']).toBe(SECRET);
    expect(blobRequests(a, 'GET') + blobRequests(a, 'HEAD')).toBe(1);
  });

  it('fails with S2001 when the registry refuses the layer to these credentials (403 on HEAD, as on GET)', async () => {
    const { b, transport } = tenants();
    b.tamper = (request, response) => (request.url.pathname.includes('/blobs/') ? { status: 403, headers: {}, body: Buffer.alloc(0) } : response);
    const cold = puller(transport);
    expect(await codeOf(cold.pull(parseOciReference('oci://b.test/team-b/evil:1.0.0'), CRED_B))).toBe('S2001');
    expect(await codeOf(cold.pull(parseOciReference('oci://b.test/team-b/twin:1.0.0'), CRED_B))).toBe('S2001');
    const shared = puller(transport, { disk: new DiskCache(tempDir(), 64 * 1024 * 1024) });
    await shared.pull(parseOciReference('oci://a.test/team-a/secrets:1.0.0'), CRED_A);
    expect(await codeOf(shared.pull(parseOciReference('oci://b.test/team-b/evil:1.0.0'), CRED_B))).toBe('S2001');
    expect(await codeOf(shared.pull(parseOciReference('oci://b.test/team-b/twin:1.0.0'), CRED_B))).toBe('S2001');
  });

  it('reuses the cached layer for an identity the registry lets read it (one HEAD, no second download), and remembers that', async () => {
    const { a, b, pushed, transport } = tenants();
    // B's repository really holds the layer (B pushed the same package, or mounted it).
    b.blobs.set(pushed.layerDigest, a.blobs.get(pushed.layerDigest)!);
    b.link('team-b/evil', pushed.layerDigest);
    const cacheDir = tempDir();
    const shared = puller(transport, { disk: new DiskCache(cacheDir, 64 * 1024 * 1024) });
    await shared.pull(parseOciReference('oci://a.test/team-a/secrets:1.0.0'), CRED_A);
    const pulled = await shared.pull(parseOciReference('oci://b.test/team-b/evil:1.0.0'), CRED_B);
    expect(pulled.content.files['main.k']).toBe(SECRET);
    expect(blobRequests(b, 'HEAD')).toBe(1);
    expect(blobRequests(b, 'GET')).toBe(0);
    // The grant is remembered: in memory, and on disk for a restart.
    await shared.pull(parseOciReference('oci://b.test/team-b/evil:1.0.0'), CRED_B);
    const restarted = puller(transport, { disk: new DiskCache(cacheDir, 64 * 1024 * 1024) });
    expect((await restarted.pull(parseOciReference('oci://b.test/team-b/evil:1.0.0'), CRED_B)).content.files['main.k']).toBe(SECRET);
    expect(blobRequests(b, 'HEAD')).toBe(1);
    expect(blobRequests(b, 'GET')).toBe(0);
  });
});

describe('PackagePuller: the refresh pass against a slow registry', () => {
  const MAIN = 'a = 1\n';
  const DEADLINE = 300;

  /**
   * good.test answers at once; slow.test, once `hang` is set, never finishes an exchange (with
   * `hangBlobs`, only those for blobs: the package layer and its access check).
   */
  function registries() {
    const good = new FakeRegistry('good.test');
    const slow = new FakeRegistry('slow.test');
    const state = { hang: false, hangBlobs: false, pending: 0, mostPending: 0, asked: 0 };
    const both = hosts(good, slow);
    const transport: HttpTransport = async (request) => {
      const hangs = state.hang || (state.hangBlobs && request.url.pathname.includes('/blobs/'));
      if (request.url.host !== 'slow.test' || !hangs) return both(request);
      state.pending++;
      state.asked++;
      state.mostPending = Math.max(state.mostPending, state.pending);
      // As a hostile registry: no answer until the client gives up.
      await new Promise<void>((resolve) => request.signal?.addEventListener('abort', () => resolve(), { once: true }));
      state.pending--;
      throw new SourceError('S2003', 'given up');
    };
    let now = 1_000_000;
    const clock = { advance: (ms: number) => (now += ms) };
    const make = (options: Partial<PullerOptions> = {}) =>
      puller(transport, { limits: { ...DEFAULT_SOURCE_LIMITS, referenceCheckMs: DEADLINE, packageFetchMs: DEADLINE }, now: () => now, ...options });
    return { good, slow, state, clock, make };
  }

  it("picks up a good reference's moved tag at once while a slow one waits out its own deadline, then marks that one failing", async () => {
    const { good, slow, state, clock, make } = registries();
    const p = make();
    for (let i = 0; i < 3; i++) slow.push(`team/slow${i}`, '1.0.0', { 'main.k': MAIN });
    good.push('team/good', '1.0.0', { 'main.k': MAIN });
    const slowRefs = [0, 1, 2].map((i) => parseOciReference(`oci://slow.test/team/slow${i}:1.0.0`));
    const goodRef = parseOciReference('oci://good.test/team/good:1.0.0');
    // The slow ones come first, as if their policies loaded first.
    for (const ref of slowRefs) await p.pull(ref, undefined);
    await p.pull(goodRef, undefined);

    state.hang = true;
    const moved = good.push('team/good', '1.0.0', { 'main.k': `${MAIN}# v2\n` });
    clock.advance(300_000);
    const started = Date.now();
    let changeSeenAfter: number | undefined;
    let passDone = false;
    const pass = p.checkForUpdates(() => (changeSeenAfter = Date.now() - started)).then((changed) => ((passDone = true), changed));
    await new Promise((resolve) => setTimeout(resolve, DEADLINE / 3));
    // The moved tag is known (and announced) while the slow references are still waiting.
    expect(changeSeenAfter).toBeDefined();
    expect(changeSeenAfter!).toBeLessThan(DEADLINE / 3);
    expect(passDone).toBe(false);
    expect(state.pending).toBe(3);
    expect((await p.pull(goodRef, undefined)).digest).toBe(moved.digest);

    expect(await pass).toBe(true);
    const passTook = Date.now() - started;
    expect(passTook).toBeGreaterThanOrEqual(DEADLINE - 20);
    expect(passTook).toBeLessThan(DEADLINE * 3);
    expect(state.pending).toBe(0);
    // The slow ones act on their last digest, stale with the deadline as the reason.
    for (const ref of slowRefs) {
      const stale = await p.pull(ref, undefined);
      expect(stale.stale).toContain('S2003');
      expect(stale.stale).toContain(`within ${DEADLINE} ms`);
    }
  });

  it('checks at most checkConcurrency references at once, and leaves a check still running to the pass that started it', async () => {
    const { slow, state, clock, make } = registries();
    const p = make({ checkConcurrency: 4 });
    const refs = [0, 1, 2, 3, 4, 5].map((i) => {
      slow.push(`team/slow${i}`, '1.0.0', { 'main.k': MAIN });
      return parseOciReference(`oci://slow.test/team/slow${i}:1.0.0`);
    });
    for (const ref of refs) await p.pull(ref, undefined);
    state.hang = true;
    clock.advance(300_000);
    const started = Date.now();
    expect(await p.checkForUpdates()).toBe(true);
    // Six references, four at a time: two deadlines, not six.
    expect(state.mostPending).toBe(4);
    expect(Date.now() - started).toBeLessThan(DEADLINE * 3);
    expect(state.asked).toBe(6);

    // Passes that overlap (one outlasting the timer's interval) never check a reference twice.
    clock.advance(30_000);
    const first = p.checkForUpdates();
    await new Promise((resolve) => setTimeout(resolve, DEADLINE / 3));
    const second = p.checkForUpdates();
    await Promise.all([first, second]);
    expect(state.asked).toBe(12);
    expect(state.pending).toBe(0);
  });

  it('gives fetching a package its own deadline: a layer that never arrives fails the pull (S2003) in time, and the next pull asks again', async () => {
    const { slow, state, make } = registries();
    const p = make();
    slow.push('team/pkg', '1.0.0', { 'main.k': MAIN });
    const ref = parseOciReference('oci://slow.test/team/pkg:1.0.0');
    state.hangBlobs = true;
    const started = Date.now();
    let failure: unknown;
    await p.pull(ref, undefined).catch((error: unknown) => (failure = error));
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).code).toBe('S2003');
    expect((failure as SourceError).message).toContain(`within ${DEADLINE} ms (manifest, layer and access check together)`);
    expect(Date.now() - started).toBeLessThan(DEADLINE * 3);
    expect(state.pending).toBe(0);

    state.hangBlobs = false;
    expect((await p.pull(ref, undefined)).content.files['main.k']).toBe(MAIN);
  });

  it("gives a cached layer's access check for another identity the same deadline", async () => {
    const { slow, state, make } = registries();
    const p = make();
    slow.push('team/pkg', '1.0.0', { 'main.k': MAIN });
    const ref = parseOciReference('oci://slow.test/team/pkg:1.0.0');
    await p.pull(ref, undefined);
    // Another identity's pull finds the layer cached, and must first HEAD it with its own credentials.
    state.hangBlobs = true;
    const started = Date.now();
    expect(await codeOf(p.pull(ref, CRED_A))).toBe('S2003');
    expect(Date.now() - started).toBeLessThan(DEADLINE * 3);
    expect(state.asked).toBe(1);
    expect(state.pending).toBe(0);
  });
});
