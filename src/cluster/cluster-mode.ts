/**
 * Cluster mode, wired: informers feed the policy set and the Namespace cache, a cached
 * SubjectAccessReview authorizer checks each effect, and one elected replica writes policy
 * status. Webhook self-registration is separate: serve registers only once it listens, so the
 * API server is never pointed at an address nobody answers yet.
 */
import type { Authorizer, EngineLogger, EngineObserver, ExemptCheck, NamespaceLookup, PolicySet } from '../engine/index.js';
import { cachingAuthorizer, cachingExemptCheck } from '../engine/index.js';
import { ClusterPolicySource } from './cluster-policy-source.js';
import { KindResolver } from './discovery.js';
import type { ClusterConnection } from './kube-config.js';
import type { KubeConfig, V1OwnerReference } from '@kubernetes/client-node';
import { LeaderElector } from './leader-election.js';
import { apiNamespaceReader, ReadThroughNamespaces } from './namespace-reader.js';
import { subjectAccessReviewAuthorizer, subjectAccessReviewUserAuthorizer } from './sar-authorizer.js';
import { StatusWriter } from './status-writer.js';
import { applyWebhookConfigurations } from './webhook-apply.js';
import { WebhookController, type WebhookUpdateObserver } from './webhook-controller.js';
import { clusterRoleOwner, type WebhookTarget } from './webhook-registration.js';

/** Narrowed mode's registration, as serve configures it once it listens. */
export interface NarrowedWebhookOptions {
  /** Name of both configurations. */
  readonly name: string;
  readonly target: WebhookTarget;
  /** A ClusterRole whose deletion garbage-collects both configurations. */
  readonly ownerClusterRole?: string;
  /** At most one update per this many ms. */
  readonly minIntervalMs?: number;
  readonly resyncMs?: number;
  readonly observer?: WebhookUpdateObserver;
}

export interface ClusterModeOptions {
  readonly connection: ClusterConnection;
  readonly policySet: PolicySet;
  readonly logger: EngineLogger;
  /** kclguard's own namespace (Lease, exclusions). */
  readonly namespace: string;
  /** This replica's name, for leader election. */
  readonly identity: string;
  readonly leaseName?: string;
  readonly authorizerCache?: { readonly allowedTtlMs?: number; readonly deniedTtlMs?: number; readonly outageGraceMs?: number };
  /** Told how ServiceAccount checks were answered (metrics). */
  readonly observer?: EngineObserver;
  /** How often the elected replica re-checks every policy's RBAC condition. Default 60 s. */
  readonly statusResyncMs?: number;
  /** The ClusterRole that owns the Lease (and what else kclguard creates), for garbage collection. */
  readonly ownerClusterRole?: string;
  /** How long start-up waits for the informers' first LIST (default 30 s); then it throws. */
  readonly syncTimeoutMs?: number;
}

export interface ClusterMode {
  readonly authorizer: Authorizer;
  /** The exempt check for requesting users (SubjectAccessReview, cached like the ServiceAccount checks). */
  readonly exempt: ExemptCheck;
  readonly namespaces: NamespaceLookup;
  /** True while the policy source has listed everything (false after stop). */
  ready(): boolean;
  /** Rebuilds the policy set from the informer caches now. */
  reload(): Promise<void>;
  /**
   * Narrowed mode: from now on the elected replica keeps the webhook configurations equal to
   * what the policies select, and Ready reflects whether they cover each policy.
   */
  manageWebhooks(options: NarrowedWebhookOptions): WebhookController;
  stop(): Promise<void>;
}

export async function startClusterMode(options: ClusterModeOptions): Promise<ClusterMode> {
  const { kubeConfig } = options.connection;
  const authorizer = cachingAuthorizer(subjectAccessReviewAuthorizer(kubeConfig), {
    ...options.authorizerCache,
    logger: options.logger,
    ...(options.observer ? { observer: options.observer } : {}),
  });
  const exempt = cachingExemptCheck(subjectAccessReviewUserAuthorizer(kubeConfig), options.authorizerCache);
  let leader: LeaderElector | undefined;
  let status: StatusWriter | undefined;
  let webhooks: WebhookController | undefined;
  const kinds = new KindResolver(kubeConfig);
  const source = new ClusterPolicySource({
    kubeConfig,
    policySet: options.policySet,
    logger: options.logger,
    ...(options.syncTimeoutMs !== undefined ? { syncTimeoutMs: options.syncTimeoutMs } : {}),
    onReload: (report) => {
      if (leader?.isLeader) void status?.sync(report.snapshot);
      webhooks?.policiesChanged();
    },
  });
  status = new StatusWriter({
    kubeConfig,
    authorizer,
    kinds,
    objectOf: (policy) => source.objectOf(policy),
    logger: options.logger,
    webhookCoverage: (policy) => webhooks?.coverage(policy),
  });
  leader = new LeaderElector({
    kubeConfig,
    namespace: options.namespace,
    leaseName: options.leaseName ?? 'kclguard-status-writer',
    identity: options.identity,
    logger: options.logger,
    ...(options.ownerClusterRole !== undefined ? { owner: leaseOwner(kubeConfig, options.ownerClusterRole, options.logger) } : {}),
    onStartedLeading: () => {
      void status?.sync(options.policySet.snapshot());
      webhooks?.start();
    },
    onStoppedLeading: () => webhooks?.stop(),
  });

  await source.start();
  leader.start();
  // RBAC can change without any policy changing; the leader re-checks periodically.
  const resync = setInterval(() => {
    if (leader?.isLeader) void status?.sync(options.policySet.snapshot());
  }, options.statusResyncMs ?? 60_000);
  resync.unref();

  return {
    authorizer,
    exempt,
    namespaces: new ReadThroughNamespaces(source, apiNamespaceReader(kubeConfig)),
    ready: () => source.ready,
    reload: async () => {
      await source.reloadNow();
    },
    manageWebhooks(webhookOptions) {
      webhooks?.stop();
      const owner = webhookOptions.ownerClusterRole;
      webhooks = new WebhookController({
        ...webhookOptions,
        snapshot: () => options.policySet.snapshot(),
        discovery: kinds,
        apply: (desired) => applyWebhookConfigurations(kubeConfig, desired),
        ...(owner !== undefined ? { owner: () => clusterRoleOwner(kubeConfig, owner) } : {}),
        logger: options.logger,
        onApplied: () => {
          if (leader?.isLeader) void status?.sync(options.policySet.snapshot());
        },
      });
      if (leader?.isLeader) webhooks.start();
      return webhooks;
    },
    async stop() {
      clearInterval(resync);
      webhooks?.stop();
      await leader?.stop();
      await source.stop();
    },
  };
}

/** The owner reference to the ClusterRole, read once; a Lease without it is still usable. */
function leaseOwner(kubeConfig: KubeConfig, clusterRole: string, logger: EngineLogger): () => Promise<V1OwnerReference | undefined> {
  let owner: Promise<V1OwnerReference | undefined> | undefined;
  return () =>
    (owner ??= clusterRoleOwner(kubeConfig, clusterRole).catch((error: unknown) => {
      logger.warn({ clusterRole, err: error instanceof Error ? error.message : String(error) }, 'cannot read the owner ClusterRole; the status Lease is created without an owner');
      owner = undefined;
      return undefined;
    }));
}
