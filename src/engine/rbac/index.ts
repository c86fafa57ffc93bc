/** The offline RBAC authorizer (`kclguard eval --rbac DIR`, `kclguard test`). */
export { RbacIndex, rbacAuthorizer, ruleAllows, subjectMatches, RBAC_API_GROUP, type PolicyRule, type RbacDecision, type RbacProblem, type Subject } from './rbac-authorizer.js';
