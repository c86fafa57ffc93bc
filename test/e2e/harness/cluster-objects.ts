// Objects the kclguard e2e tests create, and the waits that make them deterministic: a fresh
// namespace per test (there is no namespace controller to clean up after a deletion, so names
// are never reused), KCLRun / ClusterKCLRun manifests, and "the policy is loaded" — the elected
// replica writes status.observedGeneration only after its informer delivered that generation.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './repo.js';
import { apply, eventually, kubectl, manifests } from './kubectl.js';

export const KCL_GROUP_VERSION = 'krm.kcl.dev/v1alpha1';

let counter = 0;

/** A new Namespace with its `default` ServiceAccount (no controller-manager creates it). */
export async function freshNamespace(prefix: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Promise<string> {
  counter += 1;
  const name = `${prefix}-${Date.now().toString(36)}-${counter}`.slice(0, 63);
  await apply(
    manifests(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } },
    ),
  );
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  // Without a namespace controller it stays Terminating; its objects are harmless.
  await kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found'], { allowFailure: true });
}

export function kclRun(namespace: string, name: string, spec: Record<string, unknown>): object {
  return { apiVersion: KCL_GROUP_VERSION, kind: 'KCLRun', metadata: { name, namespace }, spec };
}

export function clusterKclRun(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: KCL_GROUP_VERSION, kind: 'ClusterKCLRun', metadata: { name }, spec };
}

export function configMap(
  namespace: string,
  name: string,
  { labels = {}, annotations = {} }: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels, annotations }, data: { key: name } };
}

/** KCL that sets one label on the admitted object (`key` must be a KCL identifier). */
export function setLabelSource(key: string, value: string): string {
  return `items = [item | {metadata.labels.${key} = "${value}"} for item in option("items")]\n`;
}

/** A Role + RoleBinding that lets `namespace`'s default ServiceAccount `verbs` on `resources`. */
export function grant(namespace: string, name: string, verbs: string[], resources: string[], apiGroups: string[] = ['']): object[] {
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules: [{ apiGroups, resources, verbs }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace }],
    },
  ];
}

interface StoredPolicy {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[] };
}

export async function getPolicy(kind: 'kclrun' | 'clusterkclrun', name: string, namespace?: string): Promise<StoredPolicy> {
  const args = ['get', kind, name, '-o', 'json', ...(namespace ? ['-n', namespace] : [])];
  return JSON.parse((await kubectl(args)).stdout) as StoredPolicy;
}

/** Applies policies and waits until kclguard has loaded each one's current generation. */
export async function applyPolicies(...policies: object[]): Promise<void> {
  await apply(manifests(...policies));
  for (const policy of policies as { kind: string; metadata: { name: string; namespace?: string } }[]) {
    await waitForPolicyLoaded(policy.kind === 'KCLRun' ? 'kclrun' : 'clusterkclrun', policy.metadata.name, policy.metadata.namespace);
  }
}

export async function waitForPolicyLoaded(kind: 'kclrun' | 'clusterkclrun', name: string, namespace?: string): Promise<StoredPolicy> {
  let last: StoredPolicy | undefined;
  const loaded = await eventually(async () => {
    last = await getPolicy(kind, name, namespace);
    return last.status?.observedGeneration !== undefined && last.status.observedGeneration === last.metadata.generation;
  });
  if (!loaded) throw new Error(`kclguard never reported ${kind} ${namespace ?? ''}/${name} loaded: ${JSON.stringify(last)}`);
  return last!;
}

export async function deleteClusterPolicies(...names: string[]): Promise<void> {
  if (names.length === 0) return;
  await kubectl(['delete', 'clusterkclrun', ...names, '--ignore-not-found']);
}

/** The CRDs as the chart ships them, applied server-side (idempotent). */
export async function installCrds(): Promise<void> {
  const dir = resolve(REPO_ROOT, 'charts/kclguard/crds');
  const files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
  await kubectl(['apply', '--server-side', '--force-conflicts', ...files.flatMap((file) => ['-f', resolve(dir, file)])]);
  for (const crd of ['kclruns.krm.kcl.dev', 'clusterkclruns.krm.kcl.dev']) {
    await kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=30s']);
  }
}

/** `kubectl create --dry-run=server -o json`: the object as admission left it, nothing stored. */
export async function dryRunCreate(object: object): Promise<{ code: number; object?: { metadata: { labels?: Record<string, string> } }; stderr: string }> {
  const result = await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], { input: manifests(object), allowFailure: true });
  return { code: result.code, stderr: result.stderr, ...(result.code === 0 ? { object: JSON.parse(result.stdout) } : {}) };
}
