/**
 * What kclguard never acts on, whatever a policy says: the control plane's own namespaces,
 * kclguard's own namespace (a policy that rejected kclguard's Pods could leave the cluster
 * without a working webhook), and high-churn or security-sensitive kinds.
 */
import type { EngineRequest } from './contract.js';
import { isNamespaceObject } from './selector.js';

export const DEFAULT_SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-node-lease'];
export const DEFAULT_EXCLUDED_KINDS: readonly string[] = ['Lease', 'Event', 'TokenReview', 'SubjectAccessReview'];

export interface ExclusionConfig {
  /** Namespaces no policy acts in unless it is a ClusterKCLRun with allowSystemNamespaces. */
  readonly systemNamespaces: readonly string[];
  /** kclguard's own namespace: never acted in, not even with allowSystemNamespaces. */
  readonly ownNamespace?: string;
  /** Kinds (any API group) never acted on. */
  readonly kinds: readonly string[];
}

export const DEFAULT_EXCLUSIONS: ExclusionConfig = {
  systemNamespaces: DEFAULT_SYSTEM_NAMESPACES,
  kinds: DEFAULT_EXCLUDED_KINDS,
};

/** The namespace an exclusion is about: a Namespace object counts as being in itself. */
function protectedNamespaceOf(request: EngineRequest): string {
  if (isNamespaceObject(request)) return request.name ?? request.namespace ?? '';
  return request.namespace ?? '';
}

/** Exclusions no policy can lift; undefined when none applies, else why. */
export function whyRequestExcluded(request: EngineRequest, config: ExclusionConfig): string | undefined {
  if (config.kinds.includes(request.kind.kind)) return `kind ${request.kind.kind} is never acted on`;
  const namespace = protectedNamespaceOf(request);
  if (config.ownNamespace !== undefined && namespace === config.ownNamespace) {
    return `namespace ${namespace} is kclguard's own`;
  }
  return undefined;
}

/** The system-namespace exclusion, which a ClusterKCLRun with allowSystemNamespaces lifts. */
export function isSystemNamespaceRequest(request: EngineRequest, config: ExclusionConfig): boolean {
  const namespace = protectedNamespaceOf(request);
  return namespace !== '' && config.systemNamespaces.includes(namespace);
}
