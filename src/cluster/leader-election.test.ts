import { describe, expect, it } from '@jest/globals';
import { KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { LeaderElector, type LeaseApi } from './leader-election.js';

/** An in-memory Lease store with the API server's compare-and-swap on resourceVersion. */
class FakeLeases {
  lease: V1Lease | undefined;
  private version = 0;

  readonly api = {
    readNamespacedLease: async () => {
      if (!this.lease) throw Object.assign(new Error('not found'), { code: 404 });
      return structuredClone(this.lease);
    },
    createNamespacedLease: async ({ body }: { body: V1Lease }) => {
      if (this.lease) throw Object.assign(new Error('exists'), { code: 409 });
      this.lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
      return this.lease;
    },
    replaceNamespacedLease: async ({ body }: { body: V1Lease }) => {
      if (body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
      this.lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
      return this.lease;
    },
  } as unknown as LeaseApi;

  /** Another replica, on a clock `skewMs` away from ours, renews its hold. */
  renewBy(holder: string, atMs: number): void {
    const spec = { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: new V1MicroTime(atMs), acquireTime: new V1MicroTime(0) };
    this.lease = { metadata: { name: 'l', namespace: 'ns', resourceVersion: String(++this.version) }, spec };
  }
}

function elector(leases: FakeLeases, clock: { now: number }): LeaderElector {
  return new LeaderElector({
    kubeConfig: new KubeConfig(),
    namespace: 'ns',
    leaseName: 'l',
    identity: 'me',
    leaseDurationSeconds: 15,
    leaseApi: leases.api,
    now: () => new Date(clock.now),
  });
}

/** tryAcquireOrRenew without the timer loop. */
const round = (e: LeaderElector) => (e as unknown as { tryAcquireOrRenew(): Promise<boolean> }).tryAcquireOrRenew();

describe('leader election expiry', () => {
  it('does not steal from a live holder whose clock is behind ours', async () => {
    const leases = new FakeLeases();
    const clock = { now: 10_000_000 };
    const me = elector(leases, clock);
    for (let second = 0; second < 60; second += 2) {
      // The holder renews every 2 s, but its clock reads one hour earlier than ours.
      leases.renewBy('other', clock.now - 3_600_000);
      expect(await round(me)).toBe(false);
      clock.now += 2000;
    }
    expect(leases.lease?.spec?.holderIdentity).toBe('other');
  });

  it('takes over a holder that stopped renewing, even when its renewTime lies in our future', async () => {
    const leases = new FakeLeases();
    const clock = { now: 10_000_000 };
    const me = elector(leases, clock);
    leases.renewBy('other', clock.now + 3_600_000);
    expect(await round(me)).toBe(false);
    clock.now += 14_000;
    expect(await round(me)).toBe(false);
    clock.now += 1_000;
    expect(await round(me)).toBe(true);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 1 });
  });

  it('creates an absent Lease and keeps renewing it', async () => {
    const leases = new FakeLeases();
    const clock = { now: 5_000 };
    const me = elector(leases, clock);
    expect(await round(me)).toBe(true);
    clock.now += 30_000;
    expect(await round(me)).toBe(true);
    expect(leases.lease?.spec?.holderIdentity).toBe('me');
  });
});
