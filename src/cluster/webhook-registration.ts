/**
 * `--register-webhooks`: create or update kclguard's Mutating and Validating
 * WebhookConfigurations at start-up, with the same safety settings the Helm chart renders:
 * sideEffects None, timeoutSeconds <= 5, matchPolicy Equivalent, a namespaceSelector that
 * excludes kube-system, kube-node-lease and kclguard's own namespace, and matchConditions that
 * let the API server skip Leases, Events, access reviews and the cluster's own infrastructure
 * (Nodes, PersistentVolumes, CSRs, APIServices) without calling us.
 *
 * The configurations outlive the process; `ownerClusterRole` makes them dependents of a
 * cluster-scoped object (the chart's ClusterRole) so the garbage collector deletes them with it.
 */
import {
  AdmissionregistrationV1Api,
  type AdmissionregistrationV1WebhookClientConfig,
  type KubeConfig,
  type V1MatchCondition,
  type V1MutatingWebhook,
  type V1OwnerReference,
  type V1ValidatingWebhook,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { statusCode } from './api-errors.js';

export type FailurePolicy = 'Fail' | 'Ignore';

export interface WebhookRegistrationOptions {
  readonly kubeConfig: KubeConfig;
  /** Name of both configurations. */
  readonly name: string;
  /** Where the API server reaches kclguard: a Service, or a URL (out-of-cluster, tests). */
  readonly endpoint: { readonly url: string } | { readonly service: { readonly name: string; readonly namespace: string; readonly port?: number } };
  /** PEM of the CA that signed the serving certificate. */
  readonly caBundlePem: string;
  readonly excludedNamespaces: readonly string[];
  readonly failurePolicy?: { readonly mutate?: FailurePolicy; readonly validate?: FailurePolicy };
  readonly timeoutSeconds?: number;
  /** Resources in the webhooks' rule (default every resource without subresources). */
  readonly resources?: readonly string[];
  /** Operations in the webhooks' rule (default CREATE, UPDATE, DELETE). */
  readonly operations?: readonly string[];
  /** A ClusterRole whose deletion (helm uninstall) garbage-collects both configurations. */
  readonly ownerClusterRole?: string;
}

export const DEFAULT_WEBHOOK_RESOURCES: readonly string[] = ['*'];
export const DEFAULT_WEBHOOK_OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE'];

export const MATCH_CONDITIONS: V1MatchCondition[] = [
  { name: 'exclude-leases', expression: "!(request.resource.group == 'coordination.k8s.io' && request.resource.resource == 'leases')" },
  {
    name: 'exclude-events',
    expression: "!(request.resource.resource == 'events' && (request.resource.group == '' || request.resource.group == 'events.k8s.io'))",
  },
  {
    name: 'exclude-access-reviews',
    expression: "!(request.resource.group == 'authorization.k8s.io' || request.resource.group == 'authentication.k8s.io')",
  },
  {
    // With failurePolicy Fail, an outage of kclguard must not stop nodes from registering,
    // kubelets from getting certificates, volumes from binding or aggregated APIs from
    // (re)registering: the cluster would then be unable to heal kclguard itself.
    name: 'exclude-cluster-infrastructure',
    expression:
      "!((request.resource.group == '' && (request.resource.resource == 'nodes' || request.resource.resource == 'persistentvolumes'))" +
      " || (request.resource.group == 'certificates.k8s.io' && request.resource.resource == 'certificatesigningrequests')" +
      " || (request.resource.group == 'apiregistration.k8s.io' && request.resource.resource == 'apiservices'))",
  },
];

function webhookSpec(options: WebhookRegistrationOptions, phase: 'mutate' | 'validate') {
  const path = `/${phase}`;
  const clientConfig: AdmissionregistrationV1WebhookClientConfig =
    'url' in options.endpoint
      ? { url: options.endpoint.url.replace(/\/+$/, '') + path }
      : { service: { ...options.endpoint.service, path } };
  clientConfig.caBundle = Buffer.from(options.caBundlePem).toString('base64');
  return {
    name: `${phase}.kclguard.krm.kcl.dev`,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: options.failurePolicy?.[phase] ?? 'Fail',
    timeoutSeconds: Math.min(5, Math.max(1, options.timeoutSeconds ?? 5)),
    matchPolicy: 'Equivalent',
    clientConfig,
    namespaceSelector: {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set(options.excludedNamespaces)] }],
    },
    rules: [
      {
        apiGroups: ['*'],
        apiVersions: ['*'],
        resources: [...(options.resources ?? DEFAULT_WEBHOOK_RESOURCES)],
        operations: [...(options.operations ?? DEFAULT_WEBHOOK_OPERATIONS)],
        scope: '*',
      },
    ],
    matchConditions: MATCH_CONDITIONS,
  };
}

export function mutatingWebhook(options: WebhookRegistrationOptions): V1MutatingWebhook {
  return { ...webhookSpec(options, 'mutate'), reinvocationPolicy: 'IfNeeded' };
}

export function validatingWebhook(options: WebhookRegistrationOptions): V1ValidatingWebhook {
  return webhookSpec(options, 'validate');
}

/** Reads an object, or undefined when the API server says it does not exist. */
async function readIfExists<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** Creates both configurations, or replaces their webhooks when they exist. */
export async function registerWebhooks(options: WebhookRegistrationOptions): Promise<void> {
  const api = options.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const name = options.name;
  const owner = options.ownerClusterRole !== undefined ? await clusterRoleOwner(options.kubeConfig, options.ownerClusterRole) : undefined;
  const metadata = { name, labels: { 'app.kubernetes.io/managed-by': 'kclguard' }, ...(owner ? { ownerReferences: [owner] } : {}) };
  const withOwner = <M extends { ownerReferences?: V1OwnerReference[] }>(existing: M | undefined): M | undefined =>
    existing && owner ? { ...existing, ownerReferences: [...(existing.ownerReferences ?? []).filter((r) => r.uid !== owner.uid), owner] } : existing;

  const mutating = await readIfExists(() => api.readMutatingWebhookConfiguration({ name }));
  const mutatingWebhooks = [mutatingWebhook(options)];
  if (mutating) await api.replaceMutatingWebhookConfiguration({ name, body: { ...mutating, metadata: withOwner(mutating.metadata), webhooks: mutatingWebhooks } });
  else await api.createMutatingWebhookConfiguration({ body: { metadata, webhooks: mutatingWebhooks } });

  const validating = await readIfExists(() => api.readValidatingWebhookConfiguration({ name }));
  const validatingWebhooks = [validatingWebhook(options)];
  if (validating) await api.replaceValidatingWebhookConfiguration({ name, body: { ...validating, metadata: withOwner(validating.metadata), webhooks: validatingWebhooks } });
  else await api.createValidatingWebhookConfiguration({ body: { metadata, webhooks: validatingWebhooks } });
}

/** An ownerReference to a ClusterRole; its uid is required, so the role is read first. */
export async function clusterRoleOwner(kubeConfig: KubeConfig, name: string): Promise<V1OwnerReference> {
  const role = await kubeConfig.makeApiClient(RbacAuthorizationV1Api).readClusterRole({ name });
  const uid = role.metadata?.uid;
  if (!uid) throw new Error(`ClusterRole ${name} has no uid`);
  return ownerReferenceTo(name, uid);
}

export function ownerReferenceTo(clusterRoleName: string, uid: string): V1OwnerReference {
  // Not a controller reference and no blockOwnerDeletion: deleting the role must never wait on us.
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: clusterRoleName, uid };
}
