/**
 * The informer caches behind lookups and audit, with fake informers and discovery: started when
 * demanded, stopped when no longer demanded, unreadable until listed (with the reason), refused
 * outside the operator's list, bounded in number.
 */
import { describe, expect, test } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { LookupKind, ServedKind } from '../engine/index.js';
import { KindResolver, type DiscoveryApi } from './discovery.js';
import { listInPages, ObjectCaches, type InformerFactory, type ListObserver } from './object-caches.js';

const RESOURCES: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {
  '/v1': [
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'pods/status', kind: 'Pod', namespaced: true },
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
  ],
  'networking.k8s.io/v1': [{ name: 'ingresses', kind: 'Ingress', namespaced: true }],
};

const discoveryApi: DiscoveryApi = {
  groups: async () => [
    { group: '', version: 'v1' },
    { group: 'networking.k8s.io', version: 'v1' },
  ],
  resources: async (group, version) => {
    const resources = RESOURCES[`${group}/${version}`];
    return resources ? { groupVersion: version, resources: resources.map((r) => ({ ...r, singularName: '', verbs: [] })) } : undefined;
  },
};

class FakeInformer {
  readonly handlers = new Map<string, ((obj?: unknown) => void)[]>();
  objects: KubernetesObject[] = [];
  started = 0;
  stopped = false;
  constructor(
    readonly served: ServedKind,
    private readonly observe: ListObserver,
    private readonly listResult: () => Promise<KubernetesObject[]>,
  ) {}
  on(verb: string, cb: (obj?: unknown) => void): void {
    this.handlers.set(verb, [...(this.handlers.get(verb) ?? []), cb]);
  }
  off(): void {}
  async start(): Promise<void> {
    this.started += 1;
    try {
      const items = await this.observe(this.listResult());
      this.objects = items;
      for (const o of items) for (const cb of this.handlers.get('add') ?? []) cb(o);
    } catch (err) {
      for (const cb of this.handlers.get('error') ?? []) cb(err);
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  get(name: string, namespace?: string): KubernetesObject | undefined {
    return this.objects.find((o) => o.metadata?.name === name && (o.metadata?.namespace ?? undefined) === namespace);
  }
  list(namespace?: string): KubernetesObject[] {
    return this.objects.filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }
}

function setup(options: { allowed?: Set<string>; maxKinds?: number; list?: (served: ServedKind) => Promise<KubernetesObject[]> } = {}) {
  const informers: FakeInformer[] = [];
  const factory: InformerFactory = (served, observe) => {
    const informer = new FakeInformer(served, observe, () => (options.list ? options.list(served) : Promise.resolve([{ apiVersion: 'v1', kind: served.kind, metadata: { name: 'a', namespace: 'team-a' } }])));
    informers.push(informer);
    return informer as never;
  };
  const caches = new ObjectCaches({ discovery: new KindResolver(undefined, 60_000, Date.now, discoveryApi), informers: factory, ...options });
  return { caches, informers };
}

const INGRESS: LookupKind = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
const POD: LookupKind = { apiVersion: 'v1', kind: 'Pod' };

async function settled(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

describe('ObjectCaches', () => {
  test('a demanded kind is cached once, readable once listed, and stopped when nobody demands it', async () => {
    const { caches, informers } = setup();
    const before = caches.resolve(INGRESS);
    expect(before).toHaveProperty('unavailable');
    await caches.demand('lookups', [INGRESS, POD]);
    await caches.demand('audit', [INGRESS]);
    expect(informers.map((i) => i.served.resource).sort()).toEqual(['ingresses', 'pods']);
    const served = caches.resolve(INGRESS) as ServedKind;
    expect(served).toEqual({ group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress', namespaced: true });
    await caches.waitListed(1000);
    expect(caches.list(served, 'team-a')).toHaveLength(1);
    expect(caches.get(served, 'team-a', 'a')).toMatchObject({ metadata: { name: 'a' } });
    await caches.demand('lookups', []);
    // Audit still wants ingresses; pods are no longer needed.
    expect(informers.find((i) => i.served.resource === 'pods')!.stopped).toBe(true);
    expect(informers.find((i) => i.served.resource === 'ingresses')!.stopped).toBe(false);
    expect(caches.resolve(POD)).toHaveProperty('unavailable');
    await caches.demand('audit', []);
    expect(informers.every((i) => i.stopped)).toBe(true);
    await caches.stop();
  });

  test('a cache whose LIST fails is unavailable with the reason, and retried', async () => {
    let fail = true;
    const { caches, informers } = setup({ list: () => (fail ? Promise.reject(Object.assign(new Error('forbidden'), { code: 403 })) : Promise.resolve([])) });
    await caches.demand('lookups', [INGRESS]);
    await settled();
    const served = caches.resolve(INGRESS) as ServedKind;
    const answer = caches.list(served, '');
    expect(answer).toHaveProperty('unavailable');
    expect((answer as { unavailable: string }).unavailable).toContain('cache.resources');
    fail = false;
    await informers[0]!.start();
    await settled();
    expect(caches.list(served, '')).toEqual([]);
    await caches.stop();
  });

  test("kinds outside the operator's list are refused at once, without an informer", async () => {
    const { caches, informers } = setup({ allowed: new Set(['pods']) });
    await caches.demand('lookups', [INGRESS, POD]);
    expect(informers.map((i) => i.served.resource)).toEqual(['pods']);
    expect((caches.resolve(INGRESS) as { unavailable: string }).unavailable).toContain('ingresses.networking.k8s.io');
    await caches.stop();
  });

  test('a kind the API does not serve resolves to nothing; the number of cached kinds is bounded', async () => {
    const { caches, informers } = setup({ maxKinds: 1 });
    await caches.demand('lookups', [{ apiVersion: 'example.com/v1', kind: 'Widget' }, POD, INGRESS]);
    expect(caches.resolve({ apiVersion: 'example.com/v1', kind: 'Widget' })).toBeUndefined();
    expect(informers).toHaveLength(1);
    expect(caches.resolve(INGRESS)).toHaveProperty('unavailable');
    await caches.stop();
  });

  test('changes in a cache are reported to listeners', async () => {
    const { caches } = setup();
    const seen: string[] = [];
    caches.onChange((served) => seen.push(served.resource));
    await caches.demand('audit', [POD]);
    await caches.waitListed(1000);
    expect(seen).toContain('pods');
    await caches.stop();
  });
});

describe('KindResolver', () => {
  test('a kind name resolves to every group serving it at the preferred version, without subresources', async () => {
    const kinds = new KindResolver(undefined, 60_000, Date.now, discoveryApi);
    expect(await kinds.resourcesFor('Pod')).toEqual([{ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true }]);
    expect(await kinds.served({ apiVersion: 'v1', kind: 'Namespace' })).toMatchObject({ resource: 'namespaces', namespaced: false });
    expect(await kinds.served({ apiVersion: 'networking.k8s.io/v1beta1', kind: 'Ingress' })).toBeUndefined();
  });
});

describe('listInPages', () => {
  const pod = (name: string): KubernetesObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name } });

  test('follows continue tokens to the end, pausing between pages so admission runs in between', async () => {
    const pages: Record<string, { items: KubernetesObject[]; next?: string }> = {
      '': { items: [pod('a'), pod('b')], next: 't1' },
      t1: { items: [pod('c'), pod('d')], next: 't2' },
      t2: { items: [pod('e')] },
    };
    const events: string[] = [];
    const list = await listInPages(
      async (token) => {
        events.push(`page ${token ?? ''}`);
        const page = pages[token ?? '']!;
        return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '42', ...(page.next ? { _continue: page.next } : {}) }, items: page.items };
      },
      async () => {
        events.push('pause');
      },
    );
    expect(events).toEqual(['page ', 'pause', 'page t1', 'pause', 'page t2']);
    expect(list.items.map((item) => item.metadata?.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(list.metadata?.resourceVersion).toBe('42');
  });

  test('accepts the raw field name (continue) and stops at an empty token', async () => {
    let calls = 0;
    const list = await listInPages(async (token) => {
      calls += 1;
      return { apiVersion: 'v1', kind: 'PodList', metadata: token ? { continue: '' } : ({ continue: 'next' } as Record<string, string>), items: [pod(token ?? 'first')] };
    });
    expect([calls, list.items.length]).toEqual([2, 2]);
  });

  test('a page that fails fails the LIST (the informer retries it whole)', async () => {
    await expect(listInPages(async (token) => {
      if (token) throw new Error('HTTP-Code: 410');
      return { apiVersion: 'v1', kind: 'PodList', metadata: { _continue: 'x' }, items: [] };
    })).rejects.toThrow('410');
  });
});
