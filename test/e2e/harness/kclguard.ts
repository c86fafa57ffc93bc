// kclguard in cluster mode, started out of cluster as a child process the way an operator
// would run it (`node dist/main.js serve --kubeconfig ... --register-webhooks ...`), serving
// HTTPS on 127.0.0.1 with the control plane's webhook certificate. The global setup builds
// dist/ first. Every start registers webhook configurations under its own name, and stop()
// removes them again, so one test file's kclguard never sees another file's requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { REPO_ROOT } from './repo.js';
import { apply, eventually, kubectl, manifests } from './kubectl.js';

/** kclguard's own namespace in the e2e cluster: the Lease lives here, and it is never acted on. */
export const KCLGUARD_NAMESPACE = 'kclguard-e2e';

export interface KclguardOptions {
  /** Name of the registered Mutating/ValidatingWebhookConfigurations (unique per test file). */
  readonly webhookName: string;
  readonly failurePolicy?: 'Fail' | 'Ignore';
  /** `--webhook-mode narrowed` (failurePolicy then comes from each policy; updates at most every second). */
  readonly narrowed?: boolean;
  /** Short SubjectAccessReview cache TTLs keep RBAC tests fast. */
  readonly sarAllowedTtlSeconds?: number;
  readonly sarDeniedTtlSeconds?: number;
  /** Another kubeconfig than the admin's (e.g. one impersonating the chart's ServiceAccount). */
  readonly kubeconfig?: string;
  /** kclguard's own namespace, which must exist; default KCLGUARD_NAMESPACE (created here). */
  readonly namespace?: string;
  /** `--service-name`: the Lease is `<serviceName>-status-writer`. */
  readonly serviceName?: string;
  /** More `serve` flags (e.g. the webhook settings a chart passes). */
  readonly extraArgs?: readonly string[];
}

export interface RunningKclguard {
  readonly url: string;
  /** Everything kclguard wrote to stdout and stderr so far (its JSON log and start-up lines). */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; the webhook configurations stay registered. */
  kill(): Promise<void>;
  /** Stops the process (if running) and deletes the webhook configurations. */
  stop(): Promise<void>;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e tests through jest.e2e.config.js`);
  return value;
}


/** Children still running when the worker exits (a failed beforeAll, a crash) are killed. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function deleteWebhookConfigurations(name: string): Promise<void> {
  await kubectl(['delete', 'mutatingwebhookconfiguration', name, '--ignore-not-found']);
  await kubectl(['delete', 'validatingwebhookconfiguration', name, '--ignore-not-found']);
}

/**
 * Waits until the API server really calls this kclguard: a server-side dry run of a KCLRun with
 * broken KCL is rejected only by kclguard's validating webhook, and the API server picks up a
 * new webhook configuration from its informer a moment after it is written.
 */
async function waitUntilCalled(webhookName: string): Promise<void> {
  const probe = manifests({
    apiVersion: 'krm.kcl.dev/v1alpha1',
    kind: 'KCLRun',
    metadata: { name: 'webhook-probe', namespace: 'default' },
    spec: { source: 'x = \n' },
  });
  const called = await eventually(
    async () => {
      const result = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: probe, allowFailure: true });
      return result.code !== 0 && result.stderr.includes(`validate.kclguard.krm.kcl.dev`);
    },
    { timeoutMs: 30_000 },
  );
  if (!called) throw new Error(`the API server never called kclguard (${webhookName})`);
}

export async function startKclguard(options: KclguardOptions): Promise<RunningKclguard> {
  const main = resolve(REPO_ROOT, 'dist/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: the e2e global setup builds it (npm run build)`);
  const namespace = options.namespace ?? KCLGUARD_NAMESPACE;
  if (!options.namespace) await apply(manifests({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }));
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const args = [
    main,
    'serve',
    '--kubeconfig', options.kubeconfig ?? requireEnv('KUBECONFIG'),
    '--host', '127.0.0.1',
    '--port', String(port),
    '--cert', requireEnv('KCLGUARD_E2E_WEBHOOK_CERT'),
    '--key', requireEnv('KCLGUARD_E2E_WEBHOOK_KEY'),
    '--register-webhooks',
    '--webhook-url', url,
    '--webhook-name', options.webhookName,
    '--ca-bundle', requireEnv('KCLGUARD_E2E_CA_CERT'),
    ...(options.narrowed ? ['--webhook-mode', 'narrowed', '--webhook-update-interval-seconds', '1'] : ['--failure-policy', options.failurePolicy ?? 'Ignore']),
    '--sar-allowed-ttl-seconds', String(options.sarAllowedTtlSeconds ?? 2),
    '--sar-denied-ttl-seconds', String(options.sarDeniedTtlSeconds ?? 2),
    '--namespace', namespace,
    ...(options.serviceName ? ['--service-name', options.serviceName] : []),
    '--pod-name', options.webhookName,
    '--shutdown-grace-seconds', '2',
    '--shutdown-delay-seconds', '0',
    '--log-level', 'info',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  running.add(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => {
    running.delete(child);
    resolveExit(code);
  }));

  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const stop = async (): Promise<void> => {
    await kill();
    await deleteWebhookConfigurations(options.webhookName);
  };

  const registered = await Promise.race([
    eventually(async () => output.includes(`ValidatingWebhookConfiguration ${options.webhookName}`), { timeoutMs: 30_000, intervalMs: 100 }),
    exited.then(() => false),
  ]);
  if (!registered) {
    await stop();
    throw new Error(`kclguard did not start:\n${output}`);
  }
  try {
    await waitUntilCalled(options.webhookName);
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\nkclguard output:\n${output}`);
  }
  return { url, output: () => output, kill, stop };
}
