// The Helm chart against the real API server: everything `helm template` renders is accepted
// by server-side validation, and the first KCLRun from NOTES.txt is accepted by kubectl apply.
// The chart's own webhook configurations point at a Service with no Pods behind it (nothing
// runs here), so they are only dry-run: stored, they would block every later request.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { dump, load, loadAll } from 'js-yaml';
import { startKclguard, type RunningKclguard } from './harness/kclguard.js';
import {
  configMap,
  deleteNamespace,
  freshNamespace,
  grant,
  installCrds,
  kclRun,
  setLabelSource,
  waitForPolicyLoaded,
} from './harness/cluster-objects.js';
import { apply, create, eventually, kubectl, manifests } from './harness/kubectl.js';
import { REPO_ROOT } from './harness/repo.js';

const execFileAsync = promisify(execFile);
const RELEASE = 'e2e';
const CHART = resolve(REPO_ROOT, 'charts/kclguard');
const WEBHOOK_KINDS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

let namespace = '';
let rendered: Rendered[] = [];
let kclguard: RunningKclguard | undefined;
const extraNamespaces: string[] = [];
const clusterScoped: Rendered[] = [];
let scratch: string | undefined;

async function helm(args: string[]): Promise<string> {
  // helm-tools.sh puts helm beside the kubectl the global setup chose; else helm from PATH.
  const helmPath = process.env.KUBECTL ? resolve(dirname(process.env.KUBECTL), 'helm') : 'helm';
  const { stdout } = await execFileAsync(helmPath, args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function template(release: string, releaseNamespace: string, extraArgs: string[] = []): Promise<Rendered[]> {
  const output = await helm(['template', release, CHART, '--namespace', releaseNamespace, ...extraArgs]);
  const objects = (loadAll(output) as (Rendered | null)[]).filter((object): object is Rendered => object !== null);
  clusterScoped.push(...objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'));
  return objects;
}

/** The admin kubeconfig, but every request impersonates `user` (client-node sends Impersonate-User). */
function impersonatingKubeconfig(user: string): string {
  const config = load(readFileSync(process.env.KUBECONFIG!, 'utf8')) as { users: { user: Record<string, unknown> }[] };
  for (const entry of config.users) entry.user.as = user;
  scratch ??= mkdtempSync(join(tmpdir(), 'kclguard-e2e-chart-'));
  const path = join(scratch, 'kubeconfig');
  writeFileSync(path, dump(config), { mode: 0o600 });
  return path;
}

/**
 * Applies the chart's RBAC (it renders no webhook configurations: kclguard registers them) and
 * returns a kubeconfig acting as the chart's ServiceAccount, with the Deployment's flags.
 */
async function asChartServiceAccount(objects: Rendered[], ownNamespace: string): Promise<{ kubeconfig: string; deploymentArgs: string[] }> {
  expect(objects.some((object) => WEBHOOK_KINDS.has(object.kind))).toBe(false);
  const rbac = objects.filter((object) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(object.kind));
  await kubectl(['apply', '--server-side', '-f', '-'], { input: manifests(...rbac) });
  const serviceAccount = objects.find((object) => object.kind === 'ServiceAccount')!.metadata.name;
  const deploymentArgs: string[] = (objects.find((object) => object.kind === 'Deployment') as any).spec.template.spec.containers[0].args;
  return { kubeconfig: impersonatingKubeconfig(`system:serviceaccount:${ownNamespace}:${serviceAccount}`), deploymentArgs };
}

/** The `--name=value` flags among `args` whose names are listed. */
function flagsNamed(args: readonly string[], names: readonly string[]): string[] {
  return args.filter((arg) => names.some((name) => arg.startsWith(`--${name}=`)));
}

function named(kind: string): Rendered[] {
  return rendered.filter((object) => object.kind === kind);
}

afterEach(async () => {
  await kclguard?.stop();
  kclguard = undefined;
});

beforeAll(async () => {
  namespace = await freshNamespace('e2e-chart');
  rendered = await template(RELEASE, namespace, ['--include-crds']);
});

afterAll(async () => {
  await kubectl(['delete', 'kclrun', 'set-managed-by', '-n', 'default', '--ignore-not-found']);
  for (const object of clusterScoped) {
    await kubectl(['delete', object.kind.toLowerCase(), object.metadata.name, '--ignore-not-found'], { allowFailure: true });
  }
  if (namespace) await deleteNamespace(namespace);
  for (const extra of extraNamespaces) await deleteNamespace(extra);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the Helm chart', () => {
  it('renders CRDs, RBAC, ServiceAccount, Service, Deployment, PDB, TLS Secret and both webhook configurations', () => {
    const kinds = new Set(rendered.map((object) => object.kind));
    for (const kind of [
      'CustomResourceDefinition',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'Secret',
      ...WEBHOOK_KINDS,
    ]) {
      expect(kinds).toContain(kind);
    }
    // The report CRDs are templates (installed when absent): helm template renders them.
    expect(named('CustomResourceDefinition').map((crd) => crd.metadata.name).sort()).toEqual([
      'clusterkclruns.krm.kcl.dev',
      'clusterpolicyreports.wgpolicyk8s.io',
      'kclruns.krm.kcl.dev',
      'policyreports.wgpolicyk8s.io',
    ]);
  });

  it('is accepted by the API server: everything applied server-side, the webhook configurations as a server dry run', async () => {
    const crds = named('CustomResourceDefinition');
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: manifests(...crds) });
    for (const crd of crds) await kubectl(['wait', '--for=condition=Established', `crd/${crd.metadata.name}`, '--timeout=30s']);

    const workload = rendered.filter((object) => object.kind !== 'CustomResourceDefinition' && !WEBHOOK_KINDS.has(object.kind));
    const applied = await kubectl(['apply', '--server-side', '-f', '-'], { input: manifests(...workload) });
    expect(applied.stdout.trim().split('\n')).toHaveLength(workload.length);
    const stored = await kubectl(['get', 'deployment,service,poddisruptionbudget,serviceaccount,role,rolebinding', '-n', namespace, '-o', 'name']);
    expect(stored.stdout).toContain(`deployment.apps/${RELEASE}-kclguard`);
    expect(stored.stdout).toContain(`poddisruptionbudget.policy/${RELEASE}-kclguard`);

    const webhooks = rendered.filter((object) => WEBHOOK_KINDS.has(object.kind));
    const dryRun = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: manifests(...webhooks) });
    expect(dryRun.stdout).toMatch(/mutatingwebhookconfiguration.*\(server dry run\)/);
    expect(dryRun.stdout).toMatch(/validatingwebhookconfiguration.*\(server dry run\)/);
    const absent = await kubectl(['get', 'mutatingwebhookconfiguration', `${RELEASE}-kclguard`], { allowFailure: true });
    expect(absent.code).not.toBe(0);
  });

  it('the optional NetworkPolicy is accepted by the API server', async () => {
    // The e2e node's CNI (a bridge) enforces no NetworkPolicy, so what the suites can prove is
    // that the object is valid; test/chart checks what it admits.
    const values = resolve(CHART, 'ci/network-policy-values.yaml');
    const [policy] = (await template(RELEASE, namespace, ['-f', values])).filter((object) => object.kind === 'NetworkPolicy');
    expect(policy).toBeDefined();
    const applied = await kubectl(['apply', '--server-side', '-f', '-'], { input: manifests(policy!) });
    expect(applied.stdout).toContain(`networkpolicy.networking.k8s.io/${RELEASE}-kclguard`);
    const stored = JSON.parse((await kubectl(['get', 'networkpolicy', `${RELEASE}-kclguard`, '-n', namespace, '-o', 'json'])).stdout);
    expect(stored.spec.ingress[0].from).toHaveLength(3);
  });

  it("the dry run really validates: a webhook configuration the API server's schema forbids is refused", async () => {
    const mutating = structuredClone(named('MutatingWebhookConfiguration')[0]!) as Rendered & { webhooks: { timeoutSeconds: number }[] };
    mutating.webhooks[0]!.timeoutSeconds = 31;
    const refused = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: manifests(mutating), allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('timeoutSeconds');
  });

  it('accepts the first KCLRun from NOTES.txt, and kclguard compiles it', async () => {
    await installCrds();
    kclguard = await startKclguard({ webhookName: 'kclguard-e2e-chart', failurePolicy: 'Ignore' });
    const notes = readFileSync(resolve(CHART, 'templates/NOTES.txt'), 'utf8');
    const block = /<<'YAML'\n([\s\S]*?)\n\s*YAML\n/.exec(notes);
    expect(block).not.toBeNull();
    const yaml = block![1]!.replace(/^ {2}/gm, '');
    expect(yaml).not.toContain('{{');
    const result = await kubectl(['apply', '-f', '-'], { input: yaml });
    expect(result.stdout).toContain('kclrun.krm.kcl.dev/set-managed-by created');
    const policy = await waitForPolicyLoaded('kclrun', 'set-managed-by', 'default');
    expect(policy.status?.conditions?.find((condition) => condition.type === 'Compiled')).toMatchObject({ status: 'True' });
    const listed = await kubectl(['get', 'kclruns', '-A']);
    // Columns: NAMESPACE NAME READY MODE ACTIONS FAILUREACTION AGE.
    expect(listed.stdout).toMatch(/default\s+set-managed-by\s+\S+\s+Auto\s+\S+\s+warn/);
  });

  it("grants kclguard what cluster mode needs: kclguard runs as the chart's ServiceAccount (self-registration values)", async () => {
    await installCrds();
    const release = 'e2e-self';
    const ownNamespace = await freshNamespace('e2e-chart-self');
    extraNamespaces.push(ownNamespace);
    const objects = await template(release, ownNamespace, [
      '-f', resolve(CHART, 'ci/self-registration-values.yaml'),
      '--set', 'webhook.excludedNamespaces={e2e-never-sent}',
      '--set', 'webhook.timeoutSeconds=4',
      '--set', 'webhook.operations={CREATE,UPDATE}',
      // Lookups and audit may read ConfigMaps: the chart grants get/list/watch on them, and its
      // report RBAC lets the audit write the tenant's PolicyReport below.
      '--set-json', 'cache.resources=[{"apiGroup":"","resource":"configmaps"}]',
    ]);
    // The report CRDs, as the chart installs them when absent.
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: manifests(...objects.filter((object) => object.kind === 'CustomResourceDefinition')) });
    const { kubeconfig, deploymentArgs } = await asChartServiceAccount(objects, ownNamespace);
    const fullName = `${release}-kclguard`;

    // The kubeconfig really acts as the ServiceAccount: what the chart does not grant is refused.
    const secrets = await kubectl(['--kubeconfig', kubeconfig, 'get', 'secrets', '-n', ownNamespace], { allowFailure: true });
    expect(secrets.stderr).toContain('Forbidden');

    // It may not read any other ClusterRole either: naming one as the owner makes
    // registration fail, and serve exits 1 (C3003) before writing any configuration.
    const refused = await execFileAsync(
      process.execPath,
      [
        resolve(REPO_ROOT, 'dist/main.js'), 'serve', '--kubeconfig', kubeconfig, '--port', '0', '--log-level', 'silent',
        // Its own Lease name, so that it never holds the one the kclguard started below needs.
        '--namespace', ownNamespace, '--pod-name', 'e2e-refused', '--service-name', 'e2e-refused',
        '--register-webhooks', '--webhook-url', 'https://127.0.0.1:1', '--webhook-name', fullName, '--owner-cluster-role', 'e2e-not-granted',
      ],
      { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 },
    ).then(
      () => undefined,
      (error: unknown) => error as { code?: number; stderr?: string },
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/^kclguard serve: error C3003: [^\n]*forbidden/im);

    // Every API call kclguard makes (informers, SubjectAccessReviews, the Lease, status,
    // discovery, webhook registration) is made as the chart's ServiceAccount.
    // The webhook settings the chart's Deployment passes (its failure policies stay Ignore here:
    // a Fail webhook pointing at this short-lived process could block the rest of the suite).
    const webhookArgs = flagsNamed(deploymentArgs, [
      'owner-cluster-role', 'excluded-namespaces', 'webhook-timeout-seconds', 'webhook-resources', 'webhook-operations',
      'cache-resources', 'audit-interval-seconds', 'audit-debounce-seconds', 'audit-max-objects',
    ]);
    expect(webhookArgs).toHaveLength(9);
    expect(webhookArgs).toContain('--cache-resources=configmaps');
    kclguard = await startKclguard({
      webhookName: fullName,
      serviceName: fullName,
      namespace: ownNamespace,
      kubeconfig,
      failurePolicy: 'Ignore',
      extraArgs: webhookArgs,
    });
    // Registered with the chart's values, and owned by the chart's ClusterRole so that
    // helm uninstall (which deletes the role) garbage-collects them.
    const roleUid = (await kubectl(['get', 'clusterrole', fullName, '-o', 'jsonpath={.metadata.uid}'])).stdout;
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const registered = JSON.parse((await kubectl(['get', kind, fullName, '-o', 'json'])).stdout);
      expect(registered.metadata.ownerReferences).toEqual([{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: fullName, uid: roleUid }]);
      const webhook = registered.webhooks[0];
      expect(webhook.timeoutSeconds).toBe(4);
      expect(webhook.rules[0].operations).toEqual(['CREATE', 'UPDATE']);
      expect(webhook.namespaceSelector.matchExpressions[0].values).toEqual(expect.arrayContaining(['kube-system', ownNamespace, 'e2e-never-sent']));
      expect(webhook.matchConditions.map((condition: { name: string }) => condition.name)).toContain('exclude-cluster-infrastructure');
    }
    // Ready only because its informers listed (a failed LIST is tested below: exit 1).
    const ca = readFileSync(process.env.KCLGUARD_E2E_CA_CERT!, 'utf8');
    const readyz = await new Promise<number>((resolveStatus, reject) => {
      httpsGet(`${kclguard!.url}/readyz`, { ca, agent: false }, (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(readyz).toBe(200);
    const lease = await kubectl(['get', 'lease', `${fullName}-status-writer`, '-n', ownNamespace, '-o', 'jsonpath={.spec.holderIdentity}']);
    expect(lease.stdout).toBe(fullName);

    const tenant = await freshNamespace('e2e-chart-tenant');
    extraNamespaces.push(tenant);
    await apply(manifests(...grant(tenant, 'may-mutate', ['mutate'], ['configmaps'])));
    await apply(manifests(kclRun(tenant, 'stamp', { selector: { resourceKind: 'ConfigMap' }, source: setLabelSource('stamped', 'yes') })));
    const policy = await waitForPolicyLoaded('kclrun', 'stamp', tenant);
    expect(policy.status?.conditions?.find((condition) => condition.type === 'Compiled')).toMatchObject({ status: 'True' });
    await create(manifests(configMap(tenant, 'stamped')));
    expect((await kubectl(['get', 'configmap', 'stamped', '-n', tenant, '-o', 'jsonpath={.metadata.labels.stamped}'])).stdout).toBe('yes');
    // Background audit, as the chart's ServiceAccount: it reads the ConfigMap cache and writes the
    // report (list: audit shows a policy only what its ServiceAccount may read).
    await apply(manifests(...grant(tenant, 'may-validate', ['validate', 'list'], ['configmaps'])));
    await apply(manifests(kclRun(tenant, 'audited', { mode: 'Validate', selector: { resourceKind: 'ConfigMap' }, source: 'assert True, "never"\n' })));
    await waitForPolicyLoaded('kclrun', 'audited', tenant);
    const reported = await eventually(async () => (await kubectl(['get', 'policyreport', 'kclguard', '-n', tenant], { allowFailure: true })).code === 0, { timeoutMs: 60_000 });
    expect({ reported, output: reported ? '' : kclguard.output().slice(-3000) }).toEqual({ reported: true, output: '' });
    expect(kclguard.output()).not.toMatch(/forbidden/i);

  });

  it("grants kclguard what narrowed mode needs: discovery, server-side apply of its configurations and status, as the chart's ServiceAccount", async () => {
    await installCrds();
    const release = 'e2e-narrow';
    const ownNamespace = await freshNamespace('e2e-chart-narrow');
    extraNamespaces.push(ownNamespace);
    const objects = await template(release, ownNamespace, ['-f', resolve(CHART, 'ci/narrowed-values.yaml')]);
    const { kubeconfig, deploymentArgs } = await asChartServiceAccount(objects, ownNamespace);
    const fullName = `${release}-kclguard`;
    expect(deploymentArgs).toContain('--webhook-mode=narrowed');
    // The harness passes --webhook-mode narrowed itself (with a 1 s update interval). The cache
    // and audit settings as the chart passes them: no cache resources by default, so the audit
    // of the ConfigMap policy below skips ConfigMaps rather than listing them without RBAC.
    const webhookArgs = flagsNamed(deploymentArgs, ['owner-cluster-role', 'webhook-timeout-seconds', 'cache-resources', 'audit-interval-seconds', 'audit-debounce-seconds', 'audit-max-objects']);
    expect(webhookArgs).toContain('--cache-resources=none');
    kclguard = await startKclguard({ webhookName: fullName, serviceName: fullName, namespace: ownNamespace, kubeconfig, narrowed: true, extraArgs: webhookArgs });

    const tenant = await freshNamespace('e2e-chart-narrow-tenant');
    extraNamespaces.push(tenant);
    await apply(manifests(...grant(tenant, 'may-validate', ['validate'], ['configmaps'])));
    await apply(manifests(kclRun(tenant, 'need-owner', { mode: 'Validate', selector: { resourceKind: 'ConfigMap' }, source: 'items = option("items")\n' })));
    // Ready: compiled, RBAC granted, and the configurations kclguard applied as the ServiceAccount cover it.
    const ready = await eventually(async () => {
      const policy = JSON.parse((await kubectl(['get', 'kclrun', 'need-owner', '-n', tenant, '-o', 'json'])).stdout);
      return policy.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status === 'True';
    });
    expect(ready).toBe(true);
    const roleUid = (await kubectl(['get', 'clusterrole', fullName, '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const registered = JSON.parse((await kubectl(['get', 'validatingwebhookconfiguration', fullName, '-o', 'json', '--show-managed-fields'])).stdout);
    expect(registered.metadata.ownerReferences).toEqual([{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: fullName, uid: roleUid }]);
    expect(registered.metadata.managedFields.map((f: { manager: string; operation: string }) => [f.manager, f.operation])).toContainEqual(['kclguard', 'Apply']);
    const fail = registered.webhooks.find((w: { name: string }) => w.name === 'fail.validate.kclguard.krm.kcl.dev');
    expect(fail.timeoutSeconds).toBe(5);
    expect(fail.rules).toContainEqual({ apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'], scope: '*' });
    expect(kclguard.output()).not.toMatch(/forbidden/i);
  });

  it('refuses to serve (exit 1) when it cannot list policies, instead of enforcing nothing', async () => {
    await installCrds();
    // A ServiceAccount nobody granted anything: every LIST is Forbidden.
    const kubeconfig = impersonatingKubeconfig('system:serviceaccount:default:kclguard-e2e-nobody');
    const run = execFileAsync(
      process.execPath,
      [resolve(REPO_ROOT, 'dist/main.js'), 'serve', '--kubeconfig', kubeconfig, '--port', '0', '--cluster-sync-timeout-seconds', '3', '--log-level', 'silent'],
      { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 },
    );
    const failure = (await run.then(
      () => undefined,
      (error: unknown) => error,
    )) as { code?: number; stderr?: string } | undefined;
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/^kclguard serve: error C3002: [^\n]*forbidden/im);
    expect(failure?.stderr).not.toContain('kclguard serving');
  });
});
