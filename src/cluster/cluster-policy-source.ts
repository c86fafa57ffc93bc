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
import type { EngineLogger } from '../engine/logger.js';
import { silentLogger } from '../engine/logger.js';
import type { NamespaceInfo, NamespaceLookup } from '../engine/namespaces.js';
import type { LoadReport, PolicySet } from '../engine/policy-set.js';

export const KCLRUN_GROUP = 'krm.kcl.dev';
export const KCLRUN_VERSION = 'v1alpha1';

type Watched<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface ClusterPolicySourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly policySet: PolicySet;
  readonly logger?: EngineLogger;
  /** Quiet period after the last policy event before rebuilding the set. Default 200 ms. */
  readonly debounceMs?: number;
  /** Called after every rebuild with the load report (the status writer listens here). */
  readonly onReload?: (report: LoadReport) => void;
}

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

  constructor(private readonly options: ClusterPolicySourceOptions) {
    this.logger = options.logger ?? silentLogger;
    const custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const listCustom = (plural: string) => () =>
      custom.listClusterCustomObject({ group: KCLRUN_GROUP, version: KCLRUN_VERSION, plural });
    this.kclruns = makeInformer(options.kubeConfig, `/apis/${KCLRUN_GROUP}/${KCLRUN_VERSION}/kclruns`, listCustom('kclruns'));
    this.clusterKclruns = makeInformer(
      options.kubeConfig,
      `/apis/${KCLRUN_GROUP}/${KCLRUN_VERSION}/clusterkclruns`,
      listCustom('clusterkclruns'),
    );
    this.namespaces = makeInformer(options.kubeConfig, '/api/v1/namespaces', () => core.listNamespace());
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
        if (this.started) setTimeout(() => void informer.start().catch(() => undefined), 2000).unref();
      });
    }
  }

  /** Lists everything once and starts watching; resolves when the first policy set is loaded. */
  async start(): Promise<LoadReport> {
    this.started = true;
    await Promise.all([this.kclruns.start(), this.clusterKclruns.start(), this.namespaces.start()]);
    this.synced = true;
    return this.reload();
  }

  async stop(): Promise<void> {
    this.started = false;
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

  private scheduleReload(): void {
    if (!this.synced) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload();
    }, this.options.debounceMs ?? 200);
  }

  private reload(): LoadReport {
    const documents = [
      ...this.kclruns.list().map((doc) => ({ doc: withKind(doc, 'KCLRun'), origin: `kclrun ${doc.metadata?.namespace}/${doc.metadata?.name}` })),
      ...this.clusterKclruns.list().map((doc) => ({ doc: withKind(doc, 'ClusterKCLRun'), origin: `clusterkclrun ${doc.metadata?.name}` })),
    ];
    const report = this.options.policySet.replace(documents);
    for (const problem of report.problems) this.logger.warn({ origin: problem.origin, policy: problem.policy }, problem.message);
    this.options.onReload?.(report);
    return report;
  }
}

/** Objects from a LIST carry no apiVersion/kind of their own; the policy schema needs them. */
function withKind(doc: KubernetesObject, kind: string): KubernetesObject {
  return { ...doc, apiVersion: `${KCLRUN_GROUP}/${KCLRUN_VERSION}`, kind };
}
