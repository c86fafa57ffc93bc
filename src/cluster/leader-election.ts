/**
 * Lease-based leader election (coordination.k8s.io/v1), so that exactly one replica writes
 * KCLRun status while every replica serves admission. The same algorithm as client-go's
 * leaderelection: take an absent or expired Lease, renew it while holding it, and rely on the
 * resourceVersion of each update for mutual exclusion. Like client-go, expiry is judged on the
 * local clock only: a Lease expires leaseDuration after this replica last saw its record change,
 * never by comparing the holder's renewTime (another machine's clock) with ours.
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1OwnerReference } from '@kubernetes/client-node';
import type { EngineLogger } from '../engine/index.js';
import { silentLogger } from '../engine/index.js';
import { statusCode } from './api-errors.js';

export interface LeaderElectionOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly leaseName: string;
  /** This replica's identity (the Pod name in a cluster). */
  readonly identity: string;
  readonly leaseDurationSeconds?: number;
  readonly retryPeriodMs?: number;
  readonly logger?: EngineLogger;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  readonly now?: () => Date;
  /** The Lease API (tests pass a fake); default from kubeConfig. */
  readonly leaseApi?: LeaseApi;
  /**
   * Who owns the Lease kclguard creates (the release's ClusterRole), so that the garbage collector
   * deletes it with the release instead of leaving it behind. Resolved lazily: it is read once.
   */
  readonly owner?: () => Promise<V1OwnerReference | undefined>;
}

export type LeaseApi = Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;

export class LeaderElector {
  private readonly api: LeaseApi;
  /** The Lease record as last seen, and when (local clock) it was first seen that way. */
  private observedRecord: string | undefined;
  private observedTime = 0;
  private readonly logger: EngineLogger;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = true;

  constructor(private readonly options: LeaderElectionOptions) {
    this.api = options.leaseApi ?? options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.logger = options.logger ?? silentLogger;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops renewing and, when leading, gives the Lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.leading) {
      try {
        const lease = await this.read();
        if (lease?.spec?.holderIdentity === this.options.identity) {
          lease.spec.holderIdentity = undefined;
          lease.spec.renewTime = undefined;
          await this.api.replaceNamespacedLease({ name: this.options.leaseName, namespace: this.options.namespace, body: lease });
        }
      } catch {
        // Best effort: the Lease expires by itself.
      }
      this.setLeading(false);
    }
  }

  /** One round of acquire-or-renew; exposed for tests. */
  async tick(): Promise<void> {
    try {
      this.setLeading(await this.tryAcquireOrRenew());
    } catch (err) {
      this.logger.warn({ lease: this.options.leaseName, err: err instanceof Error ? err.message : String(err) }, 'leader election round failed');
      this.setLeading(false);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodMs ?? 2000);
      this.timer.unref();
    }
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.options.leaseName, namespace: this.options.namespace });
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const duration = this.options.leaseDurationSeconds ?? 15;
    // The API server parses Lease times as MicroTime (six fractional digits) and rejects the
    // milliseconds a plain Date serialises to.
    const now = new V1MicroTime(this.now().getTime());
    const lease = await this.read();
    const mine = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: duration,
      renewTime: now,
    };
    if (!lease) {
      try {
        const spec = { ...mine, acquireTime: now };
        const owner = await this.options.owner?.();
        await this.api.createNamespacedLease({
          namespace: this.options.namespace,
          body: { metadata: { name: this.options.leaseName, namespace: this.options.namespace, ...(owner ? { ownerReferences: [owner] } : {}) }, spec },
        });
        this.observedRecord = recordOf(spec);
        this.observedTime = now.getTime();
        return true;
      } catch (err) {
        if (statusCode(err) === 409) return false; // another replica created it first
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const record = recordOf(spec);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedTime = now.getTime();
    }
    const expired = this.observedTime + (spec.leaseDurationSeconds ?? duration) * 1000 <= now.getTime();
    if (holder && holder !== this.options.identity && !expired) return false;
    lease.spec = {
      ...spec,
      ...mine,
      acquireTime: holder === this.options.identity ? spec.acquireTime : now,
      leaseTransitions: holder === this.options.identity ? spec.leaseTransitions : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      // The resourceVersion in lease.metadata makes this a compare-and-swap.
      await this.api.replaceNamespacedLease({ name: this.options.leaseName, namespace: this.options.namespace, body: lease });
      this.observedRecord = recordOf(lease.spec);
      this.observedTime = now.getTime();
      return true;
    } catch (err) {
      if (statusCode(err) === 409) return false;
      throw err;
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.logger.info({ lease: this.options.leaseName, identity: this.options.identity, leading }, leading ? 'became status writer' : 'stopped being status writer');
    if (leading) this.options.onStartedLeading?.();
    else this.options.onStoppedLeading?.();
  }
}

/** The fields whose change means the holder is alive (client-go's LeaderElectionRecord). */
function recordOf(spec: V1Lease['spec']): string {
  const time = (value: unknown) => (value === undefined || value === null ? null : new Date(value as string | Date).getTime());
  return JSON.stringify([
    spec?.holderIdentity ?? null,
    spec?.leaseDurationSeconds ?? null,
    time(spec?.acquireTime),
    time(spec?.renewTime),
    spec?.leaseTransitions ?? null,
  ]);
}
