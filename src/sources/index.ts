/** Where policy code comes from: `oci://` packages and kcl.mod dependencies (pull, verify, cache, credentials). */
export { createSourceResolver, DEFAULT_SOURCE_BUDGET, DEFAULT_CACHE_MAX_BYTES, DEFAULT_REFRESH_SECONDS, DEFAULT_RETRY_SECONDS, type SourceConfig, type SourceResolverHandle } from './create-resolver.js';
export { OciSourceResolver, sourceProblems, type CredentialProvider, type ResolvableDefinition, type Resolution, type ResolvedPackage, type SourceLogger } from './source-resolver.js';
export { parseDockerConfig, normaliseRegistryKey, credentialFingerprint, type CredentialStore, type RegistryCredential } from './credentials.js';
export { defaultDockerConfigPath, dockerConfigCredentials } from './docker-config-file.js';
export { DEFAULT_KCL_REGISTRY, parseKclRegistry, type KclRegistry } from './dependencies.js';
export { DEFAULT_SOURCE_LIMITS, type SourceLimits } from './limits.js';
export { SOURCE_ERRORS, SourceError, type SourceErrorCode } from './errors.js';
export { formatReference, isOciReference, parseOciReference, type OciReference } from './reference.js';
export { MEDIA_TYPES, PACKAGE_ANNOTATIONS } from './manifest.js';
