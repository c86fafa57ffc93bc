/**
 * The ServiceAccount check (DESIGN section 4): may the policy's ServiceAccount do what the
 * request does — or the custom verb `mutate` / `validate` — on this resource? The cluster
 * implementation (a SubjectAccessReview) comes with the cluster integration; here are the
 * interface, a TTL cache any implementation can be wrapped in, and a local allow-all one.
 */
import type { EngineRequest, Operation } from './contract.js';
import type { ServiceAccountRef } from './model.js';

export interface AuthorizationAttributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

/** Resolves to whether the ServiceAccount is allowed; rejects when the check itself failed. */
export type Authorizer = (serviceAccount: ServiceAccountRef, attributes: AuthorizationAttributes) => Promise<boolean>;

/** Local mode without RBAC manifests: every ServiceAccount may do everything. */
export const allowAllAuthorizer: Authorizer = async () => true;

/** The authorization verb of each admission operation. */
export const OPERATION_VERBS: Readonly<Record<Operation, string>> = {
  CREATE: 'create',
  UPDATE: 'update',
  DELETE: 'delete',
  CONNECT: 'connect',
};

export function requestAttributes(request: EngineRequest, verb: string): AuthorizationAttributes {
  return {
    verb,
    group: request.resource.group,
    resource: request.resource.resource,
    subresource: request.subResource ?? '',
    namespace: request.namespace ?? '',
    name: request.name ?? '',
  };
}

/** Bounds every authorizer call: a SubjectAccessReview that hangs must not hold the request. */
export const DEFAULT_AUTHORIZER_TIMEOUT_MS = 3_000;

/** The authorizer did not answer in time; a rejection like any other failed check. */
export class AuthorizerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'AuthorizerTimeoutError';
  }
}

/** `promise`, or a rejection with AuthorizerTimeoutError once `timeoutMs` has passed. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  const ms = Math.max(0, Math.floor(timeoutMs));
  if (ms === 0) {
    // Settle the abandoned promise's rejection (if any) so it is never reported as unhandled.
    promise.catch(() => undefined);
    return Promise.reject(new AuthorizerTimeoutError(ms));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AuthorizerTimeoutError(ms)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Whether the ServiceAccount may have this effect: the request's own verb, or else the custom
 * verb (`mutate` / `validate`) on the same resource. Rejects when the authorizer fails.
 */
export async function authorizeEffect(
  authorizer: Authorizer,
  serviceAccount: ServiceAccountRef,
  request: EngineRequest,
  effect: 'mutate' | 'validate',
): Promise<boolean> {
  if (await authorizer(serviceAccount, requestAttributes(request, OPERATION_VERBS[request.operation]))) return true;
  return authorizer(serviceAccount, requestAttributes(request, effect));
}

export interface AuthorizerCacheOptions {
  /** How long an allowed answer is reused (the authorizer webhook's authorizedTTL). Default 5 min. */
  readonly allowedTtlMs?: number;
  /** How long a denied answer is reused (unauthorizedTTL). Default 30 s. */
  readonly deniedTtlMs?: number;
  /** Entries kept; the oldest is evicted first. Default 10,000. */
  readonly maxEntries?: number;
  /** Clock in ms (tests inject a fake one). */
  readonly now?: () => number;
  /**
   * How long one call to the wrapped authorizer may take before it counts as failed and is
   * forgotten, so the next identical check asks again. Default DEFAULT_AUTHORIZER_TIMEOUT_MS.
   */
  readonly callTimeoutMs?: number;
}

export interface CachingAuthorizer extends Authorizer {
  readonly size: () => number;
  readonly clear: () => void;
}

interface Entry {
  readonly allowed: boolean;
  readonly expires: number;
}

/**
 * Caches answers per (ServiceAccount, attributes). Concurrent identical checks share one call.
 * Failures and timeouts are not cached: the next request asks again.
 */
export function cachingAuthorizer(inner: Authorizer, options: AuthorizerCacheOptions = {}): CachingAuthorizer {
  const allowedTtl = options.allowedTtlMs ?? 5 * 60_000;
  const deniedTtl = options.deniedTtlMs ?? 30_000;
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const now = options.now ?? Date.now;
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<boolean>>();

  const authorizer = (async (sa: ServiceAccountRef, attrs: AuthorizationAttributes): Promise<boolean> => {
    const key = JSON.stringify([sa.namespace, sa.name, attrs.verb, attrs.group, attrs.resource, attrs.subresource, attrs.namespace, attrs.name]);
    const hit = entries.get(key);
    if (hit) {
      if (hit.expires > now()) return hit.allowed;
      entries.delete(key);
    }
    const pending = inFlight.get(key);
    if (pending) return pending;
    // Only the call still registered may settle the entry: a timed-out one may answer late,
    // after a newer call for the same key has started.
    const settle = (): boolean => {
      if (inFlight.get(key) !== call) return false;
      inFlight.delete(key);
      return true;
    };
    let started: Promise<boolean>;
    try {
      started = inner(sa, attrs);
    } catch (error) {
      started = Promise.reject(error);
    }
    const call: Promise<boolean> = withTimeout(started, callTimeoutMs).then(
      (allowed) => {
        if (settle()) {
          if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
          entries.set(key, { allowed, expires: now() + (allowed ? allowedTtl : deniedTtl) });
        }
        return allowed;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
    inFlight.set(key, call);
    return call;
  }) as CachingAuthorizer;
  Object.assign(authorizer, { size: () => entries.size, clear: () => entries.clear() });
  return authorizer;
}
