/**
 * The Namespace cache with a read-through for misses: a Namespace created just before an object
 * in it may not have reached the informer yet, and evaluating that object as if its Namespace had
 * no labels or annotations would pick the wrong policies and the wrong consent (DESIGN section 2).
 * Reads are bounded (the engine passes a timeout), shared between concurrent requests for the
 * same name, and their answers kept briefly so a burst of creates in a new Namespace reads it once.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { withTimeout, type NamespaceInfo, type NamespaceLookup } from '../engine/index.js';
import { statusCode } from './api-errors.js';

/** How long a Namespace read on a cache miss is reused (the informer normally catches up first). */
export const NAMESPACE_READ_TTL_MS = 10_000;
const MAX_ENTRIES = 1_000;

export type ReadNamespace = (name: string) => Promise<{ metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } | undefined>;

export function apiNamespaceReader(kubeConfig: KubeConfig): ReadNamespace {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return async (name) => {
    try {
      return await api.readNamespace({ name });
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  };
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

export class ReadThroughNamespaces implements NamespaceLookup {
  private readonly recent = new Map<string, { info: NamespaceInfo | undefined; expires: number }>();
  private readonly inFlight = new Map<string, Promise<NamespaceInfo | undefined>>();

  constructor(
    private readonly cache: NamespaceLookup,
    private readonly read: ReadNamespace,
    private readonly now: () => number = Date.now,
  ) {}

  get(name: string): NamespaceInfo | undefined {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const recent = this.recent.get(name);
    return recent && recent.expires > this.now() ? recent.info : undefined;
  }

  fetch(name: string, timeoutMs: number): Promise<NamespaceInfo | undefined> {
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.read(name).then(
        (namespace) => {
          const info = namespace ? { labels: stringMap(namespace.metadata?.labels), annotations: stringMap(namespace.metadata?.annotations) } : undefined;
          if (this.recent.size >= MAX_ENTRIES) this.recent.delete(this.recent.keys().next().value as string);
          this.recent.set(name, { info, expires: this.now() + NAMESPACE_READ_TTL_MS });
          return info;
        },
      );
      const settled = pending.finally(() => this.inFlight.delete(name));
      settled.catch(() => undefined);
      this.inFlight.set(name, pending);
    }
    return withTimeout(pending, timeoutMs);
  }
}
