/**
 * The Kyverno peer of bench:e2e: Kyverno v1.18's admission controller (scripts/bench-tools, a
 * tool module repeating Kyverno's one replace), run out of cluster with -kubeconfig and -serverIP
 * as its developer docs describe, its CRDs from the Go module (config/crds/), and its own Pod
 * Security Standards implementation: one ClusterPolicy whose rule is `podSecurity: {level:
 * restricted, version: latest}` (Kyverno evaluates it with the pod-security-admission library,
 * the same checks as the pack), enforced on Pods.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, startProcess } from './processes.mjs';

export const KYVERNO_NAMESPACE = 'kyverno';

/** The binary (built on first use; about 5 minutes) and the module's directory, or why not. */
export async function kyvernoBuild(root) {
  const built = await runCommand(join(root, 'scripts', 'bench-tools', 'build.sh'), ['kyverno']);
  if (built.code !== 0) return { error: `scripts/bench-tools/build.sh kyverno failed: ${built.stderr.trim().split('\n').slice(-5).join(' | ')}` };
  const dir = await runCommand('go', ['list', '-m', '-f', '{{.Dir}}', 'github.com/kyverno/kyverno'], { cwd: join(root, 'scripts', 'bench-tools', 'tools', 'kyverno') });
  if (dir.code !== 0) return { error: `go list of the Kyverno module failed: ${dir.stderr.trim()}` };
  return { bin: built.stdout.trim(), moduleDir: dir.stdout.trim() };
}

/** Every CRD manifest of the module's config/crds (the Kyverno, policies.kyverno.io, reports and wgpolicyk8s groups). */
export function kyvernoCrdFiles(moduleDir) {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.yaml')) files.push(path);
    }
  };
  walk(join(moduleDir, 'config', 'crds'));
  return files;
}

export function kyvernoPolicy() {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: 'pod-security-restricted' },
    spec: {
      validationFailureAction: 'Enforce',
      background: false,
      rules: [
        {
          name: 'restricted',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          validate: { podSecurity: { level: 'restricted', version: 'latest' } },
        },
      ],
    },
  };
}

/**
 * Starts the admission controller out of cluster. Kyverno creates its own CA and serving
 * certificate (Secrets in its namespace, the certificate valid for -serverIP) and registers its
 * webhook configurations with `https://<serverIP>:<port>` URLs.
 */
export async function startKyverno({ bin, kubeconfig, port, dir }) {
  mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    KYVERNO_NAMESPACE,
    KYVERNO_SERVICEACCOUNT_NAME: 'kyverno-admission-controller',
    KYVERNO_DEPLOYMENT: 'kyverno-admission-controller',
    KYVERNO_POD_NAME: 'kyverno-admission-controller-bench',
    KYVERNO_SVC: 'kyverno-svc',
    INIT_CONFIG: 'kyverno',
    METRICS_CONFIG: 'kyverno-metrics',
    TUF_ROOT: join(dir, 'tuf'),
  };
  return startProcess(
    bin,
    [
      `-kubeconfig=${kubeconfig}`,
      // Kyverno builds its webhook URLs as https://<serverIP><path>: the port goes in here.
      `-serverIP=127.0.0.1:${port}`,
      `-webhookServerPort=${port}`,
      '-v=1',
      '-autoUpdateWebhooks=true',
      '-webhookTimeout=10',
      '-disableMetrics=true',
      '-enableTracing=false',
      '-otelConfig=prometheus',
      '-backgroundServiceAccountName=system:serviceaccount:kyverno:kyverno-background-controller',
      '-reportsServiceAccountName=system:serviceaccount:kyverno:kyverno-reports-controller',
      // The Secrets Kyverno keeps its generated CA and serving pair in (the chart's names).
      '-caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca',
      '-tlsSecretName=kyverno-svc.kyverno.svc.kyverno-tls-pair',
    ],
    { env, cwd: dir, name: 'kyverno', detached: true, ready: () => true },
  );
}
