/**
 * The API server's discovery documents as kclguard uses them, off the request path only: kinds
 * (as policies name them in `selector.resourceKind`) to the resources that serve them, for the
 * RBACPermissionsGranted condition, and every resource and subresource with its kind, for the
 * webhook rules narrowed to the policies. Cached; refreshed when older than `ttlMs`.
 */
import { ApisApi, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1APIResourceList } from '@kubernetes/client-node';

export interface ResourceRef {
  readonly group: string;
  readonly resource: string;
}

/** One entry of discovery: a resource (`pods`) or a subresource (`deployments/scale`). */
export interface DiscoveredResource {
  /** The API group that serves it ('' for core). */
  readonly group: string;
  /** `pods`, or `deployments/scale` for a subresource. */
  readonly resource: string;
  /** The kind a request for it carries (`Scale` for `deployments/scale`). */
  readonly kind: string;
  /** The kind's own group, which differs for some subresources (`autoscaling` for `scale`). */
  readonly kindGroup: string;
}

/** Where discovery comes from; the cluster's KindResolver, or a table in tests. */
export interface ResourceDiscovery {
  /** Every resource and subresource the cluster serves; rejects when discovery is unavailable. */
  resources(): Promise<readonly DiscoveredResource[]>;
}

export class KindResolver implements ResourceDiscovery {
  private entries: DiscoveredResource[] | undefined;
  private byKind = new Map<string, ResourceRef[]>();
  private fetchedAt = 0;
  private pending: Promise<DiscoveredResource[]> | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The top-level resources that serve a kind (no subresources). */
  async resourcesFor(kind: string): Promise<ResourceRef[]> {
    await this.table();
    return this.byKind.get(kind) ?? [];
  }

  resources(): Promise<readonly DiscoveredResource[]> {
    return this.table();
  }

  private async table(): Promise<DiscoveredResource[]> {
    if (this.entries && this.now() - this.fetchedAt < this.ttlMs) return this.entries;
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetch(): Promise<DiscoveredResource[]> {
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    const apis = this.kubeConfig.makeApiClient(ApisApi);
    const custom = this.kubeConfig.makeApiClient(CustomObjectsApi);
    const entries: DiscoveredResource[] = [];
    const add = (group: string, list: V1APIResourceList) => {
      for (const r of list.resources) entries.push({ group, resource: r.name, kind: r.kind, kindGroup: r.group ?? group });
    };
    add('', await core.getAPIResources());
    const groups = await apis.getAPIVersions();
    await Promise.all(
      groups.groups.map(async (g) => {
        const version = g.preferredVersion?.version ?? g.versions[0]?.version;
        if (!version) return;
        try {
          add(g.name, (await custom.getAPIResources({ group: g.name, version })) as V1APIResourceList);
        } catch {
          // An aggregated API that is down must not hide every other group.
        }
      }),
    );
    const byKind = new Map<string, ResourceRef[]>();
    for (const entry of entries) {
      if (entry.resource.includes('/')) continue; // subresources are named by the request, not the kind
      const refs = byKind.get(entry.kind) ?? [];
      if (!refs.some((x) => x.group === entry.group && x.resource === entry.resource)) refs.push({ group: entry.group, resource: entry.resource });
      byKind.set(entry.kind, refs);
    }
    this.entries = entries;
    this.byKind = byKind;
    this.fetchedAt = this.now();
    return entries;
  }
}
