/**
 * Where lookups read objects: informer caches in cluster mode (src/cluster/object-caches.ts),
 * objects read from files offline (StaticLookupSource). Reads are synchronous and never do I/O:
 * a source knows only kinds whose cache was started when a policy declaring them loaded.
 */
import type { LookupKind } from '../model.js';

type JsonObject = Record<string, unknown>;

/** A declared kind as the API server serves it. */
export interface ServedKind {
  readonly group: string;
  readonly version: string;
  /** The plural resource, e.g. `ingresses` (what RBAC names). */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** `resource.group` (kubectl's notation; `pods` for the core group). */
export function resourceName(served: Pick<ServedKind, 'group' | 'resource'>): string {
  return served.group === '' ? served.resource : `${served.resource}.${served.group}`;
}

/** Why a read cannot be answered now (a cache still listing, an informer kclguard may not run). */
export interface Unavailable {
  readonly unavailable: string;
}

export function isUnavailable(value: unknown): value is Unavailable {
  return typeof value === 'object' && value !== null && 'unavailable' in value;
}

export interface LookupSource {
  /** The served kind, undefined when the API does not serve it, or why it is not known yet. */
  resolve(kind: LookupKind): ServedKind | Unavailable | undefined;
  /** One object by namespace ('' for cluster-scoped) and name; undefined when there is none. */
  get(kind: ServedKind, namespace: string, name: string): JsonObject | undefined | Unavailable;
  /** Objects of a namespace, or of every namespace for ''. Callers must not modify them. */
  list(kind: ServedKind, namespace: string): readonly JsonObject[] | Unavailable;
}

function metadataOf(object: JsonObject): { name: string; namespace: string } {
  const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return { name: typeof metadata.name === 'string' ? metadata.name : '', namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '' };
}

/** How the offline commands learn a kind's resource name and scope (they have no discovery). */
export type KindInfo = (kind: LookupKind) => { readonly resource: string; readonly namespaced: boolean };

function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * A fixed set of objects (the offline CLI's `--lookup` files, kclguard-test.yaml `lookups:`):
 * every kind is served, holding the given objects of that apiVersion and kind.
 */
export class StaticLookupSource implements LookupSource {
  private readonly byKind = new Map<string, JsonObject[]>();

  constructor(
    objects: readonly unknown[],
    private readonly kindInfo: KindInfo,
  ) {
    for (const object of objects) {
      if (typeof object !== 'object' || object === null || Array.isArray(object)) continue;
      const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
      if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue;
      const key = `${apiVersion}\u0000${kind}`;
      const list = this.byKind.get(key) ?? [];
      list.push(object as JsonObject);
      this.byKind.set(key, list);
    }
  }

  resolve(kind: LookupKind): ServedKind {
    const info = this.kindInfo(kind);
    return { ...groupVersion(kind.apiVersion), kind: kind.kind, resource: info.resource, namespaced: info.namespaced };
  }

  get(kind: ServedKind, namespace: string, name: string): JsonObject | undefined {
    return this.objectsOf(kind).find((o) => {
      const m = metadataOf(o);
      return m.name === name && (!kind.namespaced || m.namespace === namespace);
    });
  }

  list(kind: ServedKind, namespace: string): readonly JsonObject[] {
    const all = this.objectsOf(kind);
    return namespace === '' || !kind.namespaced ? all : all.filter((o) => metadataOf(o).namespace === namespace);
  }

  private objectsOf(kind: ServedKind): readonly JsonObject[] {
    const apiVersion = kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
    return this.byKind.get(`${apiVersion}\u0000${kind.kind}`) ?? [];
  }
}
