// What the API server does when kclguard is down: the webhook configurations kclguard
// registered stay, and their failurePolicy (`serve --failure-policy`) decides. Ignore admits,
// Fail denies. The configurations are deleted after each case so the rest of the suite is
// never blocked by a webhook nobody answers.
import { afterEach, describe, expect, it } from '@jest/globals';
import { deleteWebhookConfigurations, startKclguard, type RunningKclguard } from './harness/kclguard.js';
import { configMap, deleteNamespace, freshNamespace, installCrds } from './harness/cluster-objects.js';
import { create, kubectl, manifests } from './harness/kubectl.js';

const WEBHOOK_NAME = 'kclguard-e2e-down';
let kclguard: RunningKclguard | undefined;
let namespace: string | undefined;

afterEach(async () => {
  await kclguard?.stop();
  kclguard = undefined;
  await deleteWebhookConfigurations(WEBHOOK_NAME);
  if (namespace) await deleteNamespace(namespace);
});

async function startThenStop(failurePolicy: 'Fail' | 'Ignore'): Promise<string> {
  await installCrds();
  namespace = await freshNamespace(`e2e-down-${failurePolicy.toLowerCase()}`);
  kclguard = await startKclguard({ webhookName: WEBHOOK_NAME, failurePolicy });
  // While it runs, requests are admitted through it.
  await create(manifests(configMap(namespace, 'while-up')));
  await kclguard.kill();
  const registered = await kubectl(['get', 'validatingwebhookconfiguration', WEBHOOK_NAME, '-o', 'jsonpath={.webhooks[0].failurePolicy}']);
  expect(registered.stdout).toBe(failurePolicy);
  return namespace;
}

describe('kclguard down', () => {
  it('with failurePolicy Ignore: requests are admitted', async () => {
    const ns = await startThenStop('Ignore');
    const result = await create(manifests(configMap(ns, 'while-down')));
    expect(result.code).toBe(0);
    expect((await kubectl(['get', 'configmap', 'while-down', '-n', ns])).code).toBe(0);
  });

  it('with failurePolicy Fail: requests are denied because the webhook cannot be called', async () => {
    const ns = await startThenStop('Fail');
    const result = await create(manifests(configMap(ns, 'while-down')), { allowFailure: true });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/failed calling webhook "(mutate|validate)\.kclguard\.krm\.kcl\.dev"/);
    expect((await kubectl(['get', 'configmap', 'while-down', '-n', ns], { allowFailure: true })).code).not.toBe(0);
  });

  it("with failurePolicy Fail: the cluster's own infrastructure (Nodes, PersistentVolumes) is still admitted", async () => {
    await startThenStop('Fail');
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'e2e-node-while-down' } };
    const volume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'e2e-pv-while-down' },
      spec: { capacity: { storage: '1Mi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/e2e-pv' } },
    };
    try {
      // Cluster-scoped, so no namespaceSelector spares them: only the matchConditions do.
      expect((await create(manifests(node, volume))).code).toBe(0);
      // While a namespaced ConfigMap is still refused: the webhook is really registered and failing.
      const configMapResult = await create(manifests(configMap(namespace!, 'still-refused')), { allowFailure: true });
      expect(configMapResult.stderr).toMatch(/failed calling webhook/);
    } finally {
      await kubectl(['delete', 'node', 'e2e-node-while-down', '--ignore-not-found', '--wait=false']);
      await kubectl(['delete', 'persistentvolume', 'e2e-pv-while-down', '--ignore-not-found', '--wait=false']);
    }
  });
});

describe('restarting with other flags', () => {
  it('updates the webhook configurations kclguard registered before', async () => {
    const ns = await startThenStop('Ignore');
    kclguard = await startKclguard({ webhookName: WEBHOOK_NAME, failurePolicy: 'Fail' });
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const policy = await kubectl(['get', kind, WEBHOOK_NAME, '-o', 'jsonpath={.webhooks[*].failurePolicy}']);
      expect(policy.stdout).toBe('Fail');
    }
    expect((await create(manifests(configMap(ns, 'after-restart')))).code).toBe(0);
  });
});
