/**
 * The `exempt` check (DESIGN section 2): may the user making a request exempt objects from a
 * policy — so that the object's own canValidate veto counts? An RBAC question like the policies'
 * own ServiceAccount check: the custom verb `exempt` on `kclruns` / `clusterkclruns` (group
 * krm.kcl.dev) with the policy's name, in the policy's namespace for a KCLRun. An admin grants it
 * with a Role (docs/policy-semantics.md).
 */
import { AnswerCache, OutageState } from './answer-cache.js';
import { DEFAULT_AUTHORIZER_TIMEOUT_MS, DEFAULT_OUTAGE_GRACE_MS, withTimeout, type AuthorizationAttributes, type AuthorizerCacheOptions } from './authorizer.js';
import type { UserInfo } from './contract.js';
import { KCLRUN_GROUP, type PolicyIdentity } from './model.js';
import type { RbacIndex } from './rbac/index.js';

export const EXEMPT_VERB = 'exempt';

/** Resolves whether the user may exempt from the policy; rejects when the check itself failed. */
export type ExemptCheck = (user: UserInfo, policy: PolicyIdentity) => Promise<boolean>;

/** The offline CLI without RBAC manifests: every check is allowed, this one too. */
export const allowAllExempt: ExemptCheck = async () => true;

/** Nobody may exempt: the default wherever no RBAC answers the question. */
export const noExempt: ExemptCheck = async () => false;

export function exemptAttributes(policy: PolicyIdentity): AuthorizationAttributes {
  return {
    verb: EXEMPT_VERB,
    group: KCLRUN_GROUP,
    resource: policy.kind === 'KCLRun' ? 'kclruns' : 'clusterkclruns',
    subresource: '',
    namespace: policy.namespace ?? '',
    name: policy.name,
  };
}

/** The exempt check answered from RBAC manifests (the offline CLI's --rbac). */
export function rbacExemptCheck(index: RbacIndex, onDecision?: (user: UserInfo, policy: PolicyIdentity, allowed: boolean, grantedBy?: string) => void): ExemptCheck {
  return async (user, policy) => {
    const decision = index.decide({ user: user.username ?? '', groups: user.groups ?? [] }, exemptAttributes(policy));
    onDecision?.(user, policy, decision.allowed, decision.grantedBy);
    return decision.allowed;
  };
}

/** Asks whether a user may do something (the cluster's SubjectAccessReview for a user). */
export type UserAuthorizer = (user: UserInfo, attributes: AuthorizationAttributes) => Promise<boolean>;

/**
 * The exempt check over a UserAuthorizer, cached as the ServiceAccount checks are (allowed and
 * denied TTLs, concurrent checks sharing one call, last known answers through an outage for the
 * grace period: src/engine/answer-cache.ts). Keyed by everything the answer depends on: the user,
 * its uid, groups and extra, and the resource, namespace and name asked about.
 */
export function cachingExemptCheck(inner: UserAuthorizer, options: AuthorizerCacheOptions = {}): ExemptCheck {
  const now = options.now ?? Date.now;
  const cache = new AnswerCache(
    {
      allowedTtlMs: options.allowedTtlMs ?? 5 * 60_000,
      deniedTtlMs: options.deniedTtlMs ?? 30_000,
      graceMs: options.outageGraceMs ?? DEFAULT_OUTAGE_GRACE_MS,
      staleAfterMs: options.staleAfterMs ?? 500,
      maxEntries: Math.max(1, options.maxEntries ?? 10_000),
      now,
    },
    new OutageState(),
  );
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS;
  return async (user, policy) => {
    const groups = [...(user.groups ?? [])].sort();
    const extra = Object.entries(user.extra ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // Keyed by the question asked, not the policy's key: the answer is about that resource.
    const attributes = exemptAttributes(policy);
    const key = JSON.stringify([user.username ?? '', user.uid ?? '', groups, extra, attributes.resource, attributes.namespace, attributes.name]);
    const answer = await cache.get(key, async () => ({ allowed: await withTimeout(inner(user, attributes), callTimeoutMs), fresh: true }));
    return answer.allowed;
  };
}
