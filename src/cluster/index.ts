/** Cluster mode's public surface: the runtime, the connection, and webhook self-registration. */
export { createClusterEngine, type ClusterEngine, type ClusterEngineOptions } from './cluster-engine.js';
export { ClusterConfigError, connectToCluster, type ClusterConnection } from './kube-config.js';
export { DEFAULT_WEBHOOK_OPERATIONS, DEFAULT_WEBHOOK_RESOURCES, registerWebhooks, type WebhookTarget } from './webhook-registration.js';
export type { NarrowedWebhookOptions } from './cluster-mode.js';
export { DEFAULT_WEBHOOK_UPDATE_INTERVAL_MS, type WebhookController, type WebhookUpdateObserver, type WebhookUpdateResult } from './webhook-controller.js';
export { WEBHOOK_SLOTS, type WebhookSlot } from './webhook-plan.js';
export { impersonating, noRegistryCredentials, registrySecretCredentials } from './registry-secrets.js';
export { clusterReader, type ClusterReader } from './cluster-read.js';
