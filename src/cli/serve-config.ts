/**
 * `kclguard serve`'s flags and how they resolve into a frozen ServeConfig. The resolution's only
 * contact with the machine (is --policies a directory? is there a cluster?) goes through
 * ServeConfigIo, so every rule here is tested without files or clusters.
 */
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { ClusterConfigError, connectToCluster, type ClusterConnection, DEFAULT_WEBHOOK_OPERATIONS, DEFAULT_WEBHOOK_RESOURCES } from '../cluster/index.js';
import { LOG_LEVELS, type LogLevel } from '../observability/index.js';
import { DEFAULT_WORKER_HEAP_MB, WORKER_SCHEDULINGS, type WorkerScheduling } from '../engine/index.js';
import { FlagError, InputError } from './errors.js';
import { parseFlags, type FlagSpec, type FlagValue } from './flags.js';
import { SOURCE_FLAG_NAMES, SOURCE_FLAGS } from './source-flags.js';

/**
 * Kubernetes takes a terminating Pod out of the Service endpoints at the same time as it sends
 * SIGTERM, and API servers and kube-proxy notice a few seconds later. Closing at once would reset
 * the requests they still send, among them every request on an idle keep-alive connection. Ten
 * seconds covers that without a preStop hook (the chart's preStop sleep 5 + delay 5 is the same
 * window); a second signal stops at once.
 */
export const DEFAULT_SHUTDOWN_DELAY_SECONDS = 10;

export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'policies', type: 'string', valueName: 'DIR', default: './policies', description: 'directory of KCLRun / ClusterKCLRun / Namespace YAML files, watched and hot-reloaded' },
  { name: 'host', type: 'string', valueName: 'ADDRESS', default: '127.0.0.1', description: 'address to listen on; use 0.0.0.0 in a Pod' },
  { name: 'port', type: 'integer', min: 0, max: 65535, default: 8443, description: 'HTTPS port (0 picks a free one)' },
  { name: 'cert', type: 'string', valueName: 'FILE', description: 'PEM certificate (chain); reloaded when the file changes. Without --cert/--key a self-signed one is generated' },
  { name: 'key', type: 'string', valueName: 'FILE', description: 'PEM private key for --cert; reloaded when the file changes' },
  { name: 'kubeconfig', type: 'string', valueName: 'FILE', description: 'run in cluster mode against this cluster (inside a Pod, the in-cluster config is used without it)' },
  { name: 'register-webhooks', type: 'boolean', default: false, description: 'create/update the webhook configurations at start-up (cluster mode)' },
  { name: 'webhook-url', type: 'string', valueName: 'URL', description: 'with --register-webhooks outside a cluster: the base URL the API server calls, e.g. https://127.0.0.1:8443' },
  { name: 'service-name', type: 'string', valueName: 'NAME', default: 'kclguard', description: "kclguard's Service in --namespace (cluster mode: registration target; the status writer's Lease is <NAME>-status-writer)" },
  { name: 'webhook-name', type: 'string', valueName: 'NAME', default: 'kclguard', description: 'name of the registered webhook configurations' },
  { name: 'ca-bundle', type: 'string', valueName: 'FILE', description: 'with --register-webhooks: PEM CA that signed --cert (default: --cert itself, or the generated certificate)' },
  { name: 'failure-policy', type: 'enum', values: ['Fail', 'Ignore'], default: 'Fail', description: 'with --register-webhooks: what the API server does when kclguard is unreachable (the validating webhook, and the mutating one unless --mutate-failure-policy)' },
  { name: 'mutate-failure-policy', type: 'enum', values: ['Fail', 'Ignore'], description: "with --register-webhooks: the mutating webhook's failurePolicy (default --failure-policy)" },
  { name: 'service-port', type: 'integer', min: 1, max: 65535, default: 443, description: 'with --register-webhooks in a cluster: the port of --service-name the API server calls' },
  { name: 'excluded-namespaces', type: 'string', valueName: 'NS,...', description: 'with --register-webhooks: namespaces never sent to kclguard, besides kube-system, kube-node-lease and --namespace' },
  { name: 'webhook-timeout-seconds', type: 'integer', min: 1, max: 5, default: 5, description: 'with --register-webhooks: how long the API server waits for an answer' },
  { name: 'webhook-resources', type: 'string', valueName: 'RES,...', default: DEFAULT_WEBHOOK_RESOURCES.join(','), description: 'with --register-webhooks: resources sent to kclguard (add e.g. */scale for subresources)' },
  { name: 'webhook-operations', type: 'string', valueName: 'OP,...', default: DEFAULT_WEBHOOK_OPERATIONS.join(','), description: 'with --register-webhooks: operations sent to kclguard (CREATE, UPDATE, DELETE, CONNECT or *)' },
  { name: 'owner-cluster-role', type: 'string', valueName: 'NAME', description: 'cluster mode: make this ClusterRole the owner of what kclguard creates itself (the status Lease, and with --register-webhooks the webhook configurations), so deleting it (helm uninstall) deletes them' },
  { name: 'webhook-mode', type: 'enum', values: ['static', 'narrowed'], default: 'static', description: 'with --register-webhooks: static registers every resource ("*") once at start-up; narrowed registers only what the policies select, Fail or Ignore per policy failureAction, kept up to date by the elected replica' },
  { name: 'webhook-update-interval-seconds', type: 'integer', min: 1, max: 600, default: 5, description: 'with --webhook-mode narrowed: at most one update of the webhook configurations per this many seconds' },
  { name: 'cluster-sync-timeout-seconds', type: 'integer', min: 1, max: 600, default: 30, description: 'cluster mode: how long start-up waits to list policies and Namespaces before giving up (exit 1)' },
  { name: 'sar-allowed-ttl-seconds', type: 'integer', min: 0, max: 86400, default: 300, description: 'cluster mode: how long an allowed SubjectAccessReview answer is reused' },
  { name: 'sar-denied-ttl-seconds', type: 'integer', min: 0, max: 86400, default: 30, description: 'cluster mode: how long a denied SubjectAccessReview answer is reused' },
  { name: 'cache-resources', type: 'string', valueName: 'RES,...', description: 'cluster mode: the resources (resource.group, e.g. ingresses.networking.k8s.io,pods) kclguard may cache for lookups (spec.lookups) and background audit; others are refused; none for nothing. Default: any (the chart always sets it)' },
  { name: 'audit-interval-seconds', type: 'integer', min: 0, max: 604800, default: 3600, description: 'cluster mode: the elected replica audits existing objects against mode Validate policies this often, and after policy or object changes; 0 turns background audit off' },
  { name: 'audit-debounce-seconds', type: 'integer', min: 0, max: 3600, default: 10, description: 'cluster mode: quiet period after a policy or object change before the audit runs again' },
  { name: 'audit-max-objects', type: 'integer', min: 1, max: 1000000, default: 10000, description: 'cluster mode: objects one audit run checks at most (the rest waits for the next run)' },
  { name: 'pod-name', type: 'string', valueName: 'NAME', description: 'this replica\'s identity for leader election (default $POD_NAME, else the host name)' },
  { name: 'namespace', type: 'string', valueName: 'NAME', description: "kclguard's own namespace, never acted on (default $POD_NAMESPACE, else kclguard)" },
  { name: 'log-level', type: 'enum', values: LOG_LEVELS, default: 'info', description: 'JSON log level' },
  { name: 'shutdown-delay-seconds', type: 'integer', min: 0, max: 60, default: DEFAULT_SHUTDOWN_DELAY_SECONDS, description: 'on SIGTERM/SIGINT, keep serving this long with /readyz failing and every answer closing its connection, before closing the listener (in a Pod: until endpoints stop routing here)' },
  { name: 'shutdown-grace-seconds', type: 'integer', min: 0, max: 300, default: 25, description: 'on SIGTERM/SIGINT, how long to wait for reviews in flight' },
  { name: 'max-in-flight', type: 'integer', min: 1, max: 10000, default: 64, description: 'admission reviews answered at once; more get HTTP 429 (a webhook failure to the API server: failurePolicy decides)' },
  { name: 'workers', type: 'integer', min: 1, max: 64, description: "policy worker threads: policies run there, off the thread that answers HTTP, each stopped at its deadline (default: one per CPU the container may use, 2 to 8, and no more than its memory limit holds at --worker-heap-mb each)" },
  { name: 'worker-heap-mb', type: 'integer', min: 32, max: 16384, default: DEFAULT_WORKER_HEAP_MB, description: 'heap limit of each policy worker, MiB; a policy that exceeds it fails (K9004) and its worker is replaced' },
  { name: 'worker-scheduling', type: 'enum', values: WORKER_SCHEDULINGS, default: 'batch', description: "Linux: batch runs the policy workers under SCHED_BATCH (with util-linux's chrt), so that a woken worker does not preempt the thread answering HTTP; normal leaves them as they start" },
  { name: 'cert-reload-poll-seconds', type: 'integer', min: 0, max: 3600, default: 30, description: 're-read --cert/--key this often in case a file change event was missed (0: only on events)' },
  ...SOURCE_FLAGS,
];

export interface ClusterConfig {
  readonly connection: ClusterConnection;
  readonly identity: string;
  readonly leaseName: string;
  readonly registration?: {
    readonly name: string;
    readonly endpoint: { readonly url: string } | { readonly service: { readonly name: string; readonly namespace: string; readonly port: number } };
    readonly caBundleFile?: string;
    readonly failurePolicy: 'Fail' | 'Ignore';
    readonly mutateFailurePolicy: 'Fail' | 'Ignore';
    /** Besides the always-excluded system namespaces and kclguard's own. */
    readonly excludedNamespaces: readonly string[];
    readonly timeoutSeconds: number;
    readonly resources: readonly string[];
    readonly operations: readonly string[];
    /** static: one `*` webhook per phase at start-up; narrowed: what the policies select (webhook-plan.ts). */
    readonly mode: 'static' | 'narrowed';
    /** Narrowed mode: at most one update per this many ms. */
    readonly updateIntervalMs: number;
  };
  readonly syncTimeoutMs?: number;
  /** Owner (for garbage collection) of the Lease and of registered webhook configurations. */
  readonly ownerClusterRole?: string;
  readonly allowedTtlMs: number;
  readonly deniedTtlMs: number;
  /** `resource.group` names kclguard may cache (lookups, audit); undefined: any. */
  readonly cacheResources?: readonly string[];
  /** Background audit; undefined when turned off. */
  readonly audit?: { readonly intervalMs: number; readonly debounceMs: number; readonly maxObjects: number };
}

export interface ServeConfig {
  /** Local mode's policy directory; undefined in cluster mode. */
  readonly policies?: string;
  readonly cluster?: ClusterConfig;
  readonly host: string;
  readonly port: number;
  readonly cert?: string;
  readonly key?: string;
  readonly namespace: string;
  readonly logLevel: LogLevel;
  readonly shutdownGraceSeconds: number;
  /** Serve on (readiness failing) this long after a stop request before closing. Default 0. */
  readonly shutdownDelaySeconds?: number;
  /** Concurrent admission reviews; more get HTTP 429. Default 64. */
  readonly maxInFlight?: number;
  /** Policy worker threads; undefined: sized to the container (pool-size.ts). */
  readonly workers?: number;
  /** Heap limit of each policy worker, MiB. */
  readonly workerHeapMb?: number;
  /** The policy workers' scheduling policy (thread-scheduling.ts). Default normal. */
  readonly workerScheduling?: WorkerScheduling;
  readonly certReloadPollSeconds: number;
  /** The oci:// source flags as given (src/cli/source-flags.ts turns them into the resolver's configuration). */
  readonly sourceFlags?: Readonly<Record<string, FlagValue | undefined>>;
}

/**
 * What resolving the configuration needs from the machine, passed in so the resolution itself is
 * pure and testable: whether a path is a directory, and how to reach a cluster.
 */
export interface ServeConfigIo {
  isDirectory(path: string): boolean;
  /** The cluster connection for --kubeconfig (or in-cluster config); undefined: local mode. */
  connect(kubeconfig: string | undefined, env: Readonly<Record<string, string | undefined>>): ClusterConnection | undefined;
}

export const systemIo: ServeConfigIo = {
  isDirectory: (path) => existsSync(path) && statSync(path).isDirectory(),
  connect: (kubeconfig, env) => connectToCluster(kubeconfig, env as NodeJS.ProcessEnv),
};

/** Reads flags and environment into a frozen config; a FlagError or InputError for anything wrong. */
export function serveConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: ServeConfigIo = systemIo,
): ServeConfig | 'help' {
  const parsed = parseFlags(SERVE_FLAGS, argv, env);
  if (parsed.help) return 'help';
  if (parsed.positionals.length > 0) throw new FlagError('C1007', { argument: parsed.positionals[0]! });
  const v = parsed.values;
  if (v.cert !== undefined && v.key === undefined) throw new FlagError('C1009', { flag: '--cert', other: '--key' });
  if (v.key !== undefined && v.cert === undefined) throw new FlagError('C1009', { flag: '--key', other: '--cert' });
  const namespace = v.namespace !== undefined ? String(v.namespace) : env.POD_NAMESPACE || 'kclguard';
  const cluster = clusterConfig(v, parsed.sources, env, namespace, io);
  let policies: string | undefined;
  if (!cluster) {
    if (v['register-webhooks'] === true) throw new FlagError('C1010', { flag: '--register-webhooks' });
    policies = String(v.policies);
    if (!io.isDirectory(policies)) throw new InputError('C2002', { flag: '--policies', path: policies });
  } else if (parsed.sources.policies === 'flag' || parsed.sources.policies === 'env') {
    throw new FlagError('C1011', { flag: '--policies', instead: 'policies are KCLRun and ClusterKCLRun objects' });
  } else if (parsed.sources['docker-config'] === 'flag') {
    throw new FlagError('C1011', { flag: '--docker-config', instead: 'a policy names a dockerconfigjson Secret in spec.credentials' });
  }
  return Object.freeze({
    ...(policies !== undefined ? { policies } : {}),
    ...(cluster ? { cluster } : {}),
    host: String(v.host),
    port: Number(v.port),
    ...(v.cert !== undefined ? { cert: String(v.cert), key: String(v.key) } : {}),
    namespace,
    logLevel: v['log-level'] as LogLevel,
    shutdownGraceSeconds: Number(v['shutdown-grace-seconds']),
    shutdownDelaySeconds: Number(v['shutdown-delay-seconds']),
    maxInFlight: Number(v['max-in-flight']),
    ...(v.workers !== undefined ? { workers: Number(v.workers) } : {}),
    workerHeapMb: Number(v['worker-heap-mb']),
    workerScheduling: v['worker-scheduling'] as WorkerScheduling,
    certReloadPollSeconds: Number(v['cert-reload-poll-seconds']),
    sourceFlags: Object.freeze(Object.fromEntries(Object.entries(v).filter(([name]) => SOURCE_FLAG_NAMES.has(name)))),
  });
}

function clusterConfig(
  v: Readonly<Record<string, string | number | boolean | undefined>>,
  sources: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  namespace: string,
  io: ServeConfigIo,
): ClusterConfig | undefined {
  let connection: ClusterConnection | undefined;
  try {
    connection = io.connect(v.kubeconfig !== undefined ? String(v.kubeconfig) : undefined, env);
  } catch (error) {
    if (error instanceof ClusterConfigError) throw new InputError('C2016', { reason: error.message });
    throw error;
  }
  if (!connection) return undefined;
  let registration: ClusterConfig['registration'];
  if (v['register-webhooks'] === true) {
    const url = v['webhook-url'] !== undefined ? String(v['webhook-url']) : undefined;
    if (url !== undefined && !/^https:\/\/[^/]+/.test(url)) throw new FlagError('C1006', { where: '--webhook-url', expected: 'an https:// URL', actual: JSON.stringify(url) });
    if (url === undefined && connection.source !== 'in-cluster') {
      throw new FlagError('C1008', { flag: '--webhook-url URL', when: ' with --register-webhooks outside a cluster (the address the API server calls)' });
    }
    const failurePolicy = v['failure-policy'] as 'Fail' | 'Ignore';
    const mode = v['webhook-mode'] as 'static' | 'narrowed';
    if (mode === 'narrowed') {
      // Rules and failurePolicy come from the policies; a static setting would be silently ignored.
      const staticOnly = ['failure-policy', 'mutate-failure-policy', 'webhook-resources', 'webhook-operations'];
      const given = staticOnly.find((name) => sources[name] === 'flag' || sources[name] === 'env');
      if (given) throw new FlagError('C1013', { flag: `--${given}`, reason: "does not apply with --webhook-mode narrowed: each policy's failureAction and selector decide" });
    } else if (sources['webhook-update-interval-seconds'] === 'flag') {
      throw new FlagError('C1009', { flag: '--webhook-update-interval-seconds', other: '--webhook-mode narrowed' });
    }
    registration = {
      mode,
      updateIntervalMs: Number(v['webhook-update-interval-seconds']) * 1000,
      name: String(v['webhook-name']),
      endpoint: url !== undefined ? { url } : { service: { name: String(v['service-name']), namespace, port: Number(v['service-port']) } },
      ...(v['ca-bundle'] !== undefined ? { caBundleFile: String(v['ca-bundle']) } : {}),
      failurePolicy,
      mutateFailurePolicy: v['mutate-failure-policy'] !== undefined ? (v['mutate-failure-policy'] as 'Fail' | 'Ignore') : failurePolicy,
      excludedNamespaces: commaList(v['excluded-namespaces']),
      timeoutSeconds: Number(v['webhook-timeout-seconds']),
      resources: nonEmptyList('--webhook-resources', v['webhook-resources']),
      operations: operationList(v['webhook-operations']),
    };
  } else {
    const registrationOnly = ['webhook-url', 'ca-bundle', 'mutate-failure-policy', 'service-port', 'excluded-namespaces', 'webhook-timeout-seconds', 'webhook-resources', 'webhook-operations', 'webhook-mode', 'webhook-update-interval-seconds'];
    const given = registrationOnly.find((name) => sources[name] === 'flag');
    if (given) throw new FlagError('C1009', { flag: `--${given}`, other: '--register-webhooks' });
  }
  return {
    connection,
    identity: v['pod-name'] !== undefined ? String(v['pod-name']) : env.POD_NAME || hostname(),
    // The chart grants the Lease <release>-status-writer, and the Service is named <release>.
    leaseName: `${String(v['service-name'])}-status-writer`,
    ...(registration ? { registration } : {}),
    allowedTtlMs: Number(v['sar-allowed-ttl-seconds']) * 1000,
    deniedTtlMs: Number(v['sar-denied-ttl-seconds']) * 1000,
    syncTimeoutMs: Number(v['cluster-sync-timeout-seconds']) * 1000,
    ...(v['owner-cluster-role'] !== undefined ? { ownerClusterRole: String(v['owner-cluster-role']) } : {}),
    // `none`: nothing may be cached (the chart's empty cache.resources).
    ...(v['cache-resources'] !== undefined ? { cacheResources: String(v['cache-resources']) === 'none' ? [] : commaList(v['cache-resources']) } : {}),
    ...(Number(v['audit-interval-seconds']) > 0
      ? {
          audit: {
            intervalMs: Number(v['audit-interval-seconds']) * 1000,
            debounceMs: Number(v['audit-debounce-seconds']) * 1000,
            maxObjects: Number(v['audit-max-objects']),
          },
        }
      : {}),
  };
}

function commaList(value: string | number | boolean | undefined): string[] {
  if (value === undefined) return [];
  return String(value)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function nonEmptyList(flag: string, value: string | number | boolean | undefined): string[] {
  const list = commaList(value);
  if (list.length === 0) throw new FlagError('C1006', { where: flag, expected: 'a list of at least one entry', actual: JSON.stringify(String(value ?? '')) });
  return list;
}

const WEBHOOK_OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'];

function operationList(value: string | number | boolean | undefined): string[] {
  const list = nonEmptyList('--webhook-operations', value);
  const wrong = list.find((op) => !WEBHOOK_OPERATIONS.includes(op));
  if (wrong !== undefined) throw new FlagError('C1006', { where: '--webhook-operations', expected: `a list of ${WEBHOOK_OPERATIONS.join(', ')}`, actual: JSON.stringify(wrong) });
  return list;
}

/**
 * Names the generated certificate is valid for: loopback, the listen address, and where the API
 * server is told to call (the Service's DNS names, or the --webhook-url host).
 */
export function selfSignedHosts(config: Pick<ServeConfig, 'host' | 'cluster'>): string[] {
  const hosts = ['localhost', '127.0.0.1'];
  const add = (host: string) => {
    if (host !== '' && host !== '0.0.0.0' && host !== '::' && !hosts.includes(host)) hosts.push(host);
  };
  add(config.host);
  const endpoint = config.cluster?.registration?.endpoint;
  if (endpoint && 'service' in endpoint) {
    const { name, namespace } = endpoint.service;
    for (const host of [`${name}.${namespace}.svc`, `${name}.${namespace}`, name]) add(host);
  } else if (endpoint) {
    add(new URL(endpoint.url).hostname.replace(/^\[(.*)\]$/, '$1'));
  }
  return hosts;
}

