/**
 * `kclguard serve`: wiring only. Flags and configuration: serve-config.ts. The engine runtime:
 * local (a policy directory, src/engine/local-engine.ts) or cluster (informers,
 * src/cluster/cluster-engine.ts), both running their policies in the worker pool. TLS, the HTTPS
 * listener and graceful stop: src/server.
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { createClusterEngine, noRegistryCredentials, registerWebhooks, registrySecretCredentials, type ClusterEngine, type WebhookTarget } from '../cluster/index.js';
import { metricsObserver, observeSourceText, poolObserver, createLogger, type Logger, createMetrics, type Metrics } from '../observability/index.js';
import { createApp, startHttpsListener, type HttpsListener, InFlightTracker, gracefulStop, waitForStopSignal, CertificateError, saveGeneratedCertificate, serverCertificate } from '../server/index.js';
import {
  containerLimits,
  createLocalEngine,
  DEFAULT_SYSTEM_NAMESPACES,
  DEFAULT_WORKER_HEAP_MB,
  defaultPoolSize,
  memoryWarning,
  WorkerPool,
  type ContainerLimits,
  type AdmissionHandler,
  type EngineObserver,
  type EngineRuntime,
  type PolicyExecutor,
  type PolicySnapshot,
} from '../engine/index.js';
import { CliError, InputError, firstLine, reportCliError, ServeStartError } from './errors.js';
import { formatUsage } from './flags.js';
import { startAudit, type RunningAudit } from './serve-audit.js';
import { SERVE_FLAGS, selfSignedHosts, serveConfig, type ClusterConfig, type ServeConfig } from './serve-config.js';
import { buildResolver, sourceCheckFor, sourceSetup } from './source-flags.js';

export { SERVE_FLAGS, selfSignedHosts, serveConfig, type ServeConfig } from './serve-config.js';

export interface ServeDependencies {
  /** Runs the policies. Default: a worker pool of `config.workers` threads, or as many as the container's limits allow. */
  readonly executor?: PolicyExecutor;
  readonly logger?: Logger;
  /** Where human-readable start-up lines go (default stderr). */
  readonly print?: (line: string) => void;
  /** Write a generated certificate to the cache directory for clients to trust (default true). */
  readonly saveGeneratedCertificate?: boolean;
  /** The container's CPU and memory limits that size the worker pool (default: read from its cgroup). */
  readonly containerLimits?: () => ContainerLimits;
}

export interface RunningServer {
  readonly url: string;
  readonly listener: HttpsListener;
  readonly metrics: Metrics;
  readonly handler: AdmissionHandler;
  readonly runtime: EngineRuntime;
  /** The CA to trust: the generated certificate, or undefined with --cert. */
  readonly selfSignedCert?: string;
  /** Loads the policies again now (they also reload by themselves on changes). */
  reloadPolicies(): Promise<PolicySnapshot>;
  /** Graceful shutdown; true when every review in flight finished. */
  stop(): Promise<boolean>;
}

/**
 * The policy worker pool: `--workers` threads, or as many as the container's CPU and memory limits
 * allow (pool-size.ts); a warning when they may not fit its memory limit at their heap caps.
 */
function workerPool(config: ServeConfig, limits: ContainerLimits, metrics: Metrics, logger: Logger): { pool: WorkerPool; startUpLine: string } {
  const heapMb = config.workerHeapMb ?? DEFAULT_WORKER_HEAP_MB;
  const scheduling = config.workerScheduling ?? 'normal';
  const size = config.workers !== undefined ? { workers: config.workers, reason: 'from --workers' } : defaultPoolSize(heapMb, limits);
  const pool = new WorkerPool({ size: size.workers, heapMb, scheduling, observer: poolObserver(metrics), logger });
  const tooBig = memoryWarning(pool.size, heapMb, limits);
  if (tooBig) logger.warn({ workers: pool.size, workerHeapMb: heapMb, memoryLimitBytes: limits.memoryBytes }, tooBig);
  return { pool, startUpLine: `policies run in ${pool.size} worker threads (${size.reason}; heap limit ${heapMb} MiB each, scheduling ${scheduling})` };
}

export async function startServe(config: ServeConfig, deps: ServeDependencies): Promise<RunningServer> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const print = deps.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const metrics = createMetrics(new Registry());
  const hosts = selfSignedHosts(config);
  let certificate;
  try {
    certificate = await serverCertificate(config.cert !== undefined && config.key !== undefined ? { cert: config.cert, key: config.key } : undefined, hosts);
  } catch (error) {
    if (error instanceof CertificateError) throw new InputError('C2017', { cert: error.files.cert, key: error.files.key, reason: error.reason });
    throw error;
  }

  const { pool, startUpLine } = deps.executor ? {} : workerPool(config, (deps.containerLimits ?? containerLimits)(), metrics, logger);
  const executor = deps.executor ?? pool!;
  const sources = sourcesFor(config, logger);
  let runtime: EngineRuntime;
  let cluster: ClusterEngine | undefined;
  try {
    // Never rejects: a worker that fails to start is retried, and /readyz fails until one runs.
    await pool?.started();
    ({ runtime, cluster } = await startRuntime(config, executor, metricsObserver(metrics), logger, pool ? () => pool.healthy() : undefined, sources));
  } catch (error) {
    await executor.close();
    throw error;
  }
  // Background audit runs on the elected replica only (it follows the status writer's Lease).
  const audit: RunningAudit | undefined = config.cluster?.audit && cluster ? startAudit(cluster, config.cluster.connection, config.cluster.audit, metrics, logger) : undefined;
  // Registries are asked again on a timer, never on the request path; what changed reloads.
  const { resolver } = sources.handle;
  observeSourceText(metrics, () => resolver.heldBytes(), sources.setup.config.budget?.totalBytes ?? Number.POSITIVE_INFINITY);
  resolver.onChange(() => void runtime.reload().catch((error: unknown) => logger.warn({ err: describe(error) }, 'policy reload after a source change failed')));
  resolver.watch(sources.handle.retrySeconds * 1000);
  const sourceRefresh = { close: async () => resolver.close() };

  const inFlight = new InFlightTracker();
  let draining = false;
  const app = createApp({
    handler: runtime.handler,
    metrics,
    logger,
    inFlight,
    isDraining: () => draining,
    maxInFlight: config.maxInFlight ?? 64,
    readiness: () => runtime.readiness(),
  });

  let listener: HttpsListener;
  try {
    listener = await startHttpsListener({ app, host: config.host, port: config.port, tls: certificate.tls, logger, inFlight, metrics, reloadPollMs: config.certReloadPollSeconds * 1000 });
  } catch (error) {
    await audit?.close();
    await sourceRefresh.close();
    await runtime.close();
    await executor.close();
    throw new ServeStartError('C3001', { address: `${config.host}:${config.port}`, reason: describe(error) });
  }

  print(`kclguard serving ${listener.url} (POST /mutate, POST /validate; GET /healthz, /readyz, /metrics)`);
  for (const line of runtime.describe()) print(line);
  if (startUpLine) print(startUpLine);
  const auditing = config.cluster?.audit;
  if (audit && auditing) print(`background audit: on the elected replica every ${auditing.intervalMs / 1000}s and after changes, at most ${auditing.maxObjects} objects per run; results in PolicyReports`);
  print(
    `oci:// sources: checked every ${sources.handle.refreshSeconds}s (failures retried every ${sources.handle.retrySeconds}s), cache ${sources.setup.config.cacheDir ?? 'in memory only'}, KCL registry ${sources.setup.kclRegistry.registry}/${sources.setup.kclRegistry.repository}`,
  );
  const registration = config.cluster?.registration;
  if (registration) {
    try {
      if (registration.mode === 'narrowed') {
        // Not awaited: the elected replica registers, now or whenever it is elected.
        cluster!.manageWebhooks({
          name: registration.name,
          target: webhookTarget(config, registration, certificate.selfSigned?.cert),
          ...(config.cluster!.ownerClusterRole !== undefined ? { ownerClusterRole: config.cluster!.ownerClusterRole } : {}),
          minIntervalMs: registration.updateIntervalMs,
          observer: {
            onWebhookUpdate: (result, served) => {
              metrics.webhookUpdates.inc({ result });
              for (const [webhook, count] of Object.entries(served ?? {})) metrics.webhookPolicies.set({ webhook }, count);
            },
          },
        });
        print(`MutatingWebhookConfiguration and ValidatingWebhookConfiguration ${registration.name}: narrowed to what the policies select, kept up to date by the elected replica`);
      } else {
        await register(config, config.cluster!, registration, certificate.selfSigned?.cert);
        print(`registered MutatingWebhookConfiguration and ValidatingWebhookConfiguration ${registration.name}`);
      }
    } catch (error) {
      await listener.close(0);
      await audit?.close();
      await sourceRefresh.close();
      await runtime.close();
      await executor.close();
      throw new ServeStartError('C3003', { reason: describe(error) });
    }
  }
  if (certificate.selfSigned) {
    const caPath = deps.saveGeneratedCertificate === false ? undefined : saveGeneratedCertificate(certificate.selfSigned.cert);
    print(`TLS: generated a self-signed certificate for ${hosts.join(', ')}${caPath ? `; trust it with --cacert ${caPath}` : ''}`);
  } else {
    print(`TLS: ${config.cert} (reloaded when it changes)`);
  }

  const stop = gracefulStop({
    listener,
    after: [...(audit ? [audit] : []), sourceRefresh, runtime, executor],
    delayMs: (config.shutdownDelaySeconds ?? 0) * 1000,
    graceMs: config.shutdownGraceSeconds * 1000,
    logger,
    startDraining: () => {
      draining = true;
    },
    inFlight: () => inFlight.pending,
  });
  return {
    url: listener.url,
    listener,
    metrics,
    handler: runtime.handler,
    runtime,
    ...(certificate.selfSigned ? { selfSignedCert: certificate.selfSigned.cert } : {}),
    reloadPolicies: () => runtime.reload(),
    stop,
  };
}

interface Sources {
  readonly setup: ReturnType<typeof sourceSetup>;
  readonly handle: ReturnType<typeof buildResolver>;
}

/**
 * The resolver for oci:// sources and dependencies: credentials from docker config in local
 * mode; in cluster mode from each policy's Secret, read as its ServiceAccount (or none).
 */
function sourcesFor(config: ServeConfig, logger: Logger): Sources {
  const cluster = config.cluster;
  const flags = config.sourceFlags ?? {};
  const credentials = !cluster
    ? undefined
    : flags['source-credentials'] === 'none'
      ? noRegistryCredentials
      : registrySecretCredentials({ kubeConfig: cluster.connection.kubeConfig, ownNamespace: config.namespace });
  const setup = sourceSetup(flags, process.env, 'serve', { logger, ...(credentials ? { credentials } : {}) });
  return { setup, handle: buildResolver(setup) };
}

/** The local or the cluster runtime, as the configuration says. */
async function startRuntime(
  config: ServeConfig,
  executor: PolicyExecutor,
  observer: EngineObserver,
  logger: Logger,
  executorHealthy: (() => boolean) | undefined,
  sources: Sources,
): Promise<{ runtime: EngineRuntime; cluster?: ClusterEngine }> {
  const exclusions = { ownNamespace: config.namespace };
  const health = { ...(executorHealthy ? { executorHealthy } : {}), resolver: sources.handle.resolver, sourceCheck: sourceCheckFor(sources.setup.kclRegistry) };
  if (!config.cluster) {
    const dir = config.policies!;
    const runtime = await createLocalEngine({
      dir,
      executor,
      exclusions,
      observer,
      logger,
      ...health,
      onReload: (report) => logger.info({ dir, files: report.files, ...report.snapshot.counts, problems: report.problems.length }, 'policies loaded'),
    });
    return { runtime };
  }
  const cluster = config.cluster;
  try {
    const engine = await createClusterEngine({
      connection: cluster.connection,
      executor,
      observer,
      logger,
      namespace: config.namespace,
      identity: cluster.identity,
      ...(cluster.ownerClusterRole !== undefined ? { ownerClusterRole: cluster.ownerClusterRole } : {}),
      leaseName: cluster.leaseName,
      exclusions,
      authorizerCache: { allowedTtlMs: cluster.allowedTtlMs, deniedTtlMs: cluster.deniedTtlMs },
      ...(cluster.syncTimeoutMs !== undefined ? { syncTimeoutMs: cluster.syncTimeoutMs } : {}),
      ...(cluster.cacheResources ? { cacheResources: cluster.cacheResources } : {}),
      ...health,
    });
    return { runtime: engine, cluster: engine };
  } catch (error) {
    throw new ServeStartError('C3002', { source: cluster.connection.source, reason: describe(error) });
  }
}

type Registration = NonNullable<ClusterConfig['registration']>;

/** Where the API server calls, with which CA, never for which namespaces: both modes share it. */
function webhookTarget(config: ServeConfig, registration: Registration, generatedCert: string | undefined): WebhookTarget {
  const caFile = registration.caBundleFile ?? config.cert;
  return {
    endpoint: registration.endpoint,
    caBundlePem: caFile !== undefined ? readFileSync(caFile, 'utf8') : generatedCert!,
    excludedNamespaces: [...DEFAULT_SYSTEM_NAMESPACES, config.namespace, ...registration.excludedNamespaces],
    timeoutSeconds: registration.timeoutSeconds,
  };
}

async function register(config: ServeConfig, cluster: ClusterConfig, registration: Registration, generatedCert: string | undefined): Promise<void> {
  await registerWebhooks({
    ...webhookTarget(config, registration, generatedCert),
    kubeConfig: cluster.connection.kubeConfig,
    name: registration.name,
    failurePolicy: { mutate: registration.mutateFailurePolicy, validate: registration.failurePolicy },
    resources: registration.resources,
    operations: registration.operations,
    ...(cluster.ownerClusterRole !== undefined ? { ownerClusterRole: cluster.ownerClusterRole } : {}),
  });
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'address already in use';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOENT') return 'no such file';
  return apiServerMessage(error) ?? firstLine(error);
}

/**
 * A failed @kubernetes/client-node call: the API server's own message (what is forbidden to
 * whom) and the HTTP status, rather than the exception's first line, which is only the status.
 */
function apiServerMessage(error: unknown): string | undefined {
  const { code, body } = (error ?? {}) as { code?: unknown; body?: unknown };
  if (typeof code !== 'number' || typeof body !== 'string') return undefined;
  try {
    const message = (JSON.parse(body) as { message?: unknown } | null)?.message;
    if (typeof message === 'string' && message !== '') return `${message.split('\n')[0]} (HTTP ${code})`;
  } catch {
    // Not a Status object: the status code is all there is.
  }
  return `HTTP ${code}`;
}

export async function main(argv: string[]): Promise<number> {
  let config: ServeConfig | 'help';
  try {
    config = serveConfig(argv, process.env);
  } catch (error) {
    if (error instanceof CliError) return reportCliError('serve', error);
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
    if (error instanceof CliError) return reportCliError('serve', error);
    throw error;
  }
  // Until here a signal ends the process the default way: nothing is in flight yet.
  const received = await waitForStopSignal();
  const delay = config.shutdownDelaySeconds ?? 0;
  process.stderr.write(
    `kclguard serve: ${received} received; ${delay > 0 ? `still serving for ${delay}s while endpoints update, then ` : ''}finishing reviews in flight (up to ${config.shutdownGraceSeconds}s); send it again to stop at once\n`,
  );
  await server.stop();
  return 0;
}
