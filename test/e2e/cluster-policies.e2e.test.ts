// kclguard in cluster mode against the real API server: policies are KCLRun / ClusterKCLRun
// objects applied with kubectl, and their effects are what kubectl shows afterwards. One
// kclguard (a child process, self-registered webhooks, failurePolicy Ignore) serves the file;
// each test works in its own namespace. docs/e2e.md lists what each test proves.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startKclguard, type RunningKclguard } from './harness/kclguard.js';
import { REPO_ROOT } from './harness/repo.js';
import {
  applyPolicies,
  clusterKclRun,
  configMap,
  deleteClusterPolicies,
  deleteNamespace,
  dryRunCreate,
  freshNamespace,
  grant,
  installCrds,
  kclRun,
  setLabelSource,
} from './harness/cluster-objects.js';
import { apply, create, eventually, kubectl, manifests } from './harness/kubectl.js';

const WEBHOOK_NAME = 'kclguard-e2e-policies';
let kclguard: RunningKclguard | undefined;
const namespaces: string[] = [];
const clusterPolicies: string[] = [];

/** A namespace whose default ServiceAccount may mutate and validate anything in it. */
async function policyNamespace(prefix: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Promise<string> {
  const namespace = await freshNamespace(prefix, labels, annotations);
  namespaces.push(namespace);
  await apply(manifests(...grant(namespace, 'kclguard-policies', ['mutate', 'validate'], ['*'], ['*'])));
  const user = `system:serviceaccount:${namespace}:default`;
  const granted = await eventually(async () => {
    const answer = await kubectl(['auth', 'can-i', 'mutate', 'configmaps', '-n', namespace, '--as', user], { allowFailure: true });
    return answer.stdout.trim() === 'yes';
  });
  if (!granted) throw new Error(`RBAC for ${user} never took effect`);
  return namespace;
}

async function labelsOf(kind: string, namespace: string, name: string): Promise<Record<string, string>> {
  const object = JSON.parse((await kubectl(['get', kind, name, '-n', namespace, '-o', 'json'])).stdout) as { metadata: { labels?: Record<string, string> } };
  return object.metadata.labels ?? {};
}

beforeAll(async () => {
  await installCrds();
  kclguard = await startKclguard({ webhookName: WEBHOOK_NAME, failurePolicy: 'Ignore' });
});

afterAll(async () => {
  await kclguard?.stop();
  await deleteClusterPolicies(...clusterPolicies);
  for (const namespace of namespaces) await deleteNamespace(namespace);
});

describe('CRDs', () => {
  it('apply server-side and `kubectl get kclruns` shows Ready, Mode, Actions, FailureAction and Age', async () => {
    await installCrds();
    const namespace = await policyNamespace('e2e-crd');
    await applyPolicies(kclRun(namespace, 'columns', { mode: 'Validate', failureAction: 'warn', source: 'a = 1\n' }));
    const table = await kubectl(['get', 'kclruns', '-n', namespace]);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'READY', 'MODE', 'ACTIONS', 'FAILUREACTION', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 5)).toEqual(['columns', 'True', 'Validate', '["Deny"]', 'warn']);
    const clusterTable = await kubectl(['get', 'clusterkclruns']);
    expect(clusterTable.code).toBe(0);
  });
});

describe('a mutating KCLRun', () => {
  it('patches a Pod and a Deployment, visible in kubectl get -o yaml', async () => {
    const namespace = await policyNamespace('e2e-mutate');
    await applyPolicies(kclRun(namespace, 'add-team', { selector: { resourceKind: ['Pod', 'Deployment'] }, source: setLabelSource('team', 'platform') }));
    await kubectl(['run', 'web', '--image=nginx', '-n', namespace]);
    await kubectl(['create', 'deployment', 'web', '--image=nginx', '-n', namespace]);
    for (const kind of ['pod', 'deployment']) {
      const shown = await kubectl(['get', kind, 'web', '-n', namespace, '-o', 'yaml']);
      const stored = load(shown.stdout) as { metadata: { labels: Record<string, string> } };
      expect(stored.metadata.labels).toMatchObject({ team: 'platform' });
      expect(shown.stdout).toContain('team: platform');
    }
  });
});

describe('consent annotations and strictMode', () => {
  it('canMutate naming the policy allows, naming another refuses with a warning kubectl prints', async () => {
    const namespace = await policyNamespace('e2e-canmutate');
    await applyPolicies(kclRun(namespace, 'stamp', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('stamped', 'yes') }));
    await create(manifests(configMap(namespace, 'allowed', { annotations: { canMutate: '["stamp"]' } })));
    expect(await labelsOf('configmap', namespace, 'allowed')).toMatchObject({ stamped: 'yes' });

    const refused = await create(manifests(configMap(namespace, 'refused', { annotations: { canMutate: '["someone-else"]' } })));
    expect(refused.stderr).toMatch(new RegExp(`Warning: .*${namespace}/stamp`));
    expect(await labelsOf('configmap', namespace, 'refused')).not.toHaveProperty('stamped');
  });

  it('canValidate naming another policy turns a violation into a warning; without it the request is denied', async () => {
    const namespace = await policyNamespace('e2e-canvalidate');
    await applyPolicies(
      kclRun(namespace, 'need-owner', {
        mode: 'Validate',
        selector: { resourceKind: 'ConfigMap' },
        source: 'assert "owner" in (option("items")[0].metadata.labels or {}), "KGE2E-OWNER: label owner is required"\n',
      }),
    );
    const denied = await create(manifests(configMap(namespace, 'no-owner')), { allowFailure: true });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('KGE2E-OWNER');
    expect((await kubectl(['get', 'configmap', 'no-owner', '-n', namespace], { allowFailure: true })).code).not.toBe(0);

    const exempt = await create(manifests(configMap(namespace, 'exempt', { annotations: { canValidate: '["other"]' } })));
    expect(exempt.code).toBe(0);
    expect(exempt.stderr).toMatch(new RegExp(`Warning: .*${namespace}/need-owner`));
  });

  it("a Namespace's canMutate annotation is the default for its objects; an object's own annotation replaces it", async () => {
    const namespace = await policyNamespace('e2e-nsconsent', {}, { canMutate: '["someone-else"]' });
    await applyPolicies(kclRun(namespace, 'stamp', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('stamped', 'yes') }));
    const refused = await create(manifests(configMap(namespace, 'inherits')));
    expect(refused.stderr).toMatch(new RegExp(`Warning: .*${namespace}/stamp`));
    expect(await labelsOf('configmap', namespace, 'inherits')).toEqual({});
    await create(manifests(configMap(namespace, 'overrides', { annotations: { canMutate: 'stamp' } })));
    expect(await labelsOf('configmap', namespace, 'overrides')).toEqual({ stamped: 'yes' });
  });

  it('a strictMode policy acts only on objects that name it', async () => {
    const namespace = await policyNamespace('e2e-strict');
    await applyPolicies(kclRun(namespace, 'strict', { strictMode: true, selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('strict', 'yes') }));
    const silent = await create(manifests(configMap(namespace, 'unnamed')));
    expect(silent.stderr).not.toContain('Warning');
    expect(await labelsOf('configmap', namespace, 'unnamed')).not.toHaveProperty('strict');
    await create(manifests(configMap(namespace, 'named', { annotations: { canMutate: 'strict' } })));
    expect(await labelsOf('configmap', namespace, 'named')).toMatchObject({ strict: 'yes' });
  });
});

describe('selectors', () => {
  it('select by labels, kind and name', async () => {
    const namespace = await policyNamespace('e2e-selectors');
    await applyPolicies(
      kclRun(namespace, 'by-label', { selector: { matchLabels: { tier: 'web' } }, source: setLabelSource('byLabel', 'yes') }),
      kclRun(namespace, 'by-kind', { selector: { resourceKind: 'Secret' }, source: setLabelSource('byKind', 'yes') }),
      kclRun(namespace, 'by-name', { selector: { resourceName: 'special' }, source: setLabelSource('byName', 'yes') }),
    );
    await create(manifests(configMap(namespace, 'labelled', { labels: { tier: 'web' } }), configMap(namespace, 'special'), configMap(namespace, 'plain')));
    await kubectl(['create', 'secret', 'generic', 'token', '--from-literal=k=v', '-n', namespace]);

    expect(await labelsOf('configmap', namespace, 'labelled')).toEqual({ tier: 'web', byLabel: 'yes' });
    expect(await labelsOf('configmap', namespace, 'special')).toEqual({ byName: 'yes' });
    expect(await labelsOf('configmap', namespace, 'plain')).toEqual({});
    expect(await labelsOf('secret', namespace, 'token')).toEqual({ byKind: 'yes' });
  });

  it('a policy on Pods sees an ephemeral container added with kubectl debug (pods/ephemeralcontainers), with RBAC on pods alone', async () => {
    // The example's own RBAC: its ServiceAccount may `validate` pods, nothing about subresources.
    const namespace = await freshNamespace('e2e-debug');
    namespaces.push(namespace);
    await apply(manifests(...grant(namespace, 'validate-pods', ['validate'], ['pods'])));
    const user = `system:serviceaccount:${namespace}:default`;
    const granted = await eventually(async () => (await kubectl(['auth', 'can-i', 'validate', 'pods', '-n', namespace, '--as', user], { allowFailure: true })).stdout.trim() === 'yes');
    if (!granted) throw new Error(`RBAC for ${user} never took effect`);
    const example = load(readFileSync(resolve(REPO_ROOT, 'policies/disallow-privileged/policy.yaml'), 'utf8')) as { spec: Record<string, unknown> };
    await applyPolicies(kclRun(namespace, 'disallow-privileged', { ...example.spec, serviceAccountName: 'default' }));
    try {
      await kubectl(['run', 'web', '--image=nginx', '-n', namespace]);
      // The sysadmin profile runs the debug container privileged; `*` alone never sends this subresource.
      const privileged = await kubectl(['debug', 'web', '-n', namespace, '--image=busybox', '--container=root-shell', '--profile=sysadmin'], { allowFailure: true });
      expect(privileged.code).not.toBe(0);
      expect(privileged.stderr).toContain('root-shell is privileged');
      await kubectl(['debug', 'web', '-n', namespace, '--image=busybox', '--container=shell', '--profile=general']);
      const pod = JSON.parse((await kubectl(['get', 'pod', 'web', '-n', namespace, '-o', 'json'])).stdout) as { spec: { ephemeralContainers?: { name: string }[] } };
      expect(pod.spec.ephemeralContainers?.map((c) => c.name)).toEqual(['shell']);
    } finally {
      // Without a namespace controller the policy would outlive its namespace, and an abort policy
      // on Pods would change what narrowed mode registers for the other files' tests.
      await kubectl(['delete', 'kclrun', 'disallow-privileged', '-n', namespace, '--ignore-not-found']);
    }
  });

  it('a ClusterKCLRun acts only in namespaces its namespaceSelector selects', async () => {
    const selected = await policyNamespace('e2e-nssel-in', { 'kclguard-e2e/env': 'prod' });
    const other = await policyNamespace('e2e-nssel-out', { 'kclguard-e2e/env': 'dev' });
    const name = `${selected}-env`;
    clusterPolicies.push(name);
    await applyPolicies(
      clusterKclRun(name, {
        selector: { resourceKind: 'ConfigMap', namespaceSelector: { matchLabels: { 'kclguard-e2e/env': 'prod' } } },
        source: setLabelSource('envChecked', 'yes'),
      }),
    );
    await create(manifests(configMap(selected, 'inside'), configMap(other, 'outside')));
    expect(await labelsOf('configmap', selected, 'inside')).toEqual({ envChecked: 'yes' });
    expect(await labelsOf('configmap', other, 'outside')).toEqual({});
  });
});

describe('failureAction', () => {
  // Reading a field of an undefined value is a runtime error in line 2 of each policy.
  const failingSource = '_items = option("items")\n_boom = _items[0].data.missing.deeper\nitems = _items\n';

  it('abort denies with the policy name and line:col, warn admits with a kubectl warning, skip admits silently', async () => {
    const namespace = await policyNamespace('e2e-failure');
    await applyPolicies(
      ...['abort', 'warn', 'skip'].map((action) =>
        kclRun(namespace, `fail-${action}`, { failureAction: action, selector: { matchLabels: { action } }, source: failingSource }),
      ),
    );
    const aborted = await create(manifests(configMap(namespace, 'aborted', { labels: { action: 'abort' } })), { allowFailure: true });
    expect(aborted.code).not.toBe(0);
    expect(aborted.stderr).toContain(`policy ${namespace}/fail-abort failed`);
    expect(aborted.stderr).toMatch(new RegExp(`${namespace}/fail-abort\\.k:2:\\d+: E\\w+`));
    expect((await kubectl(['get', 'configmap', 'aborted', '-n', namespace], { allowFailure: true })).code).not.toBe(0);

    const warned = await create(manifests(configMap(namespace, 'warned', { labels: { action: 'warn' } })));
    expect(warned.stderr).toMatch(new RegExp(`Warning: .*${namespace}/fail-warn.*fail-warn\\.k:2:\\d+`));

    const skipped = await create(manifests(configMap(namespace, 'skipped', { labels: { action: 'skip' } })));
    expect(skipped.stderr).not.toContain('Warning');
    expect(await labelsOf('configmap', namespace, 'skipped')).toEqual({ action: 'skip' });
  });
});

describe('never-touched namespaces', () => {
  it('a ClusterKCLRun selecting ConfigMaps mutates one in a test namespace but never one in kube-system', async () => {
    const namespace = await policyNamespace('e2e-system');
    const marker = namespace;
    const name = `${namespace}-cm`;
    clusterPolicies.push(name);
    await applyPolicies(clusterKclRun(name, { selector: { resourceKind: 'ConfigMap', matchLabels: { 'kclguard-e2e/marker': marker } }, source: setLabelSource('touched', 'yes') }));
    const labels = { 'kclguard-e2e/marker': marker };
    await create(manifests(configMap(namespace, 'ordinary', { labels }), configMap('kube-system', `${namespace}-system`, { labels })));
    try {
      expect(await labelsOf('configmap', namespace, 'ordinary')).toMatchObject({ touched: 'yes' });
      expect(await labelsOf('configmap', 'kube-system', `${namespace}-system`)).not.toHaveProperty('touched');
    } finally {
      await kubectl(['delete', 'configmap', `${namespace}-system`, '-n', 'kube-system', '--ignore-not-found']);
    }
  });
});

describe('policy edits', () => {
  it('take effect without a restart', async () => {
    const namespace = await policyNamespace('e2e-edit');
    await applyPolicies(kclRun(namespace, 'versioned', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('version', 'one') }));
    expect((await dryRunCreate(configMap(namespace, 'probe'))).object?.metadata.labels).toEqual({ version: 'one' });

    await apply(manifests(kclRun(namespace, 'versioned', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('version', 'two') })));
    const edited = await eventually(async () => (await dryRunCreate(configMap(namespace, 'probe'))).object?.metadata.labels?.version === 'two', {
      timeoutMs: 10_000,
    });
    expect(edited).toBe(true);
    await create(manifests(configMap(namespace, 'after-edit')));
    expect(await labelsOf('configmap', namespace, 'after-edit')).toEqual({ version: 'two' });
  });
});

describe('dryRun requests', () => {
  it('are evaluated (the mutation shows in the output) and store nothing', async () => {
    const namespace = await policyNamespace('e2e-dryrun');
    await applyPolicies(kclRun(namespace, 'stamp', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('stamped', 'dry') }));
    const result = await kubectl(['apply', '--dry-run=server', '-o', 'yaml', '-f', '-'], { input: manifests(configMap(namespace, 'dry')) });
    expect(result.stdout).toMatch(/stamped: dry/);
    const stored = await kubectl(['get', 'configmap', 'dry', '-n', namespace], { allowFailure: true });
    expect(stored.code).not.toBe(0);
    expect(stored.stderr).toContain('NotFound');
  });
});
