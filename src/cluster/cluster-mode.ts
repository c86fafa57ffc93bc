/**
 * Cluster mode, wired: informers feed the policy set and the Namespace cache, a cached
 * SubjectAccessReview authorizer checks each effect, and one elected replica writes policy
 * status. Webhook self-registration is separate: serve registers only once it listens, so the
 * API server is never pointed at an address nobody answers yet.
 */
import type { Authorizer, EngineLogger, EngineObserver, ExemptCheck, LookupKind, LookupLimits, LookupResponder, NamespaceLookup, PolicySet, PolicySnapshot } from '../engine/index.js';
import { cachingAuthorizer, cachingExemptCheck, Lookups } from '../engine/index.js';
import { ObjectCaches, kubeInformerFactory } from './object-caches.js';
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
  /** `resource.group` names kclguard may cache for lookups and audit; undefined: any. */
  readonly cacheResources?: readonly string[];
  readonly lookupLimits?: Partial<LookupLimits>;
}

export interface ClusterMode {
  readonly authorizer: Authorizer;
  /** The exempt check for requesting users (SubjectAccessReview, cached like the ServiceAccount checks). */
  readonly exempt: ExemptCheck;
  readonly namespaces: NamespaceLookup;
  /** Answers policies' kube.get / kube.list from the object caches. */
  readonly lookups: LookupResponder;
  /** The informer caches of looked-up and audited kinds. */
  readonly caches: ObjectCaches;
  readonly kinds: KindResolver;
  /** Whether this replica holds the Lease (writes status, runs background audit). */
  isLeader(): boolean;
  /** Called with true when this replica becomes the leader, false when it stops being one. */
  onLeadership(listener: (leading: boolean) => void): void;
  /** Called after every rebuild of the policy set from the informers. */
  onPoliciesLoaded(listener: (snapshot: PolicySnapshot) => void): void;
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
  const kinds = new KindResolver(kubeConfig);
  const caches = new ObjectCaches({
    discovery: kinds,
    informers: kubeInformerFactory(kubeConfig),
    logger: options.logger,
    ...(options.cacheResources ? { allowed: new Set(options.cacheResources) } : {}),
  });
  const lookups = new Lookups({ source: caches, authorizer, ...(options.observer ? { observer: options.observer } : {}), ...(options.lookupLimits ? { limits: options.lookupLimits } : {}) });
  const leadership = new Set<(leading: boolean) => void>();
  const loaded = new Set<(snapshot: PolicySnapshot) => void>();
  let leader: LeaderElector | undefined;
  let status: StatusWriter | undefined;
  let webhooks: WebhookController | undefined;
  const source = new ClusterPolicySource({
    kubeConfig,
    policySet: options.policySet,
    logger: options.logger,
    ...(options.syncTimeoutMs !== undefined ? { syncTimeoutMs: options.syncTimeoutMs } : {}),
    onReload: (report) => {
      // Caches start when a policy that declares them loads, never on the request path.
      void caches.demand('lookups', declaredLookups(report.snapshot));
      for (const listener of loaded) listener(report.snapshot);
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
      for (const listener of leadership) listener(true);
    },
    onStoppedLeading: () => {
      webhooks?.stop();
      for (const listener of leadership) listener(false);
    },
  });

  await source.start();
  // The loaded policies' lookups should not fail on their first requests: wait (bounded) for
  // their caches. A cache that cannot list (kclguard's RBAC) fails those lookups, not start-up.
  if (!(await caches.waitListed(options.syncTimeoutMs ?? 30_000))) {
    options.logger.warn({}, 'some lookup caches have not listed yet; lookups of those kinds fail (K9009) until they do');
  }
  leader.start();
  // RBAC can change without any policy changing; the leader re-checks periodically.
  const resync = setInterval(() => {
    if (leader?.isLeader) void status?.sync(options.policySet.snapshot());
  }, options.statusResyncMs ?? 60_000);
  resync.unref();

  return {
    authorizer,
    exempt,
    lookups,
    caches,
    kinds,
    isLeader: () => leader?.isLeader === true,
    onPoliciesLoaded: (listener) => {
      loaded.add(listener);
    },
    onLeadership: (listener) => {
      leadership.add(listener);
      if (leader?.isLeader) listener(true);
    },
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
      await caches.stop();
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

/** Every kind the loaded policies declare in spec.lookups. */
export function declaredLookups(snapshot: PolicySnapshot): LookupKind[] {
  const kinds = new Map<string, LookupKind>();
  for (const policy of snapshot.policies) {
    for (const kind of policy.definition?.spec.lookups ?? []) kinds.set(`${kind.apiVersion}\u0000${kind.kind}`, kind);
  }
  return [...kinds.values()];
}
