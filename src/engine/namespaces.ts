/**
 * Where the engine learns a Namespace's labels (for namespaceSelector) and annotations (for
 * Namespace-wide consent). Local mode reads Namespace documents from the policy directory; the
 * cluster mode fills the same interface from an informer cache. Lookups are synchronous: they
 * must never do I/O on the request path.
 */
export interface NamespaceInfo {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface NamespaceLookup {
  get(name: string): NamespaceInfo | undefined;
}

/** The label the API server puts on every Namespace (since Kubernetes 1.21). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * What the engine uses for a namespace: the known labels plus the automatic name label, or just
 * that label for a namespace nobody described (so `kubernetes.io/metadata.name In [...]` works
 * in local mode too).
 */
export function namespaceInfo(lookup: NamespaceLookup | undefined, name: string): NamespaceInfo {
  const known = lookup?.get(name);
  return {
    labels: { ...(known?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name },
    annotations: known?.annotations ?? {},
  };
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

/** A lookup over a fixed list of Namespace documents (later documents win on a name clash). */
export class StaticNamespaceLookup implements NamespaceLookup {
  private readonly byName = new Map<string, NamespaceInfo>();

  constructor(documents: readonly unknown[] = []) {
    for (const doc of documents) {
      const metadata = (doc as { metadata?: { name?: unknown; labels?: unknown; annotations?: unknown } })?.metadata;
      if (typeof metadata?.name !== 'string') continue;
      this.byName.set(metadata.name, {
        labels: stringRecord(metadata.labels),
        annotations: stringRecord(metadata.annotations),
      });
    }
  }

  get(name: string): NamespaceInfo | undefined {
    return this.byName.get(name);
  }

  get size(): number {
    return this.byName.size;
  }
}
