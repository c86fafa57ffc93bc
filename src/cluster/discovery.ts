/**
 * The API server's discovery documents as kclguard uses them, off the request path only: kinds
 * (as policies name them in `selector.resourceKind`) to the resources that serve them at their
 * preferred version — for the RBACPermissionsGranted condition and the kinds background audit
 * reads —, an exact `apiVersion` + `kind` (as `spec.lookups` names it) to its resource and scope,
 * for the caches lookups read, and every resource and subresource with its kind, for the webhook
 * rules narrowed to the policies. Cached; refreshed when older than `ttlMs`.
 */
import { ApisApi, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1APIResourceList } from '@kubernetes/client-node';
import type { LookupKind, ServedKind } from '../engine/index.js';

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

/** Where the discovery documents come from (tests pass a fake). */
export interface DiscoveryApi {
  /** Every served group with its preferred version ('' with v1 for the core group). */
  groups(): Promise<{ group: string; version: string }[]>;
  /** The resources of one group/version; undefined when it is not served. */
  resources(group: string, version: string): Promise<V1APIResourceList | undefined>;
}

export function kubeDiscoveryApi(kubeConfig: KubeConfig): DiscoveryApi {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apis = kubeConfig.makeApiClient(ApisApi);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    async groups() {
      const list = await apis.getAPIVersions();
      const groups = list.groups.flatMap((g) => {
        const version = g.preferredVersion?.version ?? g.versions[0]?.version;
        return version ? [{ group: g.name, version }] : [];
      });
      return [{ group: '', version: 'v1' }, ...groups];
    },
    async resources(group, version) {
      try {
        if (group === '') return version === 'v1' ? await core.getAPIResources() : undefined;
        return (await custom.getAPIResources({ group, version })) as V1APIResourceList;
      } catch (error) {
        if ((error as { code?: unknown }).code === 404) return undefined;
        throw error;
      }
    },
  };
}

function servedKinds(group: string, version: string, list: V1APIResourceList): ServedKind[] {
  // Subresources (`pods/status`) are named by requests, not kinds.
  return list.resources.filter((r) => !r.name.includes('/')).map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced }));
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

interface Table {
  readonly entries: DiscoveredResource[];
  readonly byKind: Map<string, ServedKind[]>;
}

export class KindResolver implements ResourceDiscovery {
  private known: Table | undefined;
  private fetchedAt = 0;
  private pending: Promise<Table> | undefined;
  private readonly versions = new Map<string, { at: number; kinds: Promise<ServedKind[] | undefined> }>();
  private readonly api: DiscoveryApi;

  constructor(
    kubeConfig: KubeConfig | undefined,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
    api?: DiscoveryApi,
  ) {
    this.api = api ?? kubeDiscoveryApi(kubeConfig!);
  }

  /** The top-level resources serving a kind, in any group, at each group's preferred version. */
  async resourcesFor(kind: string): Promise<ServedKind[]> {
    return (await this.table()).byKind.get(kind) ?? [];
  }

  async resources(): Promise<readonly DiscoveredResource[]> {
    return (await this.table()).entries;
  }

  /** The resource serving exactly this apiVersion and kind; undefined when none does. */
  async served(kind: LookupKind): Promise<ServedKind | undefined> {
    const { group, version } = splitApiVersion(kind.apiVersion);
    const key = `${group}/${version}`;
    let known = this.versions.get(key);
    if (!known || this.now() - known.at >= this.ttlMs) {
      const kinds = this.api.resources(group, version).then((list) => (list ? servedKinds(group, version, list) : undefined));
      known = { at: this.now(), kinds };
      this.versions.set(key, known);
      // A failed discovery is not remembered: the next load asks again.
      kinds.catch(() => this.versions.delete(key));
    }
    return (await known.kinds)?.find((k) => k.kind === kind.kind);
  }

  private async table(): Promise<Table> {
    if (this.known && this.now() - this.fetchedAt < this.ttlMs) return this.known;
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetch(): Promise<Table> {
    const entries: DiscoveredResource[] = [];
    const byKind = new Map<string, ServedKind[]>();
    const groups = await this.api.groups();
    const lists = await Promise.all(
      groups.map(async ({ group, version }) => {
        try {
          return { group, version, list: await this.api.resources(group, version) };
        } catch (error) {
          // The core group must answer; an aggregated API that is down must not hide every other group.
          if (group === '') throw error;
          return { group, version, list: undefined };
        }
      }),
    );
    for (const { group, version, list } of lists) {
      if (!list) continue;
      for (const r of list.resources) entries.push({ group, resource: r.name, kind: r.kind, kindGroup: r.group ?? group });
      for (const served of servedKinds(group, version, list)) {
        const refs = byKind.get(served.kind) ?? [];
        if (!refs.some((x) => x.group === group && x.resource === served.resource)) refs.push(served);
        byKind.set(served.kind, refs);
      }
    }
    this.known = { entries, byKind };
    this.fetchedAt = this.now();
    return this.known;
  }
}
