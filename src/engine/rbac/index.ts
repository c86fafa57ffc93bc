/** The offline RBAC authorizer (`kclguard eval --rbac DIR`, `kclguard test`). */
export { RbacIndex, rbacAuthorizer, ruleAllows, serviceAccountUser, subjectMatches, RBAC_API_GROUP, type PolicyRule, type RbacDecision, type RbacProblem, type RbacUser, type Subject } from './rbac-authorizer.js';
