// Smoke test of the e2e plumbing itself: the real API server answers with the pinned version,
// kubectl can create objects, RBAC decides for ServiceAccounts, and a ValidatingWebhook on
// 127.0.0.1 with a caBundle is called and can deny. kclguard's own e2e tests stand on this.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './harness/repo.js';
import { startAdmissionServer, type TestAdmissionServer } from './harness/admission-server.js';
import { apply, create, eventually, kubectl, manifests } from './harness/kubectl.js';

// The code the test webhook puts in its denial; tests look for codes, not for prose.
const DENIAL_CODE = 'KGE2E01';
const DENY_LABEL = 'kclguard.test/deny';
const namespace = `smoke-${Date.now().toString(36)}`;
const webhookConfigName = `${namespace}-deny-labelled`;

function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(resolve(REPO_ROOT, 'scripts/control-plane/tools/kube-apiserver/go.mod'), 'utf8');
  const match = /^\s*(?:require\s+)?k8s\.io\/kubernetes (v\S+)/m.exec(goMod);
  if (!match) throw new Error('k8s.io/kubernetes is not required in the kube-apiserver tool module');
  return match[1];
}

function configMap(name: string, labels: Record<string, string> = {}): string {
  return manifests({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data: { key: name } });
}

async function canI(verb: string, resource: string, serviceAccount: string): Promise<string> {
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  // can-i exits 1 for "no": that is an answer, not a failure.
  const result = await kubectl(['auth', 'can-i', verb, resource, '-n', namespace, '--as', user], { allowFailure: true });
  return result.stdout.trim();
}

beforeAll(async () => {
  await apply(manifests({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }));
});

afterAll(async () => {
  await kubectl(['delete', 'validatingwebhookconfiguration', webhookConfigName, '--ignore-not-found']);
  // Without a namespace controller the Namespace stays Terminating; its objects are harmless.
  await kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
});

describe('the e2e control plane', () => {
  it('is ready and reports the Kubernetes version the tool module pins', async () => {
    const readyz = await kubectl(['get', '--raw', '/readyz']);
    expect(readyz.stdout.trim()).toBe('ok');
    const version = JSON.parse((await kubectl(['version', '-o', 'json'])).stdout) as {
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe(pinnedKubernetesVersion());
  });

  it('creates a Namespace and a ConfigMap through kubectl', async () => {
    await apply(configMap('plain'));
    const data = await kubectl(['get', 'configmap', 'plain', '-n', namespace, '-o', 'jsonpath={.data.key}']);
    expect(data.stdout).toBe('plain');
  });

  it('has no controller-manager, so a new Namespace gets no default ServiceAccount', async () => {
    const found = await kubectl(['get', 'serviceaccount', 'default', '-n', namespace, '-o', 'name', '--ignore-not-found']);
    expect(found.stdout.trim()).toBe('');
  });

  it('authorizes ServiceAccounts with RBAC: forbidden without a Role, allowed with one', async () => {
    await apply(manifests({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'policy-runner', namespace } }));
    expect(await canI('create', 'configmaps', 'policy-runner')).toBe('no');

    await apply(
      manifests(
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'configmap-writer', namespace },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create'] }] },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'policy-runner', namespace },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-writer' },
          subjects: [{ kind: 'ServiceAccount', name: 'policy-runner', namespace }] },
      ),
    );
    expect(await eventually(async () => (await canI('create', 'configmaps', 'policy-runner')) === 'yes')).toBe(true);
    // The grant is exactly what the Role says: other verbs stay forbidden.
    expect(await canI('delete', 'configmaps', 'policy-runner')).toBe('no');
  });

  describe('with a ValidatingWebhookConfiguration pointing at https://127.0.0.1', () => {
    let server: TestAdmissionServer;

    beforeAll(async () => {
      server = await startAdmissionServer((request) => {
        const labels = request.object?.metadata?.labels ?? {};
        if (labels[DENY_LABEL] === 'true') {
          return { allowed: false, message: `${DENIAL_CODE}: ${request.name} carries ${DENY_LABEL}` };
        }
        return { allowed: true };
      });
      await apply(
        manifests({
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingWebhookConfiguration',
          metadata: { name: webhookConfigName },
          webhooks: [
            {
              name: 'deny-labelled.smoke.kclguard.test',
              clientConfig: { url: `${server.url}/validate`, caBundle: server.caBundle },
              rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
              // Only this test's namespace, so the webhook never sees another test's requests.
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
              failurePolicy: 'Fail',
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
              timeoutSeconds: 5,
            },
          ],
        }),
      );
      // The API server loads webhook configurations from an informer; a server-side dry run
      // (webhooks with sideEffects None are called for it) shows when this one is in effect.
      const active = await eventually(async () => {
        const dryRun = await kubectl(['create', '--dry-run=server', '-f', '-'], {
          input: configMap('dry-run-probe', { [DENY_LABEL]: 'true' }),
          allowFailure: true,
        });
        return dryRun.code !== 0 && dryRun.stderr.includes(DENIAL_CODE);
      });
      if (!active) throw new Error('the ValidatingWebhookConfiguration never took effect');
    });

    afterAll(async () => {
      await server?.close();
    });

    it('calls the webhook and kubectl create fails with its denial', async () => {
      const denied = await create(configMap('denied', { [DENY_LABEL]: 'true' }), { allowFailure: true });
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain(DENIAL_CODE);
      expect(denied.stderr).toContain('deny-labelled.smoke.kclguard.test');
      const stored = await kubectl(['get', 'configmap', 'denied', '-n', namespace, '-o', 'name', '--ignore-not-found']);
      expect(stored.stdout.trim()).toBe('');

      const seen = server.requests.find((request) => request.name === 'denied');
      expect(seen).toMatchObject({ operation: 'CREATE', namespace, kind: { group: '', version: 'v1', kind: 'ConfigMap' } });
    });

    it('admits what the webhook allows', async () => {
      await create(configMap('allowed'));
      expect(server.requests.some((request) => request.name === 'allowed' && request.dryRun === false)).toBe(true);
      const stored = await kubectl(['get', 'configmap', 'allowed', '-n', namespace, '-o', 'name']);
      expect(stored.stdout.trim()).toBe('configmap/allowed');
    });
  });
});
