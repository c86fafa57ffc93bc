/**
 * The ServiceAccount check (DESIGN section 4): may the policy's ServiceAccount do what the
 * request does — or the custom verb `mutate` / `validate` — on this resource? The cluster
 * implementation (a SubjectAccessReview) lives in src/cluster; here are the interface, the
 * effect check, a cache any implementation can be wrapped in (which also carries the checks
 * through API-server outages), and a local allow-all one.
 */
import { AnswerCache, OutageState, type Answer } from './answer-cache.js';
import type { EngineRequest, Operation } from './contract.js';
import type { EngineLogger } from './logger.js';
import type { ServiceAccountRef } from './model.js';
import { notify, type EngineObserver } from './observer.js';

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

/**
 * Subresources that change a Pod's spec under its own kind, `Pod`: ephemeral containers (the only
 * way to add one, `kubectl debug`) and the in-place resize of its containers. The webhooks send
 * them to every policy on Pods (src/cluster), and a ServiceAccount granted `validate` or `mutate`
 * on `pods` has that effect on them too: what they change is the Pod. The request's own verb is
 * still asked on the subresource (`update` on `pods` does not allow adding a debug container).
 */
export const POD_SPEC_SUBRESOURCES: readonly string[] = ['pods/ephemeralcontainers', 'pods/resize'];

const EFFECT_VERBS: ReadonlySet<string> = new Set(['mutate', 'validate']);

function authorizedSubresource(request: EngineRequest, verb: string): string {
  const subresource = request.subResource ?? '';
  if (subresource === '' || request.resource.group !== '' || !EFFECT_VERBS.has(verb)) return subresource;
  return POD_SPEC_SUBRESOURCES.includes(`${request.resource.resource}/${subresource}`) ? '' : subresource;
}

export function requestAttributes(request: EngineRequest, verb: string): AuthorizationAttributes {
  return {
    verb,
    group: request.resource.group,
    resource: request.resource.resource,
    subresource: authorizedSubresource(request, verb),
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

/** A check of one effect, answered as a whole (see cachingAuthorizer). */
type EffectCheck = (serviceAccount: ServiceAccountRef, request: EngineRequest, effect: 'mutate' | 'validate') => Promise<boolean>;

/** Where a caching authorizer keeps its combined-answer check (authorizeEffect looks for it). */
const EFFECT_CHECK = Symbol('kclguard.effectCheck');

/**
 * Whether the ServiceAccount may have this effect: the custom verb (`mutate` / `validate`) on the
 * resource, or else the request's own verb. The custom verb comes first: it is what a
 * least-privilege ServiceAccount holds, and its answer settles the check alone. Behind a
 * cachingAuthorizer the combined answer is cached and survives outages (see there). Resolves
 * allowed / denied; rejects when the check failed and no usable answer is known.
 */
export async function authorizeEffect(
  authorizer: Authorizer,
  serviceAccount: ServiceAccountRef,
  request: EngineRequest,
  effect: 'mutate' | 'validate',
): Promise<boolean> {
  const combined = (authorizer as Authorizer & { [EFFECT_CHECK]?: EffectCheck })[EFFECT_CHECK];
  if (combined) return combined(serviceAccount, request, effect);
  if (await authorizer(serviceAccount, requestAttributes(request, effect))) return true;
  return authorizer(serviceAccount, requestAttributes(request, OPERATION_VERBS[request.operation]));
}

export interface AuthorizerCacheOptions {
  /** How long an allowed answer is reused (the authorizer webhook's authorizedTTL). Default 5 min. */
  readonly allowedTtlMs?: number;
  /** How long a denied answer is reused (unauthorizedTTL). Default 30 s. */
  readonly deniedTtlMs?: number;
  /**
   * How long past its TTL a last known answer is still used while checks fail (an API server
   * outage). Default DEFAULT_OUTAGE_GRACE_MS; docs/operations.md says why.
   */
  readonly outageGraceMs?: number;
  /** How long a check waits for a fresh answer before using a last known one. Default 500 ms. */
  readonly staleAfterMs?: number;
  /** Entries kept per cache; the oldest is evicted first. Default 10,000. */
  readonly maxEntries?: number;
  /** Clock in ms (tests inject a fake one). */
  readonly now?: () => number;
  /**
   * How long one call to the wrapped authorizer may take before it counts as failed and is
   * forgotten, so the next identical check asks again. Default DEFAULT_AUTHORIZER_TIMEOUT_MS.
   */
  readonly callTimeoutMs?: number;
  /** Told where each effect check's answer came from (metrics). */
  readonly observer?: EngineObserver;
  /** Told when checks start and stop failing. */
  readonly logger?: EngineLogger;
}

/** The authorization webhook's authorizedTTL: the staleness an allowed answer already has. */
export const DEFAULT_OUTAGE_GRACE_MS = 5 * 60_000;

export interface CachingAuthorizer extends Authorizer {
  /** Answers cached (single questions and combined effect checks). */
  readonly size: () => number;
  readonly clear: () => void;
}

/**
 * Caches answers per (ServiceAccount, attributes), and the combined answer of an effect check
 * per (ServiceAccount, effect, request verb and attributes). Concurrent identical checks share
 * one call. A failure is never cached: the next check asks again. During an outage the last
 * known answers are used for the grace period (see answer-cache.ts), so that a correctly
 * authorized policy keeps working and a policy whose ServiceAccount is known to have no rights
 * keeps having no effect, instead of turning into a policy failure.
 *
 * An effect check asks the broadest question first: the custom verb on the resource in the
 * namespace, whatever the name. One such answer serves every object there; a RBAC rule that
 * allows it allows every name. Then the request's verb the same way, then both for the object's
 * name (a rule limited to resourceNames). When the named questions cannot be answered (an
 * outage) but the ServiceAccount is known to hold neither verb namespace-wide, the check
 * answers "not allowed": the policy's effect is dropped rather than the request failed.
 */
export function cachingAuthorizer(inner: Authorizer, options: AuthorizerCacheOptions = {}): CachingAuthorizer {
  const logger = options.logger;
  const now = options.now ?? Date.now;
  const graceMs = options.outageGraceMs ?? DEFAULT_OUTAGE_GRACE_MS;
  const outage = new OutageState((failing, since) => {
    if (failing) logger?.warn({ graceSeconds: Math.round(graceMs / 1000) }, 'ServiceAccount checks are failing; last known answers stand in for up to the grace period past their TTL');
    else logger?.info({ failingForMs: now() - since }, 'ServiceAccount checks answer again');
  });
  const settings = {
    allowedTtlMs: options.allowedTtlMs ?? 5 * 60_000,
    deniedTtlMs: options.deniedTtlMs ?? 30_000,
    graceMs,
    staleAfterMs: options.staleAfterMs ?? 500,
    maxEntries: Math.max(1, options.maxEntries ?? 10_000),
    now,
  };
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS;
  const questions = new AnswerCache(settings, outage);
  const effects = new AnswerCache(
    { ...settings, failFastInOutage: false, onAnswer: (source) => notify(options.observer, 'onServiceAccountCheck', source) },
    outage,
  );

  const ask = (sa: ServiceAccountRef, attrs: AuthorizationAttributes): Promise<Answer> => {
    const key = JSON.stringify([sa.namespace, sa.name, attrs.verb, attrs.group, attrs.resource, attrs.subresource, attrs.namespace, attrs.name]);
    return questions.get(key, async () => ({ allowed: await withTimeout(inner(sa, attrs), callTimeoutMs), fresh: true }));
  };

  /** The effect's answer from the questions in order; fresh only when every answer used was. */
  const decide = async (sa: ServiceAccountRef, request: EngineRequest, effect: 'mutate' | 'validate'): Promise<Answer> => {
    const verbs = [effect, OPERATION_VERBS[request.operation]];
    let fresh = true;
    const allowedBy = async (attrs: AuthorizationAttributes): Promise<boolean> => {
      const answer = await ask(sa, attrs);
      fresh &&= answer.fresh;
      return answer.allowed;
    };
    for (const verb of verbs) if (await allowedBy({ ...requestAttributes(request, verb), name: '' })) return { allowed: true, fresh };
    if (!request.name) return { allowed: false, fresh };
    try {
      for (const verb of verbs) if (await allowedBy(requestAttributes(request, verb))) return { allowed: true, fresh };
      return { allowed: false, fresh };
    } catch {
      // Known: neither verb namespace-wide. Unknown: a grant for this very name (resourceNames),
      // which cannot be asked now. A ServiceAccount without rights must not fail requests.
      return { allowed: false, fresh: false };
    }
  };

  const effectCheck: EffectCheck = (sa, request, effect) => {
    const attrs = requestAttributes(request, OPERATION_VERBS[request.operation]);
    const key = JSON.stringify([sa.namespace, sa.name, effect, attrs.verb, attrs.group, attrs.resource, attrs.subresource, attrs.namespace, attrs.name]);
    return effects.get(key, () => decide(sa, request, effect)).then((answer) => answer.allowed);
  };

  const authorizer = (async (sa: ServiceAccountRef, attrs: AuthorizationAttributes) => (await ask(sa, attrs)).allowed) as CachingAuthorizer;
  Object.assign(authorizer, {
    size: () => questions.size + effects.size,
    clear: () => {
      questions.clear();
      effects.clear();
    },
    [EFFECT_CHECK]: effectCheck,
  });
  return authorizer;
}
