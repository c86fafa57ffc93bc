// Cluster-aware policies and background audit (issue 16) on the real API server: a lookup the
// policy's ServiceAccount may make and one RBAC denies; the unique-host example denying a second
// Ingress; a PolicyReport for an object that violated before the policy existed, updated when the
// object is fixed and removed when the policy is deleted; a policy whose ServiceAccount may not
// list what it looks up reported as an error, not a pass. docs/e2e.md lists what each proves.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { startKclguard, type RunningKclguard } from './harness/kclguard.js';
import { applyPolicies, configMap, deleteClusterPolicies, deleteNamespace, freshNamespace, grant, installCrds, kclRun } from './harness/cluster-objects.js';
import { apply, eventually, kubectl, manifests } from './harness/kubectl.js';
import { REPO_ROOT } from './harness/repo.js';

const WEBHOOK_NAME = 'kclguard-e2e-lookups';
let kclguard: RunningKclguard | undefined;
const namespaces: string[] = [];
const cleanup: object[] = [];

/** The report CRDs as the chart renders them (a template: installed when absent). */
async function installReportCrds(): Promise<void> {
  const helm = process.env.KUBECTL ? resolve(dirname(process.env.KUBECTL), 'helm') : 'helm';
  const { stdout } = await promisify(execFile)(helm, ['template', 'kclguard', resolve(REPO_ROOT, 'charts/kclguard'), '-n', 'kclguard', '--show-only', 'templates/policy-report-crds.yaml'], { cwd: REPO_ROOT });
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: stdout });
  for (const crd of ['policyreports.wgpolicyk8s.io', 'clusterpolicyreports.wgpolicyk8s.io']) await kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=30s']);
}

async function namespace(prefix: string): Promise<string> {
  const name = await freshNamespace(prefix);
  namespaces.push(name);
  return name;
}

async function create(object: object): Promise<{ code: number; stderr: string }> {
  const result = await kubectl(['create', '-f', '-'], { input: manifests(object), allowFailure: true });
  return { code: result.code, stderr: result.stderr };
}

interface Report {
  summary: Record<string, number>;
  results: { policy: string; result: string; message: string; resources: { name: string }[]; properties?: Record<string, string> }[];
}

async function report(ns: string): Promise<Report | undefined> {
  const r = await kubectl(['get', 'policyreport', 'kclguard', '-n', ns, '-o', 'json'], { allowFailure: true });
  return r.code === 0 ? (JSON.parse(r.stdout) as Report) : undefined;
}

/** Waits until the namespace's report satisfies `check`; the last report seen on failure. */
async function reportWhere(ns: string, check: (r: Report | undefined) => boolean): Promise<Report | undefined> {
  let last: Report | undefined;
  const ok = await eventually(
    async () => {
      last = await report(ns);
      return check(last);
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  if (!ok) throw new Error(`the PolicyReport of ${ns} never matched: ${JSON.stringify(last)}\nkclguard output:\n${kclguard?.output().slice(-4000)}`);
  return last;
}

const resultsOf = (r: Report | undefined) => (r?.results ?? []).map((x) => `${x.resources[0]!.name} ${x.result}`).sort();

beforeAll(async () => {
  await installCrds();
  await installReportCrds();
  kclguard = await startKclguard({ webhookName: WEBHOOK_NAME, extraArgs: ['--audit-debounce-seconds', '1', '--audit-interval-seconds', '3600'] });
}, 180_000);

afterAll(async () => {
  await kclguard?.stop();
  for (const object of cleanup.reverse()) await kubectl(['delete', '-f', '-', '--ignore-not-found'], { input: manifests(object), allowFailure: true });
  for (const ns of namespaces) await deleteNamespace(ns);
});

// The reference ConfigMap must exist before others labelled `needs-reference` are admitted.
const NEEDS_REFERENCE = `import kube
_object = option("items")[0]
_reference = kube.get("v1", "ConfigMap", _object.metadata.namespace, "reference")
assert _reference, "ConfigMap \${_object.metadata.name}: create the ConfigMap reference first"
`;

function needsReference(ns: string): object {
  return kclRun(ns, 'needs-reference', {
    source: NEEDS_REFERENCE,
    mode: 'Validate',
    lookups: [{ apiVersion: 'v1', kind: 'ConfigMap' }],
    selector: { resourceKind: 'ConfigMap', matchLabels: { 'needs-reference': 'true' } },
  });
}

describe('lookups', () => {
  it("a lookup its ServiceAccount may make decides; one RBAC denies fails the policy (K9008), never an empty answer", async () => {
    const allowed = await namespace('e2e-lookup-ok');
    await apply(manifests(...grant(allowed, 'reader', ['get', 'validate'], ['configmaps'])));
    await applyPolicies(needsReference(allowed));
    const labelled = (ns: string, name: string) => configMap(ns, name, { labels: { 'needs-reference': 'true' } });
    // The lookup is answered (the cache lists once the policy loads): no reference yet, denied by the policy itself.
    let last = { code: 0, stderr: '' };
    const answered = await eventually(async () => {
      last = await create(labelled(allowed, 'first'));
      return last.code !== 0 && last.stderr.includes('create the ConfigMap reference first');
    });
    expect({ answered, stderr: last.stderr }).toMatchObject({ answered: true });
    await apply(manifests(configMap(allowed, 'reference')));
    expect(await eventually(async () => (await create(labelled(allowed, 'second'))).code === 0)).toBe(true);

    const denied = await namespace('e2e-lookup-denied');
    await apply(manifests(...grant(denied, 'validator', ['validate'], ['configmaps']), configMap(denied, 'reference')));
    await applyPolicies(needsReference(denied));
    const refused = await create(labelled(denied, 'third'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('K9008');
    expect(refused.stderr).toContain(`ServiceAccount ${denied}/default may not get core configmaps reference in ${denied}`);
  });

  it('the unique-host example denies a second Ingress for a host another namespace serves', async () => {
    const docs = yaml.loadAll(readFileSync(resolve(REPO_ROOT, 'policies/unique-ingress-host/policy.yaml'), 'utf8')) as Record<string, any>[];
    const policy: Record<string, any> = { ...docs[0]!, metadata: { name: 'e2e-unique-ingress-host' } };
    const platform = await namespace('e2e-platform');
    policy.spec.serviceAccountNamespace = platform;
    const rbac = (yaml.loadAll(readFileSync(resolve(REPO_ROOT, 'policies/unique-ingress-host/rbac.yaml'), 'utf8')) as Record<string, any>[]).map((d) => ({
      ...d,
      metadata: { name: `e2e-${d.metadata.name}` },
      ...(d.roleRef ? { roleRef: { ...d.roleRef, name: 'e2e-ingress-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'ingress-reader', namespace: platform }] } : {}),
    }));
    await apply(manifests({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ingress-reader', namespace: platform } }, ...rbac));
    cleanup.push(...rbac);
    await applyPolicies(policy);
    try {
      const host = `shop-${Date.now().toString(36)}.example.com`;
      const ingress = (ns: string, name: string) => ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name, namespace: ns },
        spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] } }] },
      });
      const teamA = await namespace('e2e-ingress-a');
      const teamB = await namespace('e2e-ingress-b');
      // The first Ingress is admitted once the Ingress cache has listed.
      expect(await eventually(async () => (await create(ingress(teamA, 'shop'))).code === 0)).toBe(true);
      let second = { code: 0, stderr: '' };
      const refused = await eventually(async () => {
        second = await create(ingress(teamB, 'shop'));
        return second.code !== 0;
      });
      expect({ refused, stderr: second.stderr }).toMatchObject({ refused: true, stderr: expect.stringContaining(`host ${host} (Ingress ${teamA}/shop) is already taken`) });
    } finally {
      await deleteClusterPolicies('e2e-unique-ingress-host');
    }
  });
});

const REQUIRE_TEAM = `_object = option("items")[0]
_name = _object.metadata.name
assert "team" in (_object.metadata.labels or {}), "ConfigMap \${_name} needs a team label"
`;

describe('background audit', () => {
  it('reports an object that violated before the policy existed, follows its fix, and drops the results when the policy is deleted', async () => {
    const ns = await namespace('e2e-audit');
    // list: audit shows a policy only the objects its ServiceAccount may read.
    await apply(manifests(...grant(ns, 'validator', ['validate', 'list'], ['configmaps']), configMap(ns, 'unlabelled')));
    const policy = kclRun(ns, 'require-team', { source: REQUIRE_TEAM, mode: 'Validate', selector: { resourceKind: 'ConfigMap' } });
    await applyPolicies(policy);
    const failing = await reportWhere(ns, (r) => resultsOf(r).includes('unlabelled fail'));
    const result = failing!.results.find((r) => r.resources[0]!.name === 'unlabelled')!;
    expect(result).toMatchObject({ policy: `${ns}/require-team`, result: 'fail', message: expect.stringContaining('ConfigMap unlabelled needs a team label') });
    expect(failing!.summary.fail).toBeGreaterThanOrEqual(1);

    await kubectl(['label', 'configmap', 'unlabelled', '-n', ns, 'team=payments']);
    await reportWhere(ns, (r) => resultsOf(r).includes('unlabelled pass'));

    await kubectl(['delete', 'kclrun', 'require-team', '-n', ns]);
    await reportWhere(ns, (r) => r === undefined);
  });

  it('a policy whose ServiceAccount may not list what it looks up is reported as an error, not a pass', async () => {
    const ns = await namespace('e2e-audit-nolist');
    await apply(manifests(...grant(ns, 'validator', ['validate', 'list'], ['configmaps']), configMap(ns, 'existing')));
    const policy = kclRun(ns, 'count-secrets', {
      source: 'import kube\n_secrets = kube.list("v1", "Secret", option("items")[0].metadata.namespace)\nassert len(_secrets) < 100, "too many Secrets"\n',
      mode: 'Validate',
      lookups: [{ apiVersion: 'v1', kind: 'Secret' }],
      selector: { resourceKind: 'ConfigMap' },
    });
    await applyPolicies(policy);
    const errored = await reportWhere(ns, (r) => resultsOf(r).includes('existing error'));
    expect(errored!.results.find((r) => r.resources[0]!.name === 'existing')).toMatchObject({ result: 'error', properties: { code: 'K9008' } });
    expect(resultsOf(errored)).not.toContain('existing pass');
  });

  it('kclguard report --kubeconfig audits the live cluster with a policy not applied yet, lookups answered as its ServiceAccount', async () => {
    const ns = await namespace('e2e-report');
    await apply(manifests(...grant(ns, 'reader', ['get', 'list', 'validate'], ['configmaps']), configMap(ns, 'labelled'), configMap(ns, 'orphan')));
    const policy = kclRun(ns, 'needs-reference', {
      source: NEEDS_REFERENCE,
      mode: 'Validate',
      lookups: [{ apiVersion: 'v1', kind: 'ConfigMap' }],
      selector: { resourceKind: 'ConfigMap', namespace: ns },
    });
    const dir = mkdtempSync(join(tmpdir(), 'kclguard-report-'));
    try {
      writeFileSync(join(dir, 'policy.yaml'), manifests(policy));
      const run = async () =>
        promisify(execFile)(process.execPath, [resolve(REPO_ROOT, 'dist/main.js'), 'report', join(dir, 'policy.yaml'), '--kubeconfig', process.env.KUBECONFIG!, '--output', 'json'], { cwd: REPO_ROOT }).then(
          (r) => ({ code: 0, stdout: r.stdout }),
          (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
        );
      const results = (out: string) =>
        (JSON.parse(out) as { items: Report[] }).items.flatMap((r) => r.results.map((x) => `${x.resources[0]!.name} ${x.result}`)).sort();
      // No reference yet: both ConfigMaps fail the rule (the lookup itself is allowed).
      const before = await run();
      expect({ code: before.code, results: results(before.stdout) }).toEqual({ code: 1, results: ['labelled fail', 'orphan fail'] });
      await apply(manifests(configMap(ns, 'reference')));
      const after = await run();
      expect({ code: after.code, results: results(after.stdout) }).toEqual({ code: 0, results: ['labelled pass', 'orphan pass', 'reference pass'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
