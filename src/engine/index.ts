/** The engine's public surface: what the transport, the cluster integration and the CLI use. */
export type * from './contract.js';
export { admissionParts } from './contract.js';
export { createAdmissionHandler, internalErrorDecision, type AdmissionHandlerOptions } from './handler.js';
export { createLocalEngine, type LocalEngine, type LocalEngineOptions } from './local-engine.js';
export { evaluate } from './evaluate.js';
export type * from './executor.js';
export type { EngineRuntime, Readiness } from './runtime.js';
export { InProcessExecutor, type InProcessExecutorOptions } from './in-process-executor.js';
export { runJob, type CompiledGeneration, type RunProgress } from './run-job.js';
export { PolicySet, type PolicySnapshot, type PolicyDocument, type LoadReport, type LoadProblem, type SnapshotLease, type SourceResolution, type SourceResolver } from './policy-set.js';
export { POLICY_STATES, programFilename, recoveryFilename, type CompiledPolicy, type PolicyState, type StaleRevision } from './compiled-policy.js';
export { parsePolicy, kclRunSchema, type ParsedPolicy, type SchemaIssue } from './schema.js';
export * from './model.js';
export {
  allowAllAuthorizer,
  authorizeEffect,
  AuthorizerTimeoutError,
  withTimeout,
  DEFAULT_AUTHORIZER_TIMEOUT_MS,
  cachingAuthorizer,
  OPERATION_VERBS,
  requestAttributes,
  POD_SPEC_SUBRESOURCES,
  type Authorizer,
  type AuthorizationAttributes,
  type AuthorizerCacheOptions,
  type CachingAuthorizer,
} from './authorizer.js';
export { QuestionRefusedError } from './answer-cache.js';
export { DEFAULT_EXCLUDED_KINDS, DEFAULT_EXCLUSIONS, DEFAULT_SYSTEM_NAMESPACES, type ExclusionConfig } from './exclusions.js';
export { CONSENT_KEYS, consentFor, parseConsentValue, permits } from './consent.js';
export { LocalPolicySource, type LocalLoadReport, type LocalPolicySourceOptions } from './local-policy-source.js';
export { StaticNamespaceLookup, NAMESPACE_FETCH_TIMEOUT_MS, type NamespaceInfo, type NamespaceLookup } from './namespaces.js';
export { kclCompiler } from './kcl-compiler.js';
export { MAX_OBJECT_DEPTH } from './limits.js';
export { applyPatch, PatchApplyError } from './patch-apply.js';
export { unescapePointerToken } from './json-data.js';
export { truncateRunes } from './messages.js';
export type { PolicyCompiler, PolicyProgram, PolicyRunResult, PolicyRunLimits } from './policy-compiler.js';
export type { EngineObserver, PolicySummary } from './observer.js';
export { silentLogger, type EngineLogger } from './logger.js';
export { matchesLabelSelector, matchesResourceRules, whyNotSelected } from './selector.js';
export { withPolicyValidation, isPolicyWrite, type SourceCheck } from './policy-admission.js';
export { rbacAuthorizer, RbacIndex, serviceAccountUser, type RbacUser } from './rbac/index.js';
export * from './pool/index.js';
export { allowAllExempt, cachingExemptCheck, exemptAttributes, rbacExemptCheck, EXEMPT_VERB, type ExemptCheck, type UserAuthorizer } from './exempt.js';
export {
  DEFAULT_LOOKUP_LIMITS,
  KUBE_MODULE,
  LOOKUP_OUTCOMES,
  Lookups,
  StaticLookupSource,
  isUnavailable,
  resourceName,
  lookupClient,
  parseSelectorText,
  type KindInfo,
  type LookupAnswer,
  type LookupCall,
  type LookupLimits,
  type LookupOutcome,
  type LookupResponder,
  type LookupSource,
  type LookupsOptions,
  type ServedKind,
  type SyncAuthorizer,
  type Unavailable,
} from './lookups/index.js';
