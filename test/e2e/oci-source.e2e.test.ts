// KCLRuns whose source is oci://127.0.0.1:PORT/... on the real API server: a real registry
// (crane behind an HTTPS front, test/support/oci-registry.ts), kclguard in cluster mode. Proves
// that the package acts, that status shows the digest, that a registry outage keeps the last good
// version acting (Ready with reason SourceStale) while a never-resolved policy is not Ready and
// acts nowhere, and that registry credentials are read as the policy's ServiceAccount.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../support/oci-registry.js';
import { startKclguard, type RunningKclguard } from './harness/kclguard.js';
import { configMap, deleteNamespace, dryRunCreate, freshNamespace, getPolicy, grant, installCrds, kclRun } from './harness/cluster-objects.js';
import { apply, eventually, kubectl, manifests } from './harness/kubectl.js';

const WEBHOOK_NAME = 'kclguard-e2e-oci';
const REFRESH_SECONDS = 10;
const RETRY_SECONDS = 2;

const STAMP = (value: string) => ({
  'kcl.mod': '[package]\nname = "stamp"\nedition = "v0.9.0"\nversion = "1.0.0"\n',
  'main.k': 'import .lib\nitems = [lib.stamp(i) for i in option("items")]\n',
  'lib/lib.k': `stamp = lambda item { item | {metadata.labels.stamped = "${value}"} }\n`,
});

let registry: TestRegistry;
let privateRegistry: TestRegistry;
let kclguard: RunningKclguard | undefined;
const namespaces: string[] = [];
const cacheDir = mkdtempSync(join(tmpdir(), 'kclguard-e2e-sources-'));

interface Status {
  source?: { digest?: string } | null;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

async function statusOf(name: string, namespace: string): Promise<Status> {
  return ((await getPolicy('kclrun', name, namespace)) as { status?: Status }).status ?? {};
}

function ready(status: Status): { status: string; reason: string; message: string } | undefined {
  return status.conditions?.find((c) => c.type === 'Ready');
}

async function waitForStatus(name: string, namespace: string, check: (status: Status) => boolean, timeoutMs = 60_000): Promise<Status> {
  let last: Status = {};
  const ok = await eventually(
    async () => {
      last = await statusOf(name, namespace);
      return check(last);
    },
    { timeoutMs, intervalMs: 500 },
  );
  if (!ok) throw new Error(`status of ${namespace}/${name} never matched: ${JSON.stringify(last)}\nkclguard output:\n${kclguard?.output().slice(-3000)}`);
  return last;
}

async function stamped(namespace: string): Promise<string | undefined> {
  return (await dryRunCreate(configMap(namespace, `probe-${Date.now()}`))).object?.metadata.labels?.stamped;
}

async function namespaceWithMutate(prefix: string): Promise<string> {
  const namespace = await freshNamespace(prefix);
  namespaces.push(namespace);
  await apply(manifests(...grant(namespace, 'may-mutate', ['mutate'], ['configmaps'])));
  return namespace;
}

beforeAll(async () => {
  await installCrds();
  registry = await startRegistry();
  // The same certificate for both fronts: kclguard trusts one --registry-ca-file.
  privateRegistry = await startRegistry({ scheme: 'bearer', user: 'puller', password: 's3cret' }, registry.keyPair);
  kclguard = await startKclguard({
    webhookName: WEBHOOK_NAME,
    extraArgs: [
      '--registry-ca-file', registry.caFile,
      '--source-cache-dir', cacheDir,
      '--source-refresh-seconds', String(REFRESH_SECONDS),
      '--source-retry-seconds', String(RETRY_SECONDS),
    ],
  });
}, 240_000);

afterAll(async () => {
  await kclguard?.stop();
  for (const namespace of namespaces) await deleteNamespace(namespace);
  await registry?.stop();
  await privateRegistry?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('a KCLRun with an oci:// source', () => {
  it('acts with the pulled package, shows the digest, keeps acting on it through a registry outage (SourceStale), and moves to a new digest after', async () => {
    const namespace = await namespaceWithMutate('e2e-oci');
    const first = registry.push('policies/stamp', '1.0.0', STAMP('v1'));
    await apply(manifests(kclRun(namespace, 'stamp', { selector: { resourceKind: 'ConfigMap' }, source: `oci://${registry.host}/policies/stamp:1.0.0` })));
    const loaded = await waitForStatus('stamp', namespace, (s) => s.source?.digest === first && ready(s)?.status === 'True');
    expect(ready(loaded)!.reason).toBe('Ready');
    expect(await eventually(async () => (await stamped(namespace)) === 'v1', { timeoutMs: 20_000 })).toBe(true);
    const wide = await kubectl(['get', 'kclrun', 'stamp', '-n', namespace, '-o', 'wide']);
    expect(wide.stdout).toContain(first);

    // The registry goes away; the tag moves meanwhile (pushed straight to the registry behind the front).
    await registry.setDown(true);
    const second = registry.push('policies/stamp', '1.0.0', STAMP('v2'));
    const stale = await waitForStatus('stamp', namespace, (s) => ready(s)?.reason === 'SourceStale', (REFRESH_SECONDS + RETRY_SECONDS) * 1000 + 60_000);
    expect(ready(stale)).toMatchObject({ status: 'True' });
    expect(ready(stale)!.message).toContain('S2003');
    expect(stale.source?.digest).toBe(first);
    expect(await stamped(namespace)).toBe('v1');

    // A policy that never resolved (a reference nothing pulled before): not Ready, acts nowhere,
    // and says why. (The same reference as above would act on the digest already confirmed.)
    registry.push('policies/other', '1.0.0', STAMP('other'));
    const other = await namespaceWithMutate('e2e-oci-never');
    await apply(manifests(kclRun(other, 'never', { selector: { resourceKind: 'ConfigMap' }, source: `oci://${registry.host}/policies/other:1.0.0` })));
    const never = await waitForStatus('never', other, (s) => ready(s)?.reason === 'SourceUnavailable');
    expect(ready(never)).toMatchObject({ status: 'False' });
    expect(ready(never)!.message).toContain('S2003');
    expect(await stamped(other)).toBeUndefined();

    await registry.setDown(false);
    const moved = await waitForStatus('stamp', namespace, (s) => s.source?.digest === second && ready(s)?.reason === 'Ready', (REFRESH_SECONDS + RETRY_SECONDS) * 1000 + 60_000);
    expect(moved.source?.digest).toBe(second);
    expect(await eventually(async () => (await stamped(namespace)) === 'v2', { timeoutMs: 20_000 })).toBe(true);
    await waitForStatus('never', other, (s) => ready(s)?.status === 'True', (RETRY_SECONDS + 5) * 1000 + 60_000);
    expect(await eventually(async () => (await stamped(other)) === 'other', { timeoutMs: 20_000 })).toBe(true);
  });

  it('refuses an invalid reference at kubectl apply, without touching a registry', async () => {
    const namespace = await namespaceWithMutate('e2e-oci-invalid');
    const result = await apply(manifests(kclRun(namespace, 'bad', { source: 'oci://127.0.0.1:1/../escape' })), { allowFailure: true });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('S1001');
  });

  it("reads registry credentials as the policy's ServiceAccount: only after it may get the Secret does the private package load", async () => {
    const namespace = await namespaceWithMutate('e2e-oci-creds');
    const digest = privateRegistry.push('private/stamp', '1.0.0', STAMP('private'));
    const dockerconfigjson = Buffer.from(JSON.stringify({ auths: { [privateRegistry.host]: { username: 'puller', password: 's3cret' } } })).toString('base64');
    await apply(manifests({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', metadata: { name: 'regcred', namespace }, data: { '.dockerconfigjson': dockerconfigjson } }));
    await apply(
      manifests(kclRun(namespace, 'private', { selector: { resourceKind: 'ConfigMap' }, source: `oci://${privateRegistry.host}/private/stamp:1.0.0`, credentials: { secretRef: { name: 'regcred' } } })),
    );
    const refused = await waitForStatus('private', namespace, (s) => ready(s)?.reason === 'SourceUnavailable');
    expect(ready(refused)!.message).toMatch(/S4001 .*may not get Secret/);
    await apply(manifests(...grant(namespace, 'read-regcred', ['get'], ['secrets'])));
    const loaded = await waitForStatus('private', namespace, (s) => s.source?.digest === digest, (RETRY_SECONDS + 5) * 1000 + 60_000);
    expect(ready(loaded)).toMatchObject({ status: 'True' });
    expect(await eventually(async () => (await stamped(namespace)) === 'private', { timeoutMs: 20_000 })).toBe(true);
  });
});
