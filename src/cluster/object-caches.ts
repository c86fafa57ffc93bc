/**
 * Informer caches of the kinds policies read (`spec.lookups`) and background audit scans: one
 * LIST + WATCH per kind, cluster-wide, started when something demands the kind — a policy that
 * declares it loads, the audit needs it — and stopped when nothing does. Never on the request
 * path: a lookup of a kind whose cache is not listed yet fails (K9009) rather than wait.
 *
 * Which kinds kclguard may cache is the operator's choice (`--cache-resources`, the chart value
 * `cache.resources`, which also writes kclguard's RBAC): a kind outside it is refused at once,
 * with a message naming the setting, rather than tried against a 403 forever.
 */
import { KubernetesObjectApi, makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { resourceName, silentLogger, type EngineLogger, type LookupKind, type LookupSource, type ServedKind, type Unavailable } from '../engine/index.js';
import type { KindResolver } from './discovery.js';

type JsonObject = Record<string, unknown>;
type Watched = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

/** Watches each LIST the informer makes (to know when its cache holds the whole kind). */
export type ListObserver = <T>(list: Promise<T>) => Promise<T>;

/** Makes the informer of one kind (tests pass a fake); its LISTs go through `observe`. */
export type InformerFactory = (served: ServedKind, observe: ListObserver) => Watched;

/** Kinds cached at once, whatever policies declare: each is a cluster-wide LIST + WATCH. */
export const MAX_CACHED_KINDS = 64;
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

export function apiVersionOf(served: Pick<ServedKind, 'group' | 'version'>): string {
  return served.group === '' ? served.version : `${served.group}/${served.version}`;
}

/** Objects per LIST page when a cache (re)lists a kind, as client-go's pager. */
export const LIST_PAGE_SIZE = 500;

type ObjectList = KubernetesListObject<KubernetesObject>;

/**
 * Lists a kind page by page (`limit` + `continue`, one consistent snapshot) and yields to the
 * event loop between pages. The first LIST of a large kind (tens of thousands of Pods) in one
 * response would be parsed and deserialized in one go on the thread that answers admission
 * reviews, stalling them for seconds; a page costs milliseconds.
 */
export async function listInPages(page: (continueToken: string | undefined) => Promise<ObjectList>, pause: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve))): Promise<ObjectList> {
  const items: KubernetesObject[] = [];
  let continueToken: string | undefined;
  for (;;) {
    const list = await page(continueToken);
    for (const item of list.items) items.push(item);
    const meta = list.metadata as { _continue?: string; continue?: string } | undefined;
    continueToken = meta?._continue || meta?.continue || undefined;
    if (!continueToken) return { ...list, items };
    await pause();
  }
}

export function kubeInformerFactory(kubeConfig: KubeConfig): InformerFactory {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  return (served, observe) => {
    const path = served.group === '' ? `/api/${served.version}/${served.resource}` : `/apis/${served.group}/${served.version}/${served.resource}`;
    const page = (continueToken: string | undefined) =>
      api.list(apiVersionOf(served), served.kind, undefined, undefined, undefined, undefined, undefined, undefined, LIST_PAGE_SIZE, continueToken) as Promise<ObjectList>;
    const list = () => observe(listInPages(page));
    return makeInformer(kubeConfig, path, list);
  };
}

interface Cache {
  readonly served: ServedKind;
  readonly informer: Watched;
  listed: boolean;
  /** Why the last LIST failed, while it has never succeeded. */
  error?: string;
  retryMs: number;
  retry?: NodeJS.Timeout;
  stopped: boolean;
}

export interface ObjectCachesOptions {
  readonly discovery: KindResolver;
  readonly informers: InformerFactory;
  readonly logger?: EngineLogger;
  /** `resource.group` names kclguard may cache; undefined: any (a development setup). */
  readonly allowed?: ReadonlySet<string>;
  readonly maxKinds?: number;
}

function kindKey(kind: LookupKind): string {
  return `${kind.apiVersion}\u0000${kind.kind}`;
}

function cacheKey(served: ServedKind): string {
  return `${served.group}/${served.version}/${served.resource}`;
}

function describeError(err: unknown): string {
  const code = (err as { code?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  if (code === 403) return 'forbidden (HTTP 403): kclguard may not list it — add it to the chart value cache.resources';
  if (typeof code === 'number') return `HTTP ${code}`;
  return err instanceof Error ? (err.message.split('\n')[0] ?? String(err)) : String(err);
}

export class ObjectCaches implements LookupSource {
  private readonly logger: EngineLogger;
  /** What each owner ('lookups', 'audit') wants cached. */
  private readonly demands = new Map<string, readonly LookupKind[]>();
  /** Each demanded kind as discovery resolved it (or why it cannot be cached). */
  private readonly kinds = new Map<string, ServedKind | Unavailable | undefined>();
  private readonly caches = new Map<string, Cache>();
  private readonly listeners = new Set<(served: ServedKind) => void>();
  private updating: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ObjectCachesOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Replaces what `owner` wants cached, then starts the caches now needed and stops those no
   * longer needed. Resolves once discovery is done (the LISTs go on in the background).
   */
  demand(owner: string, kinds: readonly LookupKind[]): Promise<void> {
    this.demands.set(owner, kinds);
    this.updating = this.updating.then(() => this.update()).catch((err: unknown) => {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'object caches: update failed');
    });
    return this.updating;
  }

  /** Called with the kind of every object added, changed or deleted in a cache. */
  onChange(listener: (served: ServedKind) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  resolve(kind: LookupKind): ServedKind | Unavailable | undefined {
    const key = kindKey(kind);
    if (!this.kinds.has(key)) return { unavailable: `no cache of ${kind.apiVersion} ${kind.kind} is kept yet (it starts when a policy declaring it loads)` };
    return this.kinds.get(key);
  }

  get(served: ServedKind, namespace: string, name: string): JsonObject | undefined | Unavailable {
    const cache = this.ready(served);
    if ('unavailable' in cache) return cache;
    return cache.informer.get(name, served.namespaced ? namespace : undefined) as JsonObject | undefined;
  }

  list(served: ServedKind, namespace: string): readonly JsonObject[] | Unavailable {
    const cache = this.ready(served);
    if ('unavailable' in cache) return cache;
    return cache.informer.list(served.namespaced && namespace !== '' ? namespace : undefined) as unknown as JsonObject[];
  }

  /**
   * Resolves true once every cache now kept has listed, false at the timeout (start-up waits for
   * the caches of the policies it loaded, so they do not fail K9009 on their first requests).
   */
  async waitListed(timeoutMs: number): Promise<boolean> {
    await this.updating;
    const until = Date.now() + timeoutMs;
    while ([...this.caches.values()].some((c) => !c.listed)) {
      if (Date.now() >= until || this.closed) return false;
      await new Promise((resolve) => setTimeout(resolve, 50).unref());
    }
    return true;
  }

  /** Whether the cache of a kind has listed (audit waits for this before judging anything). */
  isListed(served: ServedKind): boolean {
    return this.caches.get(cacheKey(served))?.listed === true;
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.demands.clear();
    await this.updating;
    await Promise.all([...this.caches.values()].map((cache) => this.stopCache(cache)));
    this.caches.clear();
  }

  private ready(served: ServedKind): Cache | Unavailable {
    const cache = this.caches.get(cacheKey(served));
    const name = `${apiVersionOf(served)} ${served.kind}`;
    if (!cache) return { unavailable: `no cache of ${name} is kept` };
    if (!cache.listed) return { unavailable: `the cache of ${name} has not listed yet${cache.error ? `: ${cache.error}` : ''}` };
    return cache;
  }

  private async update(): Promise<void> {
    if (this.closed) return;
    const wanted = new Map<string, LookupKind>();
    for (const kinds of this.demands.values()) for (const kind of kinds) wanted.set(kindKey(kind), kind);
    for (const key of [...this.kinds.keys()]) if (!wanted.has(key)) this.kinds.delete(key);
    const isServed = (k: ServedKind | Unavailable | undefined): k is ServedKind => k !== undefined && !('unavailable' in k);
    // Kinds already resolved keep their place; the others (new, or refused before) are tried again.
    const planned = new Set([...this.kinds.values()].filter(isServed).map(cacheKey));
    for (const [key, kind] of wanted) {
      if (isServed(this.kinds.get(key))) continue;
      const served = await this.served(kind, planned);
      if (isServed(served)) planned.add(cacheKey(served));
      this.kinds.set(key, served);
    }
    const needed = new Map<string, ServedKind>();
    for (const served of this.kinds.values()) if (served && !('unavailable' in served)) needed.set(cacheKey(served), served);
    for (const [key, cache] of [...this.caches]) {
      if (needed.has(key)) continue;
      this.caches.delete(key);
      await this.stopCache(cache);
      this.logger.info({ kind: resourceName(cache.served) }, 'object cache stopped: no policy needs it');
    }
    for (const [key, served] of needed) if (!this.caches.has(key)) this.startCache(key, served);
  }

  /** What a kind resolves to, or why it is not cached. */
  private async served(kind: LookupKind, planned: ReadonlySet<string>): Promise<ServedKind | Unavailable | undefined> {
    let served: ServedKind | undefined;
    try {
      served = await this.options.discovery.served(kind);
    } catch (err) {
      return { unavailable: `discovery of ${kind.apiVersion} failed: ${describeError(err)}` };
    }
    if (!served) return undefined;
    const name = resourceName(served);
    if (this.options.allowed && !this.options.allowed.has(name)) {
      return { unavailable: `kclguard is not configured to read ${name}: add it to the chart value cache.resources (serve --cache-resources)` };
    }
    if (!planned.has(cacheKey(served)) && planned.size >= (this.options.maxKinds ?? MAX_CACHED_KINDS)) {
      return { unavailable: `kclguard already caches ${planned.size} kinds, its limit; ${name} is not cached` };
    }
    return served;
  }

  private startCache(key: string, served: ServedKind): void {
    const changed = (): void => {
      for (const listener of this.listeners) listener(served);
    };
    const observe: ListObserver = (list) =>
      list.then(
        (result) => {
          // The informer fills its cache from the result in the microtasks that follow; it is
          // whole by the next macrotask.
          setImmediate(() => {
            if (cache.stopped) return;
            const first = !cache.listed;
            cache.listed = true;
            cache.error = undefined;
            cache.retryMs = RETRY_FIRST_MS;
            if (first) changed();
          });
          return result;
        },
        (err: unknown) => {
          if (!cache.listed) cache.error = describeError(err);
          throw err;
        },
      );
    const informer = this.options.informers(served, observe);
    const cache: Cache = { served, informer, listed: false, retryMs: RETRY_FIRST_MS, stopped: false };
    this.caches.set(key, cache);
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, changed);
    informer.on('error', (err: unknown) => {
      if (cache.stopped) return;
      this.logger.warn({ kind: resourceName(served), err: describeError(err), retryInMs: cache.retryMs }, 'object cache: list or watch failed; retrying');
      cache.retry = setTimeout(() => {
        if (!cache.stopped) void informer.start().catch(() => undefined);
      }, cache.retryMs);
      cache.retry.unref();
      cache.retryMs = Math.min(RETRY_MAX_MS, cache.retryMs * 2);
    });
    this.logger.info({ kind: resourceName(served) }, 'object cache starting');
    void informer.start().catch(() => undefined);
  }

  private async stopCache(cache: Cache): Promise<void> {
    cache.stopped = true;
    if (cache.retry) clearTimeout(cache.retry);
    await cache.informer.stop().catch(() => undefined);
  }
}
