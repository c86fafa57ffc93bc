/**
 * The `exempt` check (DESIGN section 2): may the user making a request exempt objects from a
 * policy — so that the object's own canValidate veto counts? An RBAC question like the policies'
 * own ServiceAccount check: the custom verb `exempt` on `kclruns` / `clusterkclruns` (group
 * krm.kcl.dev) with the policy's name, in the policy's namespace for a KCLRun. An admin grants it
 * with a Role (docs/policy-semantics.md).
 */
import type { AuthorizationAttributes } from './authorizer.js';
import type { UserInfo } from './contract.js';
import { KCLRUN_GROUP, type PolicyIdentity } from './model.js';
import type { RbacIndex } from './rbac/index.js';

export const EXEMPT_VERB = 'exempt';

/** Resolves whether the user may exempt from the policy; rejects when the check itself failed. */
export type ExemptCheck = (user: UserInfo, policy: PolicyIdentity) => Promise<boolean>;

/** Local mode without RBAC manifests: every check is allowed, this one too. */
export const allowAllExempt: ExemptCheck = async () => true;

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
