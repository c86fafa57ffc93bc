/**
 * Builds the AdmissionRequest the API server would send for an object read from a file, and
 * turns it into an EngineRequest with the transport's own toEngineRequest, so the offline
 * commands feed the engine exactly what the webhook does.
 */
import { toEngineRequest } from '../../admission/index.js';
import type { AdmissionRequest } from '../../admission/index.js';
import type { EngineRequest, Operation, Phase, UserInfo } from '../../engine/index.js';

type JsonObject = Record<string, unknown>;

export const OFFLINE_UID = 'kclguard-test';
export const DEFAULT_USER: UserInfo = { username: 'kclguard-test', groups: ['system:authenticated'] };

/** Built-in cluster-scoped kinds: the API server sends no namespace for them. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass',
  'CustomResourceDefinition', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'PriorityClass', 'IngressClass',
  'RuntimeClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'APIService', 'CertificateSigningRequest',
  'ClusterKCLRun', 'FlowSchema', 'PriorityLevelConfiguration',
]);

export function isClusterScopedKind(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/**
 * A kind's resource and scope offline, where there is no discovery: the naming heuristic and the
 * built-in cluster-scoped kinds (a cluster-scoped CRD counts as namespaced here).
 */
export function offlineKindInfo(kind: { kind: string }): { resource: string; namespaced: boolean } {
  return { resource: guessResource(kind.kind), namespaced: !CLUSTER_SCOPED_KINDS.has(kind.kind) };
}

/** Plurals the Kubernetes naming heuristic gets wrong. */
const IRREGULAR_RESOURCES: Readonly<Record<string, string>> = { Endpoints: 'endpoints' };

/**
 * The resource (plural, lower case) for a kind, as client-go's UnsafeGuessKindToResource does:
 * `...s` -> `...ses`, `...y` -> `...ies`, otherwise `...s`. Right for every built-in kind
 * kclguard's examples use; a CRD with an unusual plural gets the guessed one offline.
 */
export function guessResource(kind: string): string {
  const irregular = IRREGULAR_RESOURCES[kind];
  if (irregular) return irregular;
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export interface OfflineRequestInput {
  readonly operation: Operation;
  /** The new object (CREATE, UPDATE, CONNECT). */
  readonly object?: JsonObject;
  /** The object before the change (UPDATE, DELETE). */
  readonly oldObject?: JsonObject;
  readonly userInfo?: UserInfo;
  /** Namespace for a namespaced object whose file names none (what kubectl -n would add). */
  readonly defaultNamespace: string;
  readonly dryRun?: boolean;
}

function metadataOf(object: JsonObject | undefined): { name?: string; namespace?: string } {
  const metadata = object?.metadata as { name?: unknown; namespace?: unknown } | undefined;
  return {
    name: typeof metadata?.name === 'string' && metadata.name !== '' ? metadata.name : undefined,
    namespace: typeof metadata?.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined,
  };
}

/** The AdmissionRequest (admission.k8s.io/v1) the API server would send. */
export function buildAdmissionRequest(input: OfflineRequestInput): AdmissionRequest {
  const subject = input.object ?? input.oldObject;
  if (!subject) throw new Error('an offline request needs an object or an old object');
  const kind = String(subject.kind ?? '');
  const { group, version } = splitApiVersion(String(subject.apiVersion ?? ''));
  const { name, namespace } = metadataOf(subject);
  // The API server puts a Namespace's own name into request.namespace; cluster-scoped objects get none.
  const requestNamespace =
    group === '' && kind === 'Namespace' ? name : CLUSTER_SCOPED_KINDS.has(kind) ? undefined : (namespace ?? input.defaultNamespace);
  const request: Record<string, unknown> = {
    uid: OFFLINE_UID,
    kind: { group, version, kind },
    resource: { group, version, resource: guessResource(kind) },
    operation: input.operation,
    userInfo: input.userInfo ?? DEFAULT_USER,
    dryRun: input.dryRun ?? false,
  };
  if (name !== undefined) request.name = name;
  if (requestNamespace !== undefined) request.namespace = requestNamespace;
  if (input.object) request.object = input.object;
  if (input.oldObject) request.oldObject = input.oldObject;
  return request as unknown as AdmissionRequest;
}

/** The EngineRequest for one phase, without a deadline (offline runs use each policy's own timeoutMillis). */
export function engineRequestFor(admission: AdmissionRequest, phase: Phase, object?: JsonObject): EngineRequest {
  const { deadline: _deadline, ...request } = toEngineRequest(admission, phase, Number.POSITIVE_INFINITY);
  return object === undefined ? request : { ...request, object };
}
