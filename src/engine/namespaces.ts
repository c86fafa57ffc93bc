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
  /** The cached Namespace; never does I/O. */
  get(name: string): NamespaceInfo | undefined;
  /**
   * Reads a Namespace the cache does not have yet (cluster mode: one just created may not have
   * reached the informer). Resolves undefined when it does not exist; rejects when it cannot be
   * read. Local mode has none: a Namespace no file describes simply has no labels.
   */
  fetch?(name: string, timeoutMs: number): Promise<NamespaceInfo | undefined>;
}

/** The label the API server puts on every Namespace (since Kubernetes 1.21). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Upper bound of one Namespace read on a cache miss; the request deadline may shorten it. */
export const NAMESPACE_FETCH_TIMEOUT_MS = 1_000;

/**
 * What the engine uses for a namespace: the known labels plus the automatic name label, or just
 * that label for a namespace nobody described (so `kubernetes.io/metadata.name In [...]` works
 * in local mode too).
 */
export function withNameLabel(known: NamespaceInfo | undefined, name: string): NamespaceInfo {
  return {
    labels: { ...(known?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name },
    annotations: known?.annotations ?? {},
  };
}

/**
 * The Namespace of a request: from the cache, else (cluster mode) read once with a bounded wait.
 * `{error}` when it cannot be known: the caller applies the policies' failureAction.
 */
export async function resolveNamespace(
  lookup: NamespaceLookup | undefined,
  name: string,
  deadline: number | undefined,
  now: () => number,
): Promise<NamespaceInfo | { error: string }> {
  const cached = lookup?.get(name);
  if (cached || !lookup?.fetch) return withNameLabel(cached, name);
  const remaining = deadline === undefined ? Infinity : deadline - now();
  const timeoutMs = Math.min(NAMESPACE_FETCH_TIMEOUT_MS, remaining / 2);
  if (timeoutMs <= 0) return { error: 'no time left to read it' };
  try {
    return withNameLabel(await lookup.fetch(name, timeoutMs), name);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
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
