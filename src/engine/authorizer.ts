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

const VERBS: Readonly<Record<Operation, string>> = {
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
  if (await authorizer(serviceAccount, requestAttributes(request, VERBS[request.operation]))) return true;
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
 * Failures are not cached: the next request asks again.
 */
export function cachingAuthorizer(inner: Authorizer, options: AuthorizerCacheOptions = {}): CachingAuthorizer {
  const allowedTtl = options.allowedTtlMs ?? 5 * 60_000;
  const deniedTtl = options.deniedTtlMs ?? 30_000;
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const now = options.now ?? Date.now;
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
    const call = inner(sa, attrs).then(
      (allowed) => {
        inFlight.delete(key);
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, { allowed, expires: now() + (allowed ? allowedTtl : deniedTtl) });
        return allowed;
      },
      (error: unknown) => {
        inFlight.delete(key);
        throw error;
      },
    );
    inFlight.set(key, call);
    return call;
  }) as CachingAuthorizer;
  Object.assign(authorizer, { size: () => entries.size, clear: () => entries.clear() });
  return authorizer;
}
