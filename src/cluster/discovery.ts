/**
 * Maps a kind (as policies name it in `selector.resourceKind`) to the API resources that serve
 * it, from the API server's discovery documents. Used off the request path only: at policy load,
 * for the RBACPermissionsGranted condition. Cached; refreshed when older than `ttlMs`.
 */
import { ApisApi, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1APIResourceList } from '@kubernetes/client-node';

export interface ResourceRef {
  readonly group: string;
  readonly resource: string;
}

export class KindResolver {
  private byKind: Map<string, ResourceRef[]> | undefined;
  private fetchedAt = 0;
  private pending: Promise<Map<string, ResourceRef[]>> | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async resourcesFor(kind: string): Promise<ResourceRef[]> {
    const table = await this.table();
    return table.get(kind) ?? [];
  }

  private async table(): Promise<Map<string, ResourceRef[]>> {
    if (this.byKind && this.now() - this.fetchedAt < this.ttlMs) return this.byKind;
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetch(): Promise<Map<string, ResourceRef[]>> {
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    const apis = this.kubeConfig.makeApiClient(ApisApi);
    const custom = this.kubeConfig.makeApiClient(CustomObjectsApi);
    const table = new Map<string, ResourceRef[]>();
    const add = (group: string, list: V1APIResourceList) => {
      for (const r of list.resources) {
        if (r.name.includes('/')) continue; // subresources are named by the request, not the kind
        const refs = table.get(r.kind) ?? [];
        if (!refs.some((x) => x.group === group && x.resource === r.name)) refs.push({ group, resource: r.name });
        table.set(r.kind, refs);
      }
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
    this.byKind = table;
    this.fetchedAt = this.now();
    return table;
  }
}
