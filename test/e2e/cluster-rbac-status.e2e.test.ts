// kclguard in cluster mode: what a policy may do is decided by its ServiceAccount's RBAC
// (SubjectAccessReview, cached with short TTLs here), a broken or invalid KCLRun is refused at
// `kubectl apply`, and the elected replica writes status conditions. docs/e2e.md lists what
// each test proves.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KCLGUARD_NAMESPACE, startKclguard, type RunningKclguard } from './harness/kclguard.js';
import {
  applyPolicies,
  configMap,
  deleteNamespace,
  dryRunCreate,
  freshNamespace,
  getPolicy,
  grant,
  installCrds,
  kclRun,
  setLabelSource,
  waitForPolicyLoaded,
} from './harness/cluster-objects.js';
import { apply, create, eventually, kubectl, manifests } from './harness/kubectl.js';

const WEBHOOK_NAME = 'kclguard-e2e-rbac';
const CACHE_TTL_SECONDS = 2;
let kclguard: RunningKclguard | undefined;
const namespaces: string[] = [];

async function namespaceFor(prefix: string): Promise<string> {
  const namespace = await freshNamespace(prefix);
  namespaces.push(namespace);
  return namespace;
}

function conditionsOf(policy: Awaited<ReturnType<typeof getPolicy>>): Record<string, { status: string; reason: string; message: string; observedGeneration?: number }> {
  return Object.fromEntries((policy.status?.conditions ?? []).map((condition) => [condition.type, condition]));
}

beforeAll(async () => {
  await installCrds();
  kclguard = await startKclguard({
    webhookName: WEBHOOK_NAME,
    failurePolicy: 'Ignore',
    sarAllowedTtlSeconds: CACHE_TTL_SECONDS,
    sarDeniedTtlSeconds: CACHE_TTL_SECONDS,
  });
});

afterAll(async () => {
  await kclguard?.stop();
  await kubectl(['delete', 'kclrun', '--all', '-n', KCLGUARD_NAMESPACE, '--ignore-not-found']);
  for (const namespace of namespaces) await deleteNamespace(namespace);
});

describe("a policy's ServiceAccount RBAC", () => {
  it('without RBAC the effect is dropped with a warning; a Role+RoleBinding enables it; removing them disables it after the cache TTL', async () => {
    const namespace = await namespaceFor('e2e-rbac');
    await applyPolicies(kclRun(namespace, 'stamp', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('stamped', 'yes') }));
    const mutated = async () => (await dryRunCreate(configMap(namespace, 'probe'))).object?.metadata.labels?.stamped === 'yes';

    const dropped = await create(manifests(configMap(namespace, 'before-grant')));
    expect(dropped.stderr).toMatch(new RegExp(`Warning: .*${namespace}/stamp`));
    expect((await kubectl(['get', 'configmap', 'before-grant', '-n', namespace, '-o', 'jsonpath={.metadata.labels}'])).stdout).toBe('');

    // The custom verb `mutate` on the resource.
    await apply(manifests(...grant(namespace, 'may-mutate', ['mutate'], ['configmaps'])));
    expect(await eventually(mutated, { timeoutMs: 15_000 })).toBe(true);
    const granted = await create(manifests(configMap(namespace, 'after-grant')));
    expect(granted.stderr).not.toContain('Warning');
    expect((await kubectl(['get', 'configmap', 'after-grant', '-n', namespace, '-o', 'jsonpath={.metadata.labels.stamped}'])).stdout).toBe('yes');

    await kubectl(['delete', 'rolebinding,role', 'may-mutate', '-n', namespace]);
    // Allowed answers are reused for CACHE_TTL_SECONDS; the revocation shows soon after.
    expect(await eventually(async () => !(await mutated()), { timeoutMs: (CACHE_TTL_SECONDS + 10) * 1000 })).toBe(true);

    // The request's own verb (create) grants it too.
    await apply(manifests(...grant(namespace, 'may-create', ['create'], ['configmaps'])));
    expect(await eventually(mutated, { timeoutMs: 15_000 })).toBe(true);
  });
});

describe('kubectl apply of a policy', () => {
  it('with KCL that does not compile is rejected with the diagnostic file:line:col', async () => {
    const namespace = await namespaceFor('e2e-broken');
    const broken = kclRun(namespace, 'broken', { source: 'a = 1\nitems = [item | {x = } for item in option("items")]\n' });
    const result = await apply(manifests(broken), { allowFailure: true });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('validate.kclguard.krm.kcl.dev');
    expect(result.stderr).toMatch(new RegExp(`${namespace}/broken\\.k:2:\\d+: E1\\w+`));
    expect((await kubectl(['get', 'kclrun', 'broken', '-n', namespace], { allowFailure: true })).code).not.toBe(0);
  });

  it('with an invalid spec is rejected: a bad failureAction by the CRD schema, a contradiction by kclguard', async () => {
    const namespace = await namespaceFor('e2e-invalid');
    // The CRD's enum rejects this before any webhook is called.
    const badEnum = await apply(manifests(kclRun(namespace, 'bad-enum', { failureAction: 'explode', source: 'a = 1\n' })), { allowFailure: true });
    expect(badEnum.code).not.toBe(0);
    expect(badEnum.stderr).toMatch(/spec\.failureAction: Unsupported value: "explode"/);
    // Valid for the schema, but recoveryPolicy panic means abort: only kclguard sees the conflict.
    const conflict = await apply(manifests(kclRun(namespace, 'conflict', { failureAction: 'warn', recoveryPolicy: 'panic', source: 'a = 1\n' })), {
      allowFailure: true,
    });
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('validate.kclguard.krm.kcl.dev');
    expect(conflict.stderr).toContain('recoveryPolicy');
    expect((await kubectl(['get', 'kclruns', '-n', namespace, '-o', 'name'])).stdout.trim()).toBe('');
  });
});

describe('status', () => {
  it('the elected replica holds the Lease and writes Compiled, RBACPermissionsGranted, Ready and observedGeneration', async () => {
    const lease = JSON.parse((await kubectl(['get', 'lease', `kclguard-status-writer`, '-n', KCLGUARD_NAMESPACE, '-o', 'json'])).stdout) as {
      spec: { holderIdentity?: string };
    };
    expect(lease.spec.holderIdentity).toBe(WEBHOOK_NAME);

    const namespace = await namespaceFor('e2e-status');
    await apply(manifests(...grant(namespace, 'may-mutate', ['mutate'], ['configmaps'])));
    const granted = await eventually(async () => {
      const answer = await kubectl(['auth', 'can-i', 'mutate', 'configmaps', '-n', namespace, '--as', `system:serviceaccount:${namespace}:default`], {
        allowFailure: true,
      });
      return answer.stdout.trim() === 'yes';
    });
    expect(granted).toBe(true);
    await apply(manifests(kclRun(namespace, 'healthy', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('ok', 'yes') })));
    const healthy = await waitForPolicyLoaded('kclrun', 'healthy', namespace);
    const conditions = conditionsOf(healthy);
    expect(healthy.status?.observedGeneration).toBe(healthy.metadata.generation);
    expect(conditions.Compiled).toMatchObject({ status: 'True', observedGeneration: healthy.metadata.generation });
    expect(conditions.RBACPermissionsGranted).toMatchObject({ status: 'True' });
    expect(conditions.Ready).toMatchObject({ status: 'True' });

    // No RBAC for this one: compiled, but not ready.
    const unprivileged = await namespaceFor('e2e-status-norbac');
    await apply(manifests(kclRun(unprivileged, 'powerless', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('ok', 'yes') })));
    const powerless = conditionsOf(await waitForPolicyLoaded('kclrun', 'powerless', unprivileged));
    expect(powerless.Compiled).toMatchObject({ status: 'True' });
    expect(powerless.RBACPermissionsGranted).toMatchObject({ status: 'False' });
    expect(powerless.Ready).toMatchObject({ status: 'False' });
  });

  it('a stored policy whose KCL does not compile gets Compiled=False with the diagnostic line:col', async () => {
    // kclguard's own namespace is excluded from its webhooks, so kubectl can store a broken
    // policy there, as it could while kclguard was down: the status is how a user finds out.
    await apply(manifests(kclRun(KCLGUARD_NAMESPACE, 'broken', { source: 'a = 1\nb = \n' })));
    const conditions = conditionsOf(await waitForPolicyLoaded('kclrun', 'broken', KCLGUARD_NAMESPACE));
    expect(conditions.Compiled).toMatchObject({ status: 'False', reason: 'CompileFailed' });
    expect(conditions.Compiled!.message).toMatch(new RegExp(`${KCLGUARD_NAMESPACE}/broken\\.k:2:\\d+: E1\\w+`));
    expect(conditions.Ready).toMatchObject({ status: 'False' });
    const table = await kubectl(['get', 'kclrun', 'broken', '-n', KCLGUARD_NAMESPACE]);
    expect(table.stdout.split('\n')[1]!.split(/\s+/).slice(0, 2)).toEqual(['broken', 'False']);
  });
});
