// Guardrails tenants cannot opt out of (issue 10), through the real API server: a tenant with the
// built-in `edit` role in a namespace, acting with `kubectl --as`, cannot get a privileged Pod
// past a ClusterKCLRun with any annotation; once an admin grants `exempt` on that policy the
// tenant's veto counts; a Namespace-level veto set by the admin counts; the tenant can still veto
// a mutation. Plus validationActions and a recovery program. docs/e2e.md lists what each proves.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KCLGUARD_NAMESPACE, startKclguard, type RunningKclguard } from './harness/kclguard.js';
import { applyPolicies, clusterKclRun, configMap, deleteClusterPolicies, deleteNamespace, freshNamespace, grant, installCrds, kclRun, setLabelSource } from './harness/cluster-objects.js';
import { apply, eventually, kubectl, manifests } from './harness/kubectl.js';

const WEBHOOK_NAME = 'kclguard-e2e-guardrails';
const TENANT = 'tenant-alice@example.com';
const POLICY = 'e2e-disallow-privileged';
let kclguard: RunningKclguard | undefined;
const namespaces: string[] = [];
const cleanup: object[] = [];

const DISALLOW_PRIVILEGED = `_pod = option("items")[0]
_containers = _pod.spec?.containers or []
assert not any c in _containers { c.securityContext?.privileged == True }, "Pod \${_pod.metadata.name}: privileged containers are not allowed"
`;

function privilegedPod(namespace: string, name: string, annotations: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, annotations },
    spec: { containers: [{ name: 'shell', image: 'registry.example.com/toolbox:2.1.0', securityContext: { privileged: true } }] },
  };
}

const TENANT_EDIT = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'e2e-tenant-edit' },
  rules: [{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }],
};

/** A server-side dry run as the tenant: what admission says, nothing stored. */
async function tenantCreates(object: object): Promise<{ code: number; stdout: string; stderr: string }> {
  return kubectl(['create', '--dry-run=server', '--as', TENANT, '-o', 'json', '-f', '-'], { input: manifests(object), allowFailure: true });
}

async function tenantNamespace(prefix: string, annotations: Record<string, string> = {}): Promise<string> {
  const namespace = await freshNamespace(prefix, {}, annotations);
  namespaces.push(namespace);
  // The tenant may write Pods and ConfigMaps (and their annotations) there, as the built-in `edit`
  // role allows. The e2e control plane has no controller-manager, so the aggregated `edit` role
  // has no rules of its own: TENANT_EDIT spells out the part of it these tests need.
  await apply(
    manifests(TENANT_EDIT, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'tenant-edit', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-tenant-edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: TENANT }],
    }),
  );
  return namespace;
}

beforeAll(async () => {
  await installCrds();
  kclguard = await startKclguard({ webhookName: WEBHOOK_NAME, failurePolicy: 'Fail', sarAllowedTtlSeconds: 1, sarDeniedTtlSeconds: 1 });
  await applyPolicies(clusterKclRun(POLICY, { mode: 'Validate', selector: { resourceKind: 'Pod' }, source: DISALLOW_PRIVILEGED }));
});

afterAll(async () => {
  await kclguard?.stop();
  await deleteClusterPolicies(POLICY);
  cleanup.push(TENANT_EDIT);
  for (const object of cleanup) await kubectl(['delete', '--ignore-not-found', '-f', '-'], { input: manifests(object), allowFailure: true });
  await kubectl(['delete', 'kclrun', '--all', '-n', KCLGUARD_NAMESPACE, '--ignore-not-found']);
  for (const namespace of namespaces) await deleteNamespace(namespace);
});

describe('a tenant cannot opt out of a ClusterKCLRun guardrail', () => {
  it('is denied a privileged Pod whatever canValidate annotation it writes, with a warning that says why', async () => {
    const namespace = await tenantNamespace('e2e-guard');
    const attempts: Record<string, string>[] = [{}, { canValidate: '' }, { canValidate: 'someone-else' }, { 'kclguard.dev/canValidate': '["cluster/other"]' }];
    for (const annotations of attempts) {
      const result = await tenantCreates(privilegedPod(namespace, 'debug', annotations));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('privileged containers are not allowed');
      if (Object.keys(annotations).length > 0) expect(result.stderr).toMatch(/Warning: .*may not exempt from it/);
    }
  });

  it("counts the tenant's veto once an admin grants exempt on that policy, and only on that policy", async () => {
    const namespace = await tenantNamespace('e2e-exempt');
    const grantExempt = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'e2e-exempt-disallow-privileged' },
        rules: [{ apiGroups: ['krm.kcl.dev'], resources: ['clusterkclruns'], resourceNames: [POLICY], verbs: ['exempt'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'e2e-tenant-exempt' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-exempt-disallow-privileged' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: TENANT }],
      },
    ];
    cleanup.push(...grantExempt);
    await apply(manifests(...grantExempt));
    const admitted = await eventually(async () => (await tenantCreates(privilegedPod(namespace, 'debug', { canValidate: '' }))).code === 0);
    expect(admitted).toBe(true);
    // Without the annotation the guardrail still applies to the same tenant.
    expect((await tenantCreates(privilegedPod(namespace, 'plain'))).code).not.toBe(0);
  });

  it("counts a Namespace-level veto set by the admin, whoever makes the request", async () => {
    const namespace = await tenantNamespace('e2e-nsveto', { canValidate: 'cluster/some-other-policy' });
    const result = await tenantCreates(privilegedPod(namespace, 'debug'));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Warning: .*violation by policy cluster\/e2e-disallow-privileged dropped/);
  });

  it('lets the tenant veto a mutation (the safe direction)', async () => {
    const namespace = await tenantNamespace('e2e-mutveto');
    await apply(manifests(...grant(namespace, 'stamper', ['mutate'], ['configmaps'])));
    await applyPolicies(kclRun(namespace, 'stamp', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('stamped', 'yes') }));
    const labelsOf = async (annotations: Record<string, string>) => {
      const result = await tenantCreates(configMap(namespace, 'cm', { annotations }));
      return result.code === 0 ? (JSON.parse(result.stdout) as { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {} : undefined;
    };
    expect(await eventually(async () => (await labelsOf({}))?.stamped === 'yes')).toBe(true);
    expect(await labelsOf({ canMutate: '' })).toEqual({});
  });
});

describe('validationActions and recovery programs', () => {
  it('Warn admits with a warning, Audit admits silently, Deny denies', async () => {
    const namespace = await tenantNamespace('e2e-actions');
    const requireOwner = (name: string, validationActions: string[]) =>
      kclRun(namespace, name, { mode: 'Validate', validationActions, selector: { resourceKind: 'ConfigMap' }, source: 'assert "owner" in (option("items")[0].metadata.labels or {}), "label owner is required"\n' });
    await apply(manifests(...grant(namespace, 'validator', ['validate'], ['configmaps'])));
    await applyPolicies(requireOwner('warn', ['Warn']), requireOwner('audit', ['Audit']));
    const warned = await tenantCreates(configMap(namespace, 'unowned'));
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/Warning: kclguard: policy .*\/warn violated: label owner is required/);
    expect(warned.stderr).not.toMatch(/\/audit violated/);
    await applyPolicies(requireOwner('deny', ['Deny', 'Audit']));
    const denied = await tenantCreates(configMap(namespace, 'unowned'));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('label owner is required');
  });

  it("a recovery program turns a failure into a warning for UPDATE and keeps the abort for CREATE", async () => {
    const namespace = await tenantNamespace('e2e-recovery');
    await apply(manifests(...grant(namespace, 'validator', ['validate'], ['configmaps']), configMap(namespace, 'existing')));
    await applyPolicies(
      kclRun(namespace, 'flaky', {
        mode: 'Validate',
        selector: { resourceKind: 'ConfigMap', operations: ['CREATE', 'UPDATE'] },
        failureAction: 'abort',
        recovery: { source: '_code = option("failure").code\naction = "abort" if option("request").operation == "CREATE" else "warn"\nmessage = "recovered from ${_code}"\n' },
        source: 'x = option("items")[0].data.missing.lower()\n',
      }),
    );
    const created = await tenantCreates(configMap(namespace, 'cm'));
    expect(created.code).not.toBe(0);
    expect(created.stderr).toMatch(/recovered from E\w+/);
    const updated = await kubectl(['label', 'configmap', 'existing', '-n', namespace, '--as', TENANT, 'touched=yes', '--dry-run=server'], { allowFailure: true });
    expect(updated.code).toBe(0);
    expect(updated.stderr).toMatch(/Warning: kclguard: policy .*\/flaky failed: .*recovered from/);
  });
});
