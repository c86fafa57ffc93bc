// oci:// sources against a real registry on 127.0.0.1 (crane registry serve, behind an HTTPS
// front that can demand authentication), with packages published by oras the way
// `kcl mod push` publishes them. Proves the whole path: reference -> tag -> manifest -> layer ->
// files -> compiled program -> admission decision, and the outage behaviour.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { main as evalMain } from '../../src/cli/eval.js';
import { InProcessExecutor, kclCompiler, PolicySet } from '../../src/engine/index.js';
import { createSourceResolver, type SourceConfig } from '../../src/sources/index.js';
import { capture } from '../cli/cli-harness.js';
import { startRegistry, type TestRegistry } from '../support/oci-registry.js';
import { thrownCode } from '../support/error-codes.js';

const STAMP = {
  'kcl.mod': '[package]\nname = "stamp"\nedition = "v0.9.0"\nversion = "1.0.0"\n',
  'main.k': 'import .lib\nitems = [lib.stamp(i, option("params").value) for i in option("items")]\n',
  'lib/lib.k': 'stamp = lambda item, value: str { item | {metadata.labels.stamped = value} }\n',
};

const work = mkdtempSync(join(tmpdir(), 'kclguard-oci-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function kclRun(name: string, source: string, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'krm.kcl.dev/v1alpha1', kind: 'KCLRun', metadata: { name, namespace: 'team-a' }, spec: { source, params: { value: 'yes' }, ...extra } };
}

function resolverFor(registry: TestRegistry, config: Partial<SourceConfig> = {}) {
  return createSourceResolver({ caPem: [registry.caPem], kclRegistry: { registry: registry.host, repository: 'kcl' }, ...config }).resolver;
}

describe('a real registry without authentication (HTTPS, trusted through --registry-ca-file)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  }, 180_000);
  afterAll(() => registry?.stop());

  it('pulls what oras pushed as kcl mod push does, by tag, and the policy acts (kclguard eval)', async () => {
    const digest = registry.push('policies/stamp', '1.0.0', STAMP);
    const policyFile = join(work, 'policy.yaml');
    writeFileSync(policyFile, yaml.dump(kclRun('stamp', `oci://${registry.host}/policies/stamp:1.0.0`)));
    const resourceFile = join(work, 'cm.yaml');
    writeFileSync(resourceFile, yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team-a' } }));
    const result = await capture(() =>
      evalMain(['--policy', policyFile, '--resource', resourceFile, '--output', 'json', '--registry-ca-file', registry.caFile, '--source-cache-dir', join(work, 'cache')]),
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const decision = JSON.parse(result.out) as { object: { metadata: { labels: Record<string, string> } } };
    expect(decision.object.metadata.labels.stamped).toBe('yes');
    const resolution = await resolverFor(registry).resolve({ identity: { key: 'team-a/stamp', kind: 'KCLRun', namespace: 'team-a' }, spec: { source: `oci://${registry.host}/policies/stamp@${digest}` } });
    expect(resolution.ok && resolution.resolved.digest).toBe(digest);
  });

  it('takes the latest version without a tag, sees a moved tag at the next check, and acts on the last good version during an outage', async () => {
    registry.push('policies/moving', '0.9.0', STAMP);
    const first = registry.push('policies/moving', '1.0.0', STAMP);
    let now = 0;
    const handle = createSourceResolver({ caPem: [registry.caPem], now: () => now, refreshSeconds: 60, retrySeconds: 10 });
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }), resolver: handle.resolver });
    const load = async () => (await set.replace([{ doc: kclRun('moving', `oci://${registry.host}/policies/moving`) }])).snapshot.policies[0]!;
    expect((await load()).source).toEqual({ digest: first });

    const second = registry.push('policies/moving', '1.0.0', { ...STAMP, 'main.k': `${STAMP['main.k']}# v2\n` });
    const puller = (handle.resolver as unknown as { options: { puller: { checkForUpdates(): Promise<boolean> } } }).options.puller;
    now += 61_000;
    expect(await puller.checkForUpdates()).toBe(true);
    const moved = await load();
    expect(moved).toMatchObject({ state: 'ready', source: { digest: second } });

    await registry.setDown(true);
    try {
      now += 61_000;
      expect(await puller.checkForUpdates()).toBe(true);
      const stale = await load();
      expect(stale.state).toBe('ready');
      expect(stale.source?.digest).toBe(second);
      expect(stale.source?.stale).toMatch(/^spec.source: S2003 /);
      // A policy that never resolved is not ready and acts nowhere.
      const never = (await set.replace([{ doc: kclRun('never', `oci://${registry.host}/policies/never:1.0.0`) }])).snapshot.policies[0]!;
      expect(never.state).toBe('invalid');
      expect(never.sourceError).toMatch(/^S2003/);
    } finally {
      await registry.setDown(false);
    }
    now += 11_000;
    expect(await puller.checkForUpdates()).toBe(true);
    expect((await load()).source).toEqual({ digest: second });
  });

  it('refuses a certificate it does not trust, and speaks plain HTTP to loopback only when told to', async () => {
    registry.push('policies/tls', '1.0.0', STAMP);
    const untrusted = await createSourceResolver({}).resolver.resolve({ identity: { key: 'team-a/tls', kind: 'KCLRun' }, spec: { source: `oci://${registry.host}/policies/tls:1.0.0` } });
    expect(untrusted.ok).toBe(false);
    expect(untrusted.ok ? '' : untrusted.error).toMatch(/^S2003 .*certificate/);
    const plain = await createSourceResolver({ plainHttpRegistries: [registry.plainHost] }).resolver.resolve({ identity: { key: 'team-a/tls', kind: 'KCLRun' }, spec: { source: `oci://${registry.plainHost}/policies/tls:1.0.0` } });
    expect(plain.ok).toBe(true);
    expect(thrownCode(() => createSourceResolver({ plainHttpRegistries: ['registry.example.com:5000'] }))).toBe('S1003');
  });

  it('resolves spec.dependencies from the configured KCL registry (k8s = "1.31" style) and compiles the program', async () => {
    registry.push('kcl/labels', '1.31', { 'kcl.mod': '[package]\nname = "labels"\nversion = "1.31"\n', 'labels.k': 'schema Labels:\n    team: str\n' });
    const source = 'import labels\nl = labels.Labels {team = "a"}\nitems = [i | {metadata.labels.team = l.team} for i in option("items")]\n';
    const resolver = resolverFor(registry);
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }), resolver });
    const [policy] = (await set.replace([{ doc: kclRun('deps', source, { dependencies: 'labels = "1.31"\n' }) }])).snapshot.policies;
    expect(policy).toMatchObject({ state: 'ready' });
    expect(policy!.source?.digest).toMatch(/^sha256:/);
  });
});

describe.each(['basic', 'bearer'] as const)('a real registry demanding %s authentication', (scheme) => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ scheme, user: 'puller', password: 's3cret' });
  }, 180_000);
  afterAll(() => registry?.stop());

  it('is refused without credentials (S2001) and pulls with the docker config credentials', async () => {
    registry.push('private/stamp', '1.0.0', STAMP);
    const definition = { identity: { key: 'team-a/p', kind: 'KCLRun', namespace: 'team-a' }, spec: { source: `oci://${registry.host}/private/stamp:1.0.0` } };
    const anonymous = await resolverFor(registry).resolve(definition);
    expect(anonymous.ok ? '' : anonymous.error.slice(0, 5)).toBe('S2001');
    const dockerConfig = join(work, `config-${scheme}.json`);
    writeFileSync(dockerConfig, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('puller:s3cret').toString('base64') } } }));
    const withCredentials = await resolverFor(registry, { credentials: async () => (await import('../../src/sources/index.js')).parseDockerConfig(JSON.stringify({ auths: { [registry.host]: { username: 'puller', password: 's3cret' } } }), 'test') }).resolve(definition);
    expect(withCredentials.ok).toBe(true);
    expect(registry.served.some((path) => path.includes('/blobs/'))).toBe(true);

    // The offline CLI reads the same credentials from --docker-config.
    const policyFile = join(work, `private-${scheme}.yaml`);
    writeFileSync(policyFile, yaml.dump(kclRun('stamp', definition.spec.source)));
    const resourceFile = join(work, 'cm.yaml');
    writeFileSync(resourceFile, yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team-a' } }));
    const args = ['--policy', policyFile, '--resource', resourceFile, '--output', 'json', '--registry-ca-file', registry.caFile, '--source-cache-dir', 'none'];
    const denied = await capture(() => evalMain([...args, '--docker-config', join(work, 'missing.json')]));
    expect(denied.code).toBe(2);
    expect(denied.err).toContain('S4001');
    const allowed = await capture(() => evalMain([...args, '--docker-config', dockerConfig]));
    expect(allowed.err).toBe('');
    expect(allowed.code).toBe(0);
  });
});
