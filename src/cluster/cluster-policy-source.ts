/**
 * Cluster mode: KCLRuns, ClusterKCLRuns and Namespaces come from informers (one LIST, then a
 * WATCH), never from a request-time LIST. Every policy change rebuilds the engine's policy set
 * after a short debounce (the set recompiles only sources that changed), so an edit takes
 * effect within a second without a restart. The Namespace cache answers namespaceSelector and
 * Namespace-level consent lookups synchronously.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ObjectCache,
  type V1Namespace,
} from '@kubernetes/client-node';
import { KCLRUN_API_VERSION, KCLRUN_GROUP, KCLRUN_VERSION, silentLogger } from '../engine/index.js';
import type { EngineLogger, NamespaceInfo, NamespaceLookup, LoadReport, PolicySet } from '../engine/index.js';


const INFORMERS = ['kclruns', 'clusterkclruns', 'namespaces'] as const;

type Watched<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface ClusterPolicySourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly policySet: PolicySet;
  readonly logger?: EngineLogger;
  /** Quiet period after the last policy event before rebuilding the set. Default 200 ms. */
  readonly debounceMs?: number;
  /** Called after every rebuild with the load report (the status writer listens here). */
  readonly onReload?: (report: LoadReport) => void;
  /** How long start() waits for every informer's first successful LIST. Default 30 s. */
  readonly syncTimeoutMs?: number;
}

/** start() could not list everything in time: the cluster is unreachable or kclguard lacks RBAC. */
export class ClusterSyncError extends Error {}

function stringMap(value: Record<string, string> | undefined): Readonly<Record<string, string>> {
  return value ?? {};
}

export class ClusterPolicySource implements NamespaceLookup {
  private readonly logger: EngineLogger;
  private readonly kclruns: Watched<KubernetesObject>;
  private readonly clusterKclruns: Watched<KubernetesObject>;
  private readonly namespaces: Watched<V1Namespace>;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private synced = false;
  /** Informers whose LIST succeeded at least once; ListWatch.start() resolves even when it fails. */
  private readonly listed = new Set<string>();
  private lastListError: string | undefined;
  private onListed: (() => void) | undefined;

  constructor(private readonly options: ClusterPolicySourceOptions) {
    this.logger = options.logger ?? silentLogger;
    const custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const listCustom = (plural: string) =>
      this.recordListing(plural, () => custom.listClusterCustomObject({ group: KCLRUN_GROUP, version: KCLRUN_VERSION, plural }));
    this.kclruns = makeInformer(options.kubeConfig, `/apis/${KCLRUN_GROUP}/${KCLRUN_VERSION}/kclruns`, listCustom('kclruns'));
    this.clusterKclruns = makeInformer(
      options.kubeConfig,
      `/apis/${KCLRUN_GROUP}/${KCLRUN_VERSION}/clusterkclruns`,
      listCustom('clusterkclruns'),
    );
    this.namespaces = makeInformer(options.kubeConfig, '/api/v1/namespaces', this.recordListing('namespaces', () => core.listNamespace()));
    for (const informer of [this.kclruns, this.clusterKclruns]) {
      for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, () => this.scheduleReload());
    }
    for (const [name, informer] of [
      ['kclruns', this.kclruns],
      ['clusterkclruns', this.clusterKclruns],
      ['namespaces', this.namespaces],
    ] as const) {
      informer.on('error', (err: unknown) => {
        // The informer reconnects by itself; restart it after a pause if it stopped.
        this.logger.warn({ informer: name, err: err instanceof Error ? err.message : String(err) }, 'watch failed; retrying');
        if (!this.started) return;
        setTimeout(() => {
          if (this.started) void informer.start().catch(() => undefined);
        }, 2000).unref();
      });
    }
  }

  /**
   * Lists everything once and starts watching; resolves when the first policy set is loaded.
   * Throws ClusterSyncError when some LIST has not succeeded within the sync timeout: serving
   * with an empty policy set would allow everything while claiming to enforce.
   */
  async start(): Promise<LoadReport> {
    this.started = true;
    const allListed = new Promise<void>((resolve) => {
      this.onListed = () => {
        if (this.listed.size === INFORMERS.length) resolve();
      };
    });
    // Not awaited: start() resolves only once the WATCH connected, and LIST failures reach the
    // 'error' handlers (which retry) instead of rejecting. Successful LISTs are what count.
    for (const informer of [this.kclruns, this.clusterKclruns, this.namespaces]) void informer.start().catch(() => undefined);
    const timeoutMs = this.options.syncTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([allListed, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      await this.stop().catch(() => undefined);
      const missing = INFORMERS.filter((name) => !this.listed.has(name));
      throw new ClusterSyncError(
        `could not list ${missing.join(', ')} within ${Math.round(timeoutMs / 1000)}s${this.lastListError ? `: ${this.lastListError}` : ''}`,
      );
    }
    this.synced = true;
    return this.reload();
  }

  /** Wraps a list function so that only a successful LIST counts as synced. */
  private recordListing<T>(name: (typeof INFORMERS)[number] | string, list: () => Promise<T>): () => Promise<T> {
    return async () => {
      try {
        const result = await list();
        this.listed.add(name);
        this.onListed?.();
        return result;
      } catch (err) {
        this.lastListError = describeListError(err);
        throw err;
      }
    };
  }

  async stop(): Promise<void> {
    this.started = false;
    this.synced = false;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([this.kclruns.stop(), this.clusterKclruns.stop(), this.namespaces.stop()]);
  }

  /** True once every informer has listed. */
  get ready(): boolean {
    return this.synced;
  }

  /** The stored KCLRun / ClusterKCLRun object behind a policy, from the informer cache. */
  objectOf(policy: { identity: { kind: string; name: string; namespace?: string } }): KubernetesObject | undefined {
    const { kind, name, namespace } = policy.identity;
    return kind === 'KCLRun' ? this.kclruns.get(name, namespace) : this.clusterKclruns.get(name);
  }

  get(name: string): NamespaceInfo | undefined {
    const ns = this.namespaces.get(name);
    if (!ns) return undefined;
    return { labels: stringMap(ns.metadata?.labels), annotations: stringMap(ns.metadata?.annotations) };
  }

  /** Rebuilds the policy set from the informer caches now. */
  reloadNow(): Promise<LoadReport> {
    return this.reload();
  }

  private scheduleReload(): void {
    if (!this.synced) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, this.options.debounceMs ?? 200);
  }

  private async reload(): Promise<LoadReport> {
    const documents = [
      ...this.kclruns.list().map((doc) => ({ doc: withKind(doc, 'KCLRun'), origin: `kclrun ${doc.metadata?.namespace}/${doc.metadata?.name}` })),
      ...this.clusterKclruns.list().map((doc) => ({ doc: withKind(doc, 'ClusterKCLRun'), origin: `clusterkclrun ${doc.metadata?.name}` })),
    ];
    const report = await this.options.policySet.replace(documents);
    for (const problem of report.problems) this.logger.warn({ origin: problem.origin, policy: problem.policy }, problem.message);
    this.options.onReload?.(report);
    return report;
  }
}

/** One line for the start-up error: the HTTP status says more than client-node's message. */
function describeListError(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  if (code === 401) return 'unauthorized (HTTP 401): check the credentials';
  if (code === 403) return "forbidden (HTTP 403): check kclguard's RBAC";
  if (code === 404) return 'not found (HTTP 404): are the KCLRun CRDs installed?';
  if (typeof code === 'number') return `HTTP ${code}`;
  return err instanceof Error ? (err.message.split('\n')[0] ?? String(err)) : String(err);
}

/** Objects from a LIST carry no apiVersion/kind of their own; the policy schema needs them. */
function withKind(doc: KubernetesObject, kind: string): KubernetesObject {
  return { ...doc, apiVersion: KCLRUN_API_VERSION, kind };
}
