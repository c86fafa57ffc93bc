/** The engine's public surface: what the transport, the cluster integration and the CLI use. */
export type * from './contract.js';
export { createAdmissionHandler, type AdmissionHandlerOptions, type SnapshotSource } from './handler.js';
export { createLocalEngine, type LocalEngine, type LocalEngineOptions } from './local-engine.js';
export { evaluate, FAILURE_CODE, VIOLATION_CODE } from './evaluate.js';
export { PolicySet, type PolicySnapshot, type PolicyDocument, type LoadReport, type LoadProblem } from './policy-set.js';
export { POLICY_STATES, type CompiledPolicy, type PolicyState } from './compiled-policy.js';
export { parsePolicy, kclRunSchema, type ParsedPolicy, type SchemaIssue } from './schema.js';
export * from './model.js';
export {
  allowAllAuthorizer,
  authorizeEffect,
  AuthorizerTimeoutError,
  DEFAULT_AUTHORIZER_TIMEOUT_MS,
  cachingAuthorizer,
  requestAttributes,
  type Authorizer,
  type AuthorizationAttributes,
  type AuthorizerCacheOptions,
  type CachingAuthorizer,
} from './authorizer.js';
export { DEFAULT_EXCLUDED_KINDS, DEFAULT_EXCLUSIONS, DEFAULT_SYSTEM_NAMESPACES, type ExclusionConfig } from './exclusions.js';
export { CONSENT_KEYS, consentFor, parseConsentValue, permits } from './consent.js';
export { LocalPolicySource, type LocalLoadReport, type LocalPolicySourceOptions } from './local-policy-source.js';
export { StaticNamespaceLookup, type NamespaceInfo, type NamespaceLookup } from './namespaces.js';
export { kclCompiler } from './kcl-compiler.js';
export type { PolicyCompiler, PolicyProgram, PolicyRunResult, PolicyRunLimits } from './policy-compiler.js';
export type { EngineObserver } from './observer.js';
export { silentLogger, type EngineLogger } from './logger.js';
export { matchesLabelSelector, whyNotSelected } from './selector.js';
export { withPolicyValidation, isPolicyWrite, INVALID_POLICY_CODE } from './policy-admission.js';
export { rbacAuthorizer, RbacIndex } from './rbac/index.js';
