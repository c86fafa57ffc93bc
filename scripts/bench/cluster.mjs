/**
 * The control plane of bench:e2e (scripts/control-plane/cluster.sh, as test/e2e uses it) and what
 * the bench does with it: kubectl for manifests, a client-certificate HTTPS client for the hot
 * path (Pod creation), namespaces, and waiting until an admission path is in force.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loopbackAgent, send } from './load.mjs';
import { runCommand } from './processes.mjs';

/** `cluster.sh up` with a watchdog tied to this process; returns the exported variables. */
export async function clusterUp(root) {
  const up = await runCommand(join(root, 'scripts', 'control-plane', 'cluster.sh'), ['up'], {
    env: { ...process.env, KCLGUARD_E2E_OWNER_PID: String(process.pid) },
  });
  if (up.code !== 0) throw new Error(`cluster.sh up failed:\n${up.stderr}`);
  const vars = {};
  for (const line of up.stdout.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]] = match[2].replace(/\\(.)/g, '$1');
  }
  return vars;
}

export async function clusterDown(root, dir) {
  await runCommand(join(root, 'scripts', 'control-plane', 'cluster.sh'), ['down', dir]);
}

/** kubectl: $KUBECTL, else the one scripts/helm-tools.sh extracts from the npm layer, else PATH. */
export async function findKubectl(root) {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  const tools = await runCommand(join(root, 'scripts', 'helm-tools.sh'), []);
  return tools.code === 0 ? join(tools.stdout.trim(), 'kubectl') : 'kubectl';
}

export class Cluster {
  constructor(vars, kubectl) {
    this.vars = vars;
    this.kubectlBin = kubectl;
    this.api = vars.KCLGUARD_E2E_API_SERVER;
    const pki = join(vars.KCLGUARD_E2E_DIR, 'pki');
    this.ca = readFileSync(vars.KCLGUARD_E2E_CA_CERT, 'utf8');
    // The cluster admin's client certificate: the load is not slowed by authorization checks
    // that a tenant's requests would add (the same for every scenario).
    this.agent = loopbackAgent({ maxSockets: 512, ca: this.ca, cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) });
    /** The PID of the webhook server a scenario put in force, whose CPU the bench reads. */
    this.webhookPid = undefined;
  }

  async kubectl(args, input) {
    const result = await runCommand(this.kubectlBin, args, { input, env: { ...process.env, KUBECONFIG: this.vars.KUBECONFIG } });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  apply(docs) {
    return this.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));
  }

  delete(docs) {
    return this.kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));
  }

  /** POST an object; resolves with the HTTP status and answer text. */
  create(path, object, { dryRun = false } = {}) {
    return send(this.agent, `${this.api}${path}${dryRun ? '?dryRun=All' : ''}`, { body: JSON.stringify(object) });
  }

  /**
   * A namespace and its default ServiceAccount (this control plane runs no controller-manager,
   * and the ServiceAccount admission plugin refuses Pods whose ServiceAccount does not exist).
   */
  async namespace(name) {
    const ns = await this.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    if (ns.status !== 201 && ns.status !== 409) throw new Error(`creating namespace ${name}: ${ns.status} ${ns.text}`);
    const sa = await this.create(`/api/v1/namespaces/${name}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
    if (sa.status !== 201 && sa.status !== 409) throw new Error(`creating ServiceAccount ${name}/default: ${sa.status} ${sa.text}`);
  }

  /** Whether a server-side dry run of `pod` is admitted (true), refused (false); throws on anything else. */
  async admits(pod) {
    const answer = await this.create(`/api/v1/namespaces/${pod.metadata.namespace}/pods`, pod, { dryRun: true });
    if (answer.status === 201) return true;
    if (answer.status === 400 || answer.status === 403 || answer.status === 422) return false;
    throw new Error(`dry run of Pod ${pod.metadata.name}: ${answer.status} ${answer.text.slice(0, 300)}`);
  }

  /** Polls until `admits(pod) === wanted` (a new webhook or policy reaches the API server a moment later). */
  async until(pod, wanted, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let got;
      try {
        got = await this.admits(pod);
      } catch (error) {
        got = String(error);
      }
      if (got === wanted) return;
      if (Date.now() > deadline) throw new Error(`Pod ${pod.metadata.name} was ${got === true ? 'admitted' : got === false ? 'refused' : got} for ${timeoutMs / 1000}s, expected ${wanted ? 'admitted' : 'refused'}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** A ValidatingWebhookConfiguration for Pods (and the workloads the pack selects) calling `url`. */
export function validatingWebhook(name, url, caBundlePem) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: `${name}.bench.kclguard.dev`,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        clientConfig: { url, caBundle: Buffer.from(caBundlePem).toString('base64') },
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-node-lease'] }] },
        rules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'replicationcontrollers'] },
          { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'] },
          { apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['jobs', 'cronjobs'] },
        ],
      },
    ],
  };
}
