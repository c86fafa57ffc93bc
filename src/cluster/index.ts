/** Cluster mode's public surface: the runtime, the connection, and webhook self-registration. */
export { createClusterEngine, type ClusterEngine, type ClusterEngineOptions } from './cluster-engine.js';
export { ClusterConfigError, connectToCluster, type ClusterConnection } from './kube-config.js';
export { DEFAULT_WEBHOOK_OPERATIONS, DEFAULT_WEBHOOK_RESOURCES, registerWebhooks } from './webhook-registration.js';
export { impersonating, noRegistryCredentials, registrySecretCredentials } from './registry-secrets.js';
