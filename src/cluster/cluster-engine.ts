/**
 * The engine runtime as cluster mode runs it: the same PolicySet and AdmissionHandler as local
 * mode, fed by informers instead of a directory, with the SubjectAccessReview authorizer and a
 * Namespace cache that reads a Namespace the informer has not delivered yet.
 */
import {
  createAdmissionHandler,
  PolicySet,
  type AdmissionHandler,
  withPolicyValidation,
  type EngineObserver,
  type EngineRuntime,
  type ExclusionConfig,
  type PolicyExecutor,
  type Readiness,
  type SourceCheck,
  type SourceResolver,
} from '../engine/index.js';
import { startClusterMode, type ClusterMode, type ClusterModeOptions } from './cluster-mode.js';

export interface ClusterEngineOptions extends Omit<ClusterModeOptions, 'policySet'> {
  readonly executor: PolicyExecutor;
  readonly observer?: EngineObserver;
  readonly exclusions?: Partial<ExclusionConfig>;
  /** Whether the executor can run jobs (the pool has a live worker); default always. */
  readonly executorHealthy?: () => boolean;
  /** Resolves oci:// sources and spec.dependencies; without one such policies are invalid. */
  readonly resolver?: SourceResolver;
  /** Checks oci:// references and spec.dependencies of a policy being written (syntax only). */
  readonly sourceCheck?: SourceCheck;
}

export interface ClusterEngine extends EngineRuntime {
  readonly policies: PolicySet;
  /** Narrowed webhook registration by the elected replica (serve calls it once listening). */
  readonly manageWebhooks: ClusterMode['manageWebhooks'];
  /** The cluster integration: authorizer, Namespace cache, object caches, leadership (for audit). */
  readonly cluster: ClusterMode;
  /**
   * The same engine for background audit's requests: the same authorizer, exempt check,
   * Namespaces and exclusions as admission, without the admission metrics.
   */
  readonly backgroundHandler: AdmissionHandler;
}

export async function createClusterEngine(options: ClusterEngineOptions): Promise<ClusterEngine> {
  const { logger } = options;
  const policies = new PolicySet({ executor: options.executor, observer: options.observer, logger, ...(options.resolver ? { resolver: options.resolver } : {}) });
  const cluster = await startClusterMode({ ...options, policySet: policies });
  options.executor.serveLookups?.(cluster.lookups);
  const shared = {
    policies,
    authorizer: cluster.authorizer,
    exempt: cluster.exempt,
    namespaces: cluster.namespaces,
    exclusions: options.exclusions,
    logger,
  };
  const handler = createAdmissionHandler({ ...shared, observer: options.observer });
  const readiness = (): Readiness => {
    if (!cluster.ready()) return { ready: false, reason: 'policies not loaded yet' };
    if (options.executorHealthy && !options.executorHealthy()) return { ready: false, reason: 'no policy worker is running' };
    return { ready: true };
  };
  return {
    handler: withPolicyValidation(handler, options.executor, options.sourceCheck),
    policies,
    cluster,
    backgroundHandler: createAdmissionHandler(shared),
    readiness,
    describe: () => {
      const counts = policies.snapshot().counts;
      return [
        `cluster mode (${options.connection.source}): policies from KCLRun and ClusterKCLRun objects: ${Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(', ')}; watching for changes`,
      ];
    },
    snapshot: () => policies.snapshot(),
    manageWebhooks: (webhookOptions) => cluster.manageWebhooks(webhookOptions),
    reload: async () => {
      await cluster.reload();
      return policies.snapshot();
    },
    close: () => cluster.stop(),
  };
}
