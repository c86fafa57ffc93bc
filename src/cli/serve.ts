/**
 * `kclguard serve`: the admission webhook server. Without a kubeconfig or in-cluster config it
 * runs from a local policy directory (hot-reloaded) with a self-signed certificate when none is
 * given, and prints where it listens. With --kubeconfig, or inside a Pod, it runs in cluster
 * mode: policies and Namespaces from informers, a SubjectAccessReview authorizer, status written
 * by the elected replica, and optionally self-registered webhook configurations.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import type { AdmissionHandler } from '../engine/contract.js';
import { createClusterEngine } from '../cluster/cluster-engine.js';
import { ClusterConfigError, connectToCluster, type ClusterConnection } from '../cluster/kube-config.js';
import { DEFAULT_WEBHOOK_OPERATIONS, DEFAULT_WEBHOOK_RESOURCES, registerWebhooks } from '../cluster/webhook-registration.js';
import { DEFAULT_SYSTEM_NAMESPACES } from '../engine/exclusions.js';
import { kclCompiler } from '../engine/kcl-compiler.js';
import { withPolicyValidation } from '../engine/policy-admission.js';
import { createLocalEngine, type LocalEngine } from '../engine/local-engine.js';
import type { LocalLoadReport } from '../engine/local-policy-source.js';
import type { EngineObserver } from '../engine/observer.js';
import type { PolicyCompiler } from '../engine/policy-compiler.js';
import { metricsObserver } from '../observability/engine-observer.js';
import { LOG_LEVELS, createLogger, type LogLevel, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createApp } from '../server/app.js';
import { readKeyPair, startHttpsListener, type HttpsListener } from '../server/https-listener.js';
import { InFlightTracker } from '../server/in-flight.js';
import { generateSelfSigned, type KeyPair } from '../server/self-signed.js';
import { FlagError, formatUsage, parseFlags, type FlagSpec } from './flags.js';

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
  { name: 'owner-cluster-role', type: 'string', valueName: 'NAME', description: 'with --register-webhooks: make this ClusterRole the owner of the configurations, so deleting it (helm uninstall) deletes them' },
  { name: 'cluster-sync-timeout-seconds', type: 'integer', min: 1, max: 600, default: 30, description: 'cluster mode: how long start-up waits to list policies and Namespaces before giving up (exit 1)' },
  { name: 'sar-allowed-ttl-seconds', type: 'integer', min: 0, max: 86400, default: 300, description: 'cluster mode: how long an allowed SubjectAccessReview answer is reused' },
  { name: 'sar-denied-ttl-seconds', type: 'integer', min: 0, max: 86400, default: 30, description: 'cluster mode: how long a denied SubjectAccessReview answer is reused' },
  { name: 'pod-name', type: 'string', valueName: 'NAME', description: 'this replica\'s identity for leader election (default $POD_NAME, else the host name)' },
  { name: 'namespace', type: 'string', valueName: 'NAME', description: "kclguard's own namespace, never acted on (default $POD_NAMESPACE, else kclguard)" },
  { name: 'log-level', type: 'enum', values: LOG_LEVELS, default: 'info', description: 'JSON log level' },
  { name: 'shutdown-delay-seconds', type: 'integer', min: 0, max: 60, default: 0, description: 'on SIGTERM/SIGINT, keep serving this long with /readyz failing before closing the listener (in a Pod: until endpoints stop routing here)' },
  { name: 'shutdown-grace-seconds', type: 'integer', min: 0, max: 300, default: 25, description: 'on SIGTERM/SIGINT, how long to wait for reviews in flight' },
  { name: 'max-in-flight', type: 'integer', min: 1, max: 10000, default: 64, description: 'admission reviews answered at once; more get HTTP 429 (a webhook failure to the API server: failurePolicy decides)' },
  { name: 'cert-reload-poll-seconds', type: 'integer', min: 0, max: 3600, default: 30, description: 're-read --cert/--key this often in case a file change event was missed (0: only on events)' },
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
    readonly ownerClusterRole?: string;
  };
  readonly syncTimeoutMs?: number;
  readonly allowedTtlMs: number;
  readonly deniedTtlMs: number;
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
  readonly certReloadPollSeconds: number;
}

/** Reads flags and environment into a frozen config; FlagError for anything wrong. */
export function serveConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServeConfig | 'help' {
  const parsed = parseFlags(SERVE_FLAGS, argv, env);
  if (parsed.help) return 'help';
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument '${parsed.positionals[0]}'`);
  const v = parsed.values;
  if ((v.cert === undefined) !== (v.key === undefined)) {
    throw new FlagError('--cert and --key must be given together');
  }
  const namespace = v.namespace !== undefined ? String(v.namespace) : env.POD_NAMESPACE || 'kclguard';
  const cluster = clusterConfig(v, parsed.sources, env, namespace);
  let policies: string | undefined;
  if (!cluster) {
    if (v['register-webhooks'] === true) throw new FlagError('--register-webhooks needs cluster mode (--kubeconfig, or running in a Pod)');
    policies = String(v.policies);
    if (!existsSync(policies) || !statSync(policies).isDirectory()) {
      throw new FlagError(`--policies ${policies} is not a directory`);
    }
  } else if (parsed.sources.policies === 'flag' || parsed.sources.policies === 'env') {
    throw new FlagError('--policies is for local mode; in cluster mode policies are KCLRun and ClusterKCLRun objects');
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
    certReloadPollSeconds: Number(v['cert-reload-poll-seconds']),
  });
}

function clusterConfig(
  v: Readonly<Record<string, string | number | boolean | undefined>>,
  sources: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  namespace: string,
): ClusterConfig | undefined {
  let connection: ClusterConnection | undefined;
  try {
    connection = connectToCluster(v.kubeconfig !== undefined ? String(v.kubeconfig) : undefined, env as NodeJS.ProcessEnv);
  } catch (error) {
    if (error instanceof ClusterConfigError) throw new FlagError(error.message);
    throw error;
  }
  if (!connection) return undefined;
  let registration: ClusterConfig['registration'];
  if (v['register-webhooks'] === true) {
    const url = v['webhook-url'] !== undefined ? String(v['webhook-url']) : undefined;
    if (url !== undefined && !/^https:\/\/[^/]+/.test(url)) throw new FlagError(`--webhook-url ${url} must be an https:// URL`);
    if (url === undefined && connection.source !== 'in-cluster') {
      throw new FlagError('--register-webhooks outside a cluster needs --webhook-url (the address the API server calls)');
    }
    const failurePolicy = v['failure-policy'] as 'Fail' | 'Ignore';
    registration = {
      name: String(v['webhook-name']),
      endpoint: url !== undefined ? { url } : { service: { name: String(v['service-name']), namespace, port: Number(v['service-port']) } },
      ...(v['ca-bundle'] !== undefined ? { caBundleFile: String(v['ca-bundle']) } : {}),
      failurePolicy,
      mutateFailurePolicy: v['mutate-failure-policy'] !== undefined ? (v['mutate-failure-policy'] as 'Fail' | 'Ignore') : failurePolicy,
      excludedNamespaces: commaList(v['excluded-namespaces']),
      timeoutSeconds: Number(v['webhook-timeout-seconds']),
      resources: nonEmpty('--webhook-resources', commaList(v['webhook-resources'])),
      operations: operationList(commaList(v['webhook-operations'])),
      ...(v['owner-cluster-role'] !== undefined ? { ownerClusterRole: String(v['owner-cluster-role']) } : {}),
    };
  } else {
    const registrationOnly = ['webhook-url', 'ca-bundle', 'mutate-failure-policy', 'service-port', 'excluded-namespaces', 'webhook-timeout-seconds', 'webhook-resources', 'webhook-operations', 'owner-cluster-role'];
    const given = registrationOnly.find((name) => sources[name] === 'flag');
    if (given) throw new FlagError(`--${given} only applies with --register-webhooks`);
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
  };
}

function commaList(value: string | number | boolean | undefined): string[] {
  if (value === undefined) return [];
  return String(value)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function nonEmpty(flag: string, list: string[]): string[] {
  if (list.length === 0) throw new FlagError(`${flag} needs at least one entry`);
  return list;
}

const WEBHOOK_OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'];

function operationList(list: string[]): string[] {
  nonEmpty('--webhook-operations', list);
  const wrong = list.find((op) => !WEBHOOK_OPERATIONS.includes(op));
  if (wrong !== undefined) throw new FlagError(`--webhook-operations: '${wrong}' is not one of ${WEBHOOK_OPERATIONS.join(', ')}`);
  return list;
}

export interface ServeDependencies {
  /** The KCL compiler policies are compiled with (default: kclguard's interpreter). */
  readonly compiler?: PolicyCompiler;
  readonly logger?: Logger;
  /** Where human-readable start-up lines go (default stderr). */
  readonly print?: (line: string) => void;
  /** Write a generated certificate to the cache directory for clients to trust (default true). */
  readonly saveGeneratedCertificate?: boolean;
}

export interface RunningServer {
  readonly url: string;
  readonly listener: HttpsListener;
  readonly metrics: Metrics;
  readonly handler: AdmissionHandler;
  /** The CA to trust: the generated certificate, or undefined with --cert. */
  readonly selfSignedCert?: string;
  /** Reloads the policy directory now (it also reloads by itself on file changes). */
  reloadPolicies(): Promise<LocalLoadReport>;
  /** Graceful shutdown; true when every review in flight finished. */
  stop(): Promise<boolean>;
}

export async function startServe(config: ServeConfig, deps: ServeDependencies): Promise<RunningServer> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const print = deps.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const metrics = createMetrics(new Registry());
  const observer = metricsObserver(metrics);
  let selfSigned: KeyPair | undefined;
  let tls: KeyPair | { certFile: string; keyFile: string };
  if (config.cert !== undefined && config.key !== undefined) {
    tls = { certFile: resolve(config.cert), keyFile: resolve(config.key) };
    try {
      await readKeyPair(tls);
    } catch (error) {
      throw new FlagError(`cannot use --cert ${config.cert} --key ${config.key}: ${describe(error)}`);
    }
  } else {
    selfSigned = generateSelfSigned({ hosts: selfSignedHosts(config) });
    tls = selfSigned;
  }

  const backend = config.cluster
    ? await clusterBackend(config, config.cluster, deps, observer, logger)
    : await localBackend(config, config.policies!, deps, observer, logger);

  const inFlight = new InFlightTracker();
  let draining = false;
  let stopping: Promise<boolean> | undefined;
  const handler = backend.handler;
  const app = createApp({
    handler,
    metrics,
    logger,
    inFlight,
    isDraining: () => draining,
    maxInFlight: config.maxInFlight ?? 64,
    readiness: () => (backend.loaded() ? { ready: true } : { ready: false, reason: 'policies not loaded yet' }),
  });

  let listener: HttpsListener;
  try {
    listener = await startHttpsListener({
      app,
      host: config.host,
      port: config.port,
      tls,
      logger,
      inFlight,
      reloadPollMs: config.certReloadPollSeconds * 1000,
    });
  } catch (error) {
    await backend.close();
    throw new ServeStartError(`cannot listen on ${config.host}:${config.port}: ${describe(error)}`);
  }

  print(`kclguard serving ${listener.url} (POST /mutate, POST /validate; GET /healthz, /readyz, /metrics)`);
  for (const line of backend.summary()) print(line);
  if (config.cluster?.registration) {
    const registration = config.cluster.registration;
    try {
      const caFile = registration.caBundleFile ?? config.cert;
      const caBundlePem = caFile !== undefined ? readFileSync(caFile, 'utf8') : selfSigned!.cert;
      await registerWebhooks({
        kubeConfig: config.cluster.connection.kubeConfig,
        name: registration.name,
        endpoint: registration.endpoint,
        caBundlePem,
        excludedNamespaces: [...DEFAULT_SYSTEM_NAMESPACES, config.namespace, ...registration.excludedNamespaces],
        failurePolicy: { mutate: registration.mutateFailurePolicy, validate: registration.failurePolicy },
        timeoutSeconds: registration.timeoutSeconds,
        resources: registration.resources,
        operations: registration.operations,
        ...(registration.ownerClusterRole !== undefined ? { ownerClusterRole: registration.ownerClusterRole } : {}),
      });
      print(`registered MutatingWebhookConfiguration and ValidatingWebhookConfiguration ${registration.name}`);
    } catch (error) {
      await listener.close(0);
      await backend.close();
      throw new ServeStartError(`cannot register the webhook configurations: ${describe(error)}`);
    }
  }
  if (selfSigned) {
    const caPath = deps.saveGeneratedCertificate === false ? undefined : saveGeneratedCertificate(selfSigned.cert);
    print(
      `TLS: generated a self-signed certificate for ${selfSignedHosts(config).join(', ')}` +
        (caPath ? `; trust it with --cacert ${caPath}` : ''),
    );
  } else {
    print(`TLS: ${config.cert} (reloaded when it changes)`);
  }

  return {
    url: listener.url,
    listener,
    metrics,
    handler,
    ...(selfSigned ? { selfSignedCert: selfSigned.cert } : {}),
    reloadPolicies: () => backend.reload(),
    stop(): Promise<boolean> {
      stopping ??= (async () => {
        // /readyz fails from now on, but reviews are still answered: endpoints (and the API
        // servers' connection pools) take a moment to stop routing to a terminating Pod.
        draining = true;
        const delayMs = (config.shutdownDelaySeconds ?? 0) * 1000;
        if (delayMs > 0) {
          logger.info({ delaySeconds: config.shutdownDelaySeconds }, 'draining: still serving while endpoints stop routing here');
          await new Promise((resolveDelay) => setTimeout(resolveDelay, delayMs));
        }
        const drained = await listener.close(config.shutdownGraceSeconds * 1000);
        await backend.close();
        if (!drained) logger.warn({ inFlight: inFlight.size }, 'shutdown grace period over; reviews still in flight were cut off');
        logger.info({}, 'kclguard stopped');
        return drained;
      })();
      return stopping;
    },
  };
}

/** Where policies come from: the part of serve that differs between local and cluster mode. */
interface PolicyBackend {
  readonly handler: AdmissionHandler;
  loaded(): boolean;
  /** Lines printed at start-up. */
  summary(): string[];
  reload(): Promise<LocalLoadReport>;
  close(): Promise<void>;
}

async function localBackend(config: ServeConfig, dir: string, deps: ServeDependencies, observer: EngineObserver, logger: Logger): Promise<PolicyBackend> {
  // Ready once the first load finished; local mode loads before listening, but the readiness
  // check stays honest should that order ever change.
  let loaded = false;
  const compiler = deps.compiler ?? kclCompiler;
  const engine: LocalEngine = await createLocalEngine({
    dir,
    compiler,
    exclusions: { ownNamespace: config.namespace },
    observer,
    logger,
    onReload: (report) => {
      loaded = true;
      logger.info({ dir, files: report.files, ...report.snapshot.counts, problems: report.problems.length }, 'policies loaded');
    },
  });
  const first = engine.initialReport;
  return {
    handler: withPolicyValidation(engine.handler, compiler),
    loaded: () => loaded,
    summary: () => [
      `policies from ${dir}: ${Object.entries(first.snapshot.counts).map(([state, n]) => `${n} ${state}`).join(', ')}; watching for changes`,
      ...first.problems.map((problem) => `  ${problem.origin ? `${problem.origin}: ` : ''}${problem.message}`),
    ],
    reload: () => engine.reload(),
    close: async () => engine.close(),
  };
}

async function clusterBackend(
  config: ServeConfig,
  cluster: ClusterConfig,
  deps: ServeDependencies,
  observer: EngineObserver,
  logger: Logger,
): Promise<PolicyBackend> {
  const compiler = deps.compiler ?? kclCompiler;
  let engine;
  try {
    engine = await createClusterEngine({
      connection: cluster.connection,
      compiler,
      observer,
      logger,
      namespace: config.namespace,
      identity: cluster.identity,
      leaseName: cluster.leaseName,
      exclusions: { ownNamespace: config.namespace },
      authorizerCache: { allowedTtlMs: cluster.allowedTtlMs, deniedTtlMs: cluster.deniedTtlMs },
      ...(cluster.syncTimeoutMs !== undefined ? { syncTimeoutMs: cluster.syncTimeoutMs } : {}),
    });
  } catch (error) {
    throw new ServeStartError(`cannot reach the cluster (${cluster.connection.source}): ${describe(error)}`);
  }
  const running = engine;
  return {
    handler: withPolicyValidation(running.handler, compiler),
    loaded: () => running.ready(),
    summary: () => {
      const counts = running.policies.snapshot().counts;
      return [
        `cluster mode (${cluster.connection.source}): policies from KCLRun and ClusterKCLRun objects: ${Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(', ')}; watching for changes`,
      ];
    },
    reload: async () => {
      throw new Error('cluster mode reloads from its informers');
    },
    close: () => running.close(),
  };
}

/** A start-up failure that is not the user's flags (port in use...): exit 1, one line. */
export class ServeStartError extends Error {}

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

/** Written (certificate only, never the key) so a local client can trust exactly this server. */
function saveGeneratedCertificate(cert: string): string | undefined {
  try {
    const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kclguard');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'serve-ca.crt');
    writeFileSync(path, cert);
    return path;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'address already in use';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOENT') return 'no such file';
  if (error instanceof Error) return error.message.split('\n')[0]!;
  return String(error);
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolveSignal(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export async function main(argv: string[]): Promise<number> {
  let config: ServeConfig | 'help';
  try {
    config = serveConfig(argv, process.env);
  } catch (error) {
    if (error instanceof FlagError) {
      process.stderr.write(`kclguard serve: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (config === 'help') {
    process.stdout.write(formatUsage('serve', SERVE_FLAGS));
    return 0;
  }
  let server: RunningServer;
  try {
    server = await startServe(config, {});
  } catch (error) {
    if (error instanceof FlagError || error instanceof ServeStartError) {
      process.stderr.write(`kclguard serve: ${error.message}\n`);
      return error instanceof FlagError ? 2 : 1;
    }
    throw error;
  }
  // Until here a signal ends the process the default way: nothing is in flight yet.
  const signal = waitForSignal();
  const received = await signal;
  const delay = config.shutdownDelaySeconds ?? 0;
  process.stderr.write(
    `kclguard serve: ${received} received; ${delay > 0 ? `still serving for ${delay}s while endpoints update, then ` : ''}finishing reviews in flight (up to ${config.shutdownGraceSeconds}s)\n`,
  );
  await server.stop();
  return 0;
}
