// The resolver over a fake registry: caching by digest, tags that move, outages (stale, last
// good), credentials per policy, the load budget, dependencies, and that a resolved package
// compiles with the real KCL compiler.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePackage, memoryLoader } from '../kcl/index.js';
import { createSourceResolver, DEFAULT_SOURCE_BUDGET, type SourceConfig } from './create-resolver.js';
import type { CredentialStore } from './credentials.js';
import type { Resolution, ResolvableDefinition } from './source-resolver.js';
import { FakeRegistry } from './testing/fake-registry.js';
import { gzip, packageTar, tar } from './testing/tar-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  jest.useRealTimers();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-sources-'));
  dirs.push(dir);
  return dir;
}

function policy(source: string, extra: Partial<ResolvableDefinition['spec']> = {}, key = 'team-a/p'): ResolvableDefinition {
  const [namespace, name] = key.split('/') as [string, string];
  return { identity: { key, kind: 'KCLRun', namespace }, spec: { source, ...extra }, ...{ name } };
}

function setup(registry: FakeRegistry, config: Partial<SourceConfig> = {}) {
  let now = 1_000_000;
  const handle = createSourceResolver({ transport: registry.transport, now: () => now, refreshSeconds: 300, retrySeconds: 30, kclRegistry: { registry: registry.host, repository: 'kcl' }, ...config });
  return { resolver: handle.resolver, advance: (ms: number) => (now += ms) };
}

function ok(resolution: Resolution) {
  if (!resolution.ok) throw new Error(`expected a resolution, got: ${resolution.error}`);
  return resolution;
}

function errorCode(resolution: Resolution): string | undefined {
  return resolution.ok ? undefined : resolution.error.slice(0, 5);
}

const MAIN = 'items = [i | {metadata.labels.pulled = "yes"} for i in option("items")]\n';

describe('OciSourceResolver', () => {
  it('resolves an oci:// source to the package files, which compile with compilePackage', async () => {
    const registry = new FakeRegistry();
    const pushed = registry.push('team/policy', '1.0.0', { 'kcl.mod': '[package]\nname = "policy"\nversion = "1.0.0"\n', 'main.k': 'import .lib\nitems = [lib.stamp(i) for i in option("items")]\n', 'lib.k': 'stamp = lambda i { i | {metadata.labels.pulled = "yes"} }\n' });
    const { resolver } = setup(registry);
    const { resolved, stale } = ok(await resolver.resolve(policy('oci://registry.test/team/policy:1.0.0')));
    expect(stale).toBeUndefined();
    expect(resolved.digest).toBe(pushed.digest);
    expect(resolved.root).toBe('/oci/registry.test/team/policy');
    expect(Object.keys(resolved.files).sort()).toEqual(['/oci/registry.test/team/policy/kcl.mod', '/oci/registry.test/team/policy/lib.k', '/oci/registry.test/team/policy/main.k']);
    const compiled = compilePackage(resolved.root, memoryLoader(resolved.files));
    expect(compiled.ok).toBe(true);
  });

  it('asks the registry once per refresh interval; a moved tag is seen by checkForUpdates and the next load', async () => {
    const registry = new FakeRegistry();
    const first = registry.push('team/policy', '1.0.0', { 'main.k': MAIN });
    const { resolver, advance } = setup(registry);
    const changes: number[] = [];
    resolver.onChange(() => changes.push(1));
    const source = policy('oci://registry.test/team/policy:1.0.0');
    expect(ok(await resolver.resolve(source)).resolved.digest).toBe(first.digest);
    const count = registry.requests.length;
    await resolver.resolve(source);
    await resolver.resolve(policy('oci://registry.test/team/policy:1.0.0', {}, 'team-b/other'));
    expect(registry.requests.length).toBe(count);

    const second = registry.push('team/policy', '1.0.0', { 'main.k': `${MAIN}# v2\n` });
    const puller = (resolver as unknown as { options: { puller: { checkForUpdates(): Promise<boolean> } } }).options.puller;
    expect(await puller.checkForUpdates()).toBe(false);
    advance(300_000);
    expect(await puller.checkForUpdates()).toBe(true);
    expect(ok(await resolver.resolve(source)).resolved.digest).toBe(second.digest);
    expect(await puller.checkForUpdates()).toBe(false);
  });

  it('keeps acting on the last good version while the registry is down (stale, with the reason), and recovers', async () => {
    const registry = new FakeRegistry();
    const pushed = registry.push('team/policy', '1.0.0', { 'main.k': MAIN });
    const { resolver, advance } = setup(registry);
    const source = policy('oci://registry.test/team/policy:1.0.0');
    ok(await resolver.resolve(source));
    registry.down = true;
    advance(301_000);
    const stale = ok(await resolver.resolve(source));
    expect(stale.resolved.digest).toBe(pushed.digest);
    expect(stale.stale).toContain('S2003');
    // A policy that never resolved is not ready: it has no last good version.
    expect(errorCode(await resolver.resolve(policy('oci://registry.test/team/other:1.0.0', {}, 'team-a/never')))).toBe('S2003');
    registry.down = false;
    advance(31_000);
    expect(ok(await resolver.resolve(source)).stale).toBeUndefined();
  });

  it('a restarted kclguard whose registry is down starts from the disk cache (stale); a corrupted blob is never used', async () => {
    const registry = new FakeRegistry();
    const pushed = registry.push('team/policy', '1.0.0', { 'main.k': MAIN });
    const cacheDir = tempDir();
    ok(await setup(registry, { cacheDir }).resolver.resolve(policy('oci://registry.test/team/policy:1.0.0')));
    registry.down = true;
    const restarted = ok(await setup(registry, { cacheDir }).resolver.resolve(policy('oci://registry.test/team/policy:1.0.0')));
    expect(restarted.resolved.digest).toBe(pushed.digest);
    expect(restarted.stale).toContain('S2003');
    // Tamper with every cached blob: a restart now has nothing it can trust.
    const blobs = join(cacheDir, 'blobs', 'sha256');
    const cached = readdirSync(blobs);
    for (const name of cached) writeFileSync(join(blobs, name), 'tampered');
    expect(errorCode(await setup(registry, { cacheDir }).resolver.resolve(policy('oci://registry.test/team/policy:1.0.0')))).toBe('S2003');
    // The manifest that failed its hash was deleted on the spot.
    expect(readdirSync(blobs).length).toBeLessThan(cached.length);
  });

  it("serves content pulled with one policy's credentials to another only after the registry let that one in too", async () => {
    const registry = new FakeRegistry();
    registry.push('private/policy', '1.0.0', { 'main.k': MAIN });
    registry.auth = { scheme: 'basic', user: 'u', password: 'p' };
    const stores: Record<string, CredentialStore> = { 'team-a': new Map([['registry.test', { username: 'u', password: 'p' }]]) };
    const { resolver } = setup(registry, { credentials: async (d) => stores[d.identity.namespace ?? ''] });
    ok(await resolver.resolve(policy('oci://registry.test/private/policy:1.0.0', { credentialsSecret: 'regcred' }, 'team-a/p')));
    const stranger = await resolver.resolve(policy('oci://registry.test/private/policy:1.0.0', {}, 'team-b/p'));
    expect(errorCode(stranger)).toBe('S2001');
    const digestRef = await resolver.resolve(policy(`oci://registry.test/private/policy@${registry.tags.get('private/policy')!.get('1.0.0')}`, {}, 'team-b/q'));
    expect(errorCode(digestRef)).toBe('S2001');
  });

  it('reports credentials that cannot be read as S4001', async () => {
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': MAIN });
    const { resolver } = setup(registry, {
      credentials: async () => {
        throw new Error('secrets "regcred" is forbidden');
      },
    });
    expect(errorCode(await resolver.resolve(policy('oci://registry.test/team/policy:1.0.0', { credentialsSecret: 'regcred' })))).toBe('S4001');
  });

  it('without a tag takes the latest version tag', async () => {
    const registry = new FakeRegistry();
    registry.push('team/policy', '0.9.0', { 'main.k': MAIN });
    const latest = registry.push('team/policy', '0.10.0', { 'main.k': `${MAIN}# latest\n` });
    registry.push('team/policy', 'main', { 'main.k': '# not a version\n' });
    const { resolver } = setup(registry);
    expect(ok(await resolver.resolve(policy('oci://registry.test/team/policy'))).resolved.digest).toBe(latest.digest);
  });

  it('refuses registries outside the allowed list (S1003) and an invalid reference (S1001), without a request', async () => {
    const registry = new FakeRegistry();
    const { resolver } = setup(registry, { allowedRegistries: ['other.test'] });
    expect(errorCode(await resolver.resolve(policy('oci://registry.test/team/policy:1.0.0')))).toBe('S1003');
    expect(errorCode(await resolver.resolve(policy('oci://registry.test/../x')))).toBe('S1001');
    expect(registry.requests).toEqual([]);
  });

  it('gives a slow pull a budget: the load goes on without it, and onChange fires when it lands', async () => {
    jest.useFakeTimers();
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': MAIN });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = registry.transport;
    const { resolver } = setup(registry, { loadBudgetMs: 5000, transport: async (request) => (await gate, slow(request)) });
    let changed = 0;
    resolver.onChange(() => changed++);
    const pending = resolver.resolve(policy('oci://registry.test/team/policy:1.0.0'));
    await jest.advanceTimersByTimeAsync(5000);
    const first = await pending;
    expect(errorCode(first)).toBe('S2003');
    expect(first.ok ? '' : first.error).toContain('still being pulled');
    release();
    await jest.advanceTimersByTimeAsync(1);
    expect(changed).toBe(1);
    expect(ok(await resolver.resolve(policy('oci://registry.test/team/policy:1.0.0'))).stale).toBeUndefined();
  });

  it("resolves dependencies: registry names through the configured KCL registry, oci entries, transitive ones; the policy's entries win", async () => {
    const registry = new FakeRegistry();
    registry.push('kcl/k8s', '1.31', { 'kcl.mod': '[package]\nname = "k8s"\nversion = "1.31"\n', 'api/core/v1/pod.k': 'schema Pod:\n    kind: str = "Pod"\n' });
    registry.push('kcl/k8s', '1.30', { 'kcl.mod': '[package]\nname = "k8s"\nversion = "1.30"\n', 'api/core/v1/pod.k': 'schema Pod:\n    kind: str = "Old"\n' });
    registry.push('libs/helper', '0.1.0', { 'kcl.mod': '[package]\nname = "helper"\n\n[dependencies]\nk8s = "1.30"\n', 'helper.k': 'import k8s.api.core.v1 as core\nkind = core.Pod{}.kind\n' });
    const { resolver } = setup(registry);
    const dependencies = 'k8s = "1.31"\nhelper = { oci = "oci://registry.test/libs/helper", tag = "0.1.0" }\n';
    const source = 'import helper\nimport k8s.api.core.v1 as core\nhelperKind = helper.kind\npod = core.Pod{}\n';
    const { resolved } = ok(await resolver.resolve(policy(source, { dependencies })));
    expect(resolved.externalPackages).toEqual({ k8s: '/kcl-deps/k8s_1.31', helper: '/kcl-deps/helper_0.1.0' });
    expect(resolved.root).toBe('/kclrun/team-a');
    expect(resolved.files['/kclrun/team-a/p.k']).toBe(source);
    const program = compilePackage(resolved.root, memoryLoader(resolved.files), { externalPackages: resolved.externalPackages! });
    if (!program.ok) throw new Error(JSON.stringify(program.diagnostics));
    const run = program.program.run({});
    if (!run.ok) throw new Error(JSON.stringify(run.diagnostic));
    // helper asked for k8s 1.30, but the policy's 1.31 is the one version in the program.
    expect(String(run.exports.get('helperKind'))).toBe('Pod');
    // One digest for the whole program: it moves when a dependency moves.
    const before = resolved.digest;
    registry.push('kcl/k8s', '1.31', { 'kcl.mod': '[package]\nname = "k8s"\n', 'api/core/v1/pod.k': 'schema Pod:\n    kind: str = "Pod2"\n' });
    const { resolver: fresh } = setup(registry);
    expect(ok(await fresh.resolve(policy(source, { dependencies }))).resolved.digest).not.toBe(before);
  });

  it("never lets a dependency's name or version place files over the policy's own", async () => {
    const registry = new FakeRegistry();
    const app = { 'kcl.mod': '[package]\nname = "app"\n\n[dependencies]\nlib = { oci = "oci://registry.test/libs/lib", tag = "1" }\n', 'main.k': 'import lib\nresult = "the policy"\n' };
    registry.push('team/app', '1', app);
    const hijack = registry.push('evil/h', '1', { 'main.k': 'result = "hijacked by a transitive dependency"\n' });
    // A dependency anywhere in the tree, never imported, whose version climbs out of /kcl-deps.
    const climbing = `z = { oci = "oci://registry.test/evil/h@${hijack.digest}", version = "1/../../../oci/registry.test/team/app" }`;
    registry.push('libs/lib', '1', { 'kcl.mod': `[package]\nname = "lib"\n\n[dependencies]\n${climbing}\n`, 'lib.k': 'x = 1\n' });
    const { resolver } = setup(registry);
    const { resolved } = ok(await resolver.resolve(policy('oci://registry.test/team/app:1')));
    expect(resolved.files['/oci/registry.test/team/app/main.k']).toBe(app['main.k']);
    expect(Object.keys(resolved.files).filter((path) => path.split('/').includes('..'))).toEqual([]);
    expect(Object.values(resolved.files).some((text) => text.includes('hijacked'))).toBe(false);
    // The same entry in the policy's own spec.dependencies is refused outright.
    expect(errorCode(await resolver.resolve(policy(MAIN, { dependencies: climbing })))).toBe('S1002');
  });

  it('takes vendored dependencies from the package, refuses git ones (S1002) and path ones of an inline source', async () => {
    const registry = new FakeRegistry();
    registry.push('team/vendored', '1.0.0', { 'kcl.mod': '[package]\nname = "v"\n\n[dependencies]\nk8s = "1.31"\n', 'main.k': 'import k8s\na = k8s.x\n', 'vendor/k8s_1.31/kcl.mod': '[package]\nname = "k8s"\n', 'vendor/k8s_1.31/k.k': 'x = 1\n' });
    const { resolver } = setup(registry);
    const vendored = ok(await resolver.resolve(policy('oci://registry.test/team/vendored:1.0.0')));
    expect(vendored.resolved.externalPackages).toBeUndefined();
    expect(compilePackage(vendored.resolved.root, memoryLoader(vendored.resolved.files)).ok).toBe(true);
    expect(errorCode(await resolver.resolve(policy(MAIN, { dependencies: 'konfig = { git = "https://github.com/x/y", tag = "v1" }' })))).toBe('S1002');
    expect(errorCode(await resolver.resolve(policy(MAIN, { dependencies: 'lib = { path = "../lib" }' })))).toBe('S1002');
    expect(errorCode(await resolver.resolve(policy(MAIN, { dependencies: 'k8s = ' })))).toBe('S1002');
  });

  it('stops a dependency chain at the package limit (S3002)', async () => {
    const registry = new FakeRegistry();
    for (let i = 0; i < 10; i++) registry.push(`kcl/d${i}`, '1', { 'kcl.mod': `[package]\nname = "d${i}"\n\n[dependencies]\nd${i + 1} = "1"\n`, 'x.k': 'x = 1\n' });
    const { resolver } = setup(registry, { limits: { maxPackages: 5 } });
    expect(errorCode(await resolver.resolve(policy(MAIN, { dependencies: 'd0 = "1"' })))).toBe('S3002');
  });

  it('refuses a hostile package layer (a link) as S3003 and keeps the last good version for the same spec', async () => {
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': MAIN });
    const { resolver, advance } = setup(registry);
    const source = policy('oci://registry.test/team/policy:1.0.0');
    const good = ok(await resolver.resolve(source));
    registry.push('team/policy', '1.0.0', {}, tar([{ name: 'main.k', type: '2', linkName: '/etc/shadow' }]));
    advance(301_000);
    const after = ok(await resolver.resolve(source));
    expect(after.resolved.digest).toBe(good.resolved.digest);
    expect(after.stale).toContain('S3003');
    // Another policy naming the hostile artifact directly never acts.
    expect(errorCode(await resolver.resolve(policy('oci://registry.test/team/policy:1.0.0', {}, 'team-b/p')))).toBe('S3003');
    expect(packageTar({ 'main.k': MAIN }).length).toBeGreaterThan(0);
  });

  it('asks for a reload when a failing policy is due for another try (what fixes it, a Secret or a grant, is outside the policy)', async () => {
    jest.useFakeTimers();
    const registry = new FakeRegistry();
    registry.push('team/policy', '1.0.0', { 'main.k': MAIN });
    let granted = false;
    const { resolver, advance } = setup(registry, {
      credentials: async () => {
        if (!granted) throw new Error('forbidden');
        return undefined;
      },
    });
    let reloads = 0;
    resolver.onChange(() => reloads++);
    resolver.watch(1000);
    const source = policy('oci://registry.test/team/policy:1.0.0', { credentialsSecret: 'regcred' });
    expect(errorCode(await resolver.resolve(source))).toBe('S4001');
    await jest.advanceTimersByTimeAsync(1000);
    expect(reloads).toBe(0);
    advance(30_000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(reloads).toBe(1);
    granted = true;
    ok(await resolver.resolve(source));
    advance(60_000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(reloads).toBe(1);
    resolver.close();
  });

  it('asks for a failing policy\'s reload at the tick, not after a slow registry\'s check ends', async () => {
    jest.useFakeTimers();
    const registry = new FakeRegistry();
    registry.push('team/slow', '1.0.0', { 'main.k': MAIN });
    registry.push('team/policy', '1.0.0', { 'main.k': MAIN });
    let hang = false;
    const transport = registry.transport;
    const { resolver, advance } = setup(registry, {
      refreshSeconds: 40,
      transport: (request) => (hang && request.url.pathname.includes('team/slow') ? new Promise(() => undefined) : transport(request)),
      credentials: async (definition) => {
        if (definition.spec.credentialsSecret) throw new Error('forbidden');
        return undefined;
      },
    });
    ok(await resolver.resolve(policy('oci://registry.test/team/slow:1.0.0')));
    let reloads = 0;
    resolver.onChange(() => reloads++);
    resolver.watch(1000);
    expect(errorCode(await resolver.resolve(policy('oci://registry.test/team/policy:1.0.0', { credentialsSecret: 'regcred' }, 'team-b/p')))).toBe('S4001');
    // The slow reference is due for its refresh (40 s), and its registry now never answers; the
    // failing policy is due for its retry (30 s).
    hang = true;
    advance(45_000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(reloads).toBe(1);
    resolver.close();
  });

  describe('memory (an attacker publishing highly compressible .k files)', () => {
    const MiB = 1024 * 1024;
    /** A package of one .k file of repeated characters: 3.5 MiB of text in a layer of a few KiB. */
    function pushBomb(registry: FakeRegistry, repository: string, chars = 3.5 * MiB, fill = 'a'): void {
      const files = { 'main.k': `items = option("items")\npad = "${fill.repeat(chars)}${repository}"\n` };
      const layer = gzip(packageTar(files));
      expect(layer.length).toBeLessThan(64 * 1024);
      registry.push(repository, '1.0.0', files, layer);
    }

    it('fails the policies that would go over the budget (S3004), holds no more than it, and keeps other namespaces working', async () => {
      const registry = new FakeRegistry();
      registry.push('team-b/policy', '1.0.0', { 'main.k': MAIN });
      for (let i = 0; i < 8; i++) pushBomb(registry, `attacker/p${i}`);
      const { resolver } = setup(registry);
      const held = (namespace?: string) => resolver.heldBytes(namespace);
      const bystander = policy('oci://registry.test/team-b/policy:1.0.0', {}, 'team-b/p');
      ok(await resolver.resolve(bystander));

      const attacks = await Promise.all(Array.from({ length: 8 }, (_, i) => resolver.resolve(policy(`oci://registry.test/attacker/p${i}:1.0.0`, {}, `team-a/p${i}`))));
      const codes = attacks.map(errorCode);
      // 16 MiB for one namespace: four 3.5 MiB programs fit, the others fail alone.
      expect(codes.filter((code) => code === undefined)).toHaveLength(4);
      expect(codes.filter((code) => code === 'S3004')).toHaveLength(4);
      const refused = attacks.find((r) => !r.ok);
      expect(refused?.ok ? '' : refused?.error).toContain('namespace team-a');
      expect(held('team-a')).toBeLessThanOrEqual(DEFAULT_SOURCE_BUDGET.namespaceBytes);

      // Other namespaces fill the total (32 MiB): the last ones over it fail, what is held stays bounded.
      for (const team of ['team-c', 'team-d', 'team-e']) for (let i = 0; i < 4; i++) pushBomb(registry, `${team}/p${i}`);
      const more = [];
      for (const team of ['team-c', 'team-d', 'team-e']) for (let i = 0; i < 4; i++) more.push(await resolver.resolve(policy(`oci://registry.test/${team}/p${i}:1.0.0`, {}, `${team}/p${i}`)));
      expect(more.map(errorCode)).toContain('S3004');
      expect(held()).toBeLessThanOrEqual(DEFAULT_SOURCE_BUDGET.totalBytes);
      expect(held()).toBeGreaterThan(DEFAULT_SOURCE_BUDGET.totalBytes - 4 * MiB);
      // A policy already held keeps resolving (a reload of every policy costs nothing new) ...
      expect(ok(await resolver.resolve(bystander)).stale).toBeUndefined();
      expect(attacks.filter((r) => r.ok).length).toBe(4);
      ok(await resolver.resolve(policy('oci://registry.test/attacker/p0:1.0.0', {}, `team-a/p${codes.indexOf(undefined)}`)));
      // ... and a small policy that shares a held package still fits.
      ok(await resolver.resolve(policy('oci://registry.test/team-b/policy:1.0.0', {}, 'team-f/p')));

      // Deleted policies stop counting: the namespace's refused policies load once it has room.
      const kept = ['team-b/p', 'team-f/p'];
      resolver.retain(kept);
      expect(held('team-a')).toBe(0);
      expect(held()).toBeLessThan(MiB);
      const retried = await resolver.resolve(policy(`oci://registry.test/attacker/p${codes.indexOf('S3004')}:1.0.0`, {}, 'team-a/again'));
      expect(errorCode(retried)).toBeUndefined();
    });

    it('counts two bytes a character for text beyond Latin-1, and caps a file (4 MiB) and a program (16 MiB) as S3002', async () => {
      const registry = new FakeRegistry();
      pushBomb(registry, 'wide/p', 1.2 * MiB, '\u20ac');
      pushBomb(registry, 'huge/file', 5 * MiB);
      for (let i = 0; i < 5; i++) {
        const files = { 'kcl.mod': `[package]\nname = "d${i}"\n`, 'd.k': `pad = "${'b'.repeat(3.5 * MiB)}${i}"\n` };
        registry.push(`kcl/d${i}`, '1', files, gzip(packageTar(files)));
      }
      const { resolver } = setup(registry);
      ok(await resolver.resolve(policy('oci://registry.test/wide/p:1.0.0')));
      expect(resolver.heldBytes()).toBeGreaterThan(2.4 * MiB);
      expect(errorCode(await resolver.resolve(policy('oci://registry.test/huge/file:1.0.0', {}, 'team-x/p')))).toBe('S3002');
      const dependencies = Array.from({ length: 5 }, (_, i) => `d${i} = "1"`).join('\n');
      const program = await resolver.resolve(policy(MAIN, { dependencies }, 'team-y/p'));
      expect(errorCode(program)).toBe('S3002');
      expect(program.ok ? '' : program.error).toContain('source and its dependencies');
    });
  });
});
