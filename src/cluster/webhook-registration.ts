/**
 * `--register-webhooks`: kclguard's Mutating and Validating WebhookConfigurations, with the same
 * safety settings the Helm chart renders. Static mode registers one `*` webhook per phase at
 * start-up; narrowed mode (webhook-controller.ts) registers what the policies select. Both use:
 * sideEffects None, timeoutSeconds <= 5, matchPolicy Equivalent, a namespaceSelector that
 * excludes kube-system, kube-node-lease and kclguard's own namespace, and matchConditions that
 * let the API server skip Leases, Events, access reviews and the cluster's own infrastructure
 * (Nodes, PersistentVolumes, CSRs, APIServices) without calling us — in narrowed mode only those
 * its rules could reach.
 *
 * The configurations outlive the process; `ownerClusterRole` makes them dependents of a
 * cluster-scoped object (the chart's ClusterRole) so the garbage collector deletes them with it.
 */
import {
  type AdmissionregistrationV1WebhookClientConfig,
  type KubeConfig,
  type V1MatchCondition,
  type V1MutatingWebhook,
  type V1ObjectMeta,
  type V1OwnerReference,
  type V1RuleWithOperations,
  type V1ValidatingWebhook,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { POD_SPEC_SUBRESOURCES } from '../engine/index.js';
import type { GroupResource } from './rule-overlap.js';
import { applyWebhookConfigurations, type WebhookConfigurations } from './webhook-apply.js';
import type { FailurePolicy, PlannedWebhook } from './webhook-plan.js';

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

// `*` has no subresources: a Pod's ephemeral containers (`kubectl debug`) and resize are named,
// so that a policy on Pods sees a container added or resized there (src/engine/authorizer.ts).
export const DEFAULT_WEBHOOK_RESOURCES: readonly string[] = ['*', ...POD_SPEC_SUBRESOURCES];
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

/**
 * What each of MATCH_CONDITIONS keeps from kclguard, as data: a webhook whose rules reach none of
 * these needs no such condition (narrowed mode leaves it out: each condition costs the API server
 * CPU on every call, docs/performance.md). A test checks the data against the expressions. A
 * resource with an equivalent in another group is listed in both (matchPolicy Equivalent).
 */
export const EXCLUDED_RESOURCES: Readonly<Record<string, readonly GroupResource[]>> = {
  'exclude-leases': [{ group: 'coordination.k8s.io', resource: 'leases' }],
  'exclude-events': [
    { group: '', resource: 'events' },
    { group: 'events.k8s.io', resource: 'events' },
  ],
  'exclude-access-reviews': [
    { group: 'authorization.k8s.io', resource: '*' },
    { group: 'authentication.k8s.io', resource: '*' },
  ],
  'exclude-cluster-infrastructure': [
    { group: '', resource: 'nodes' },
    { group: '', resource: 'persistentvolumes' },
    { group: 'certificates.k8s.io', resource: 'certificatesigningrequests' },
    { group: 'apiregistration.k8s.io', resource: 'apiservices' },
  ],
};

/** Where the API server calls and how: what every registered webhook shares, whatever its rules. */
export type WebhookTarget = Pick<WebhookRegistrationOptions, 'endpoint' | 'caBundlePem' | 'excludedNamespaces' | 'timeoutSeconds'>;

/** One webhook with kclguard's safety settings; `rules` and `matchConditions` say what it gets. */
export function webhookFor(
  target: WebhookTarget,
  spec: { name: string; phase: 'mutate' | 'validate'; failurePolicy: FailurePolicy; rules: V1RuleWithOperations[]; matchConditions: V1MatchCondition[] },
): V1ValidatingWebhook {
  const path = `/${spec.phase}`;
  const clientConfig: AdmissionregistrationV1WebhookClientConfig =
    'url' in target.endpoint
      ? { url: target.endpoint.url.replace(/\/+$/, '') + path }
      : { service: { ...target.endpoint.service, path } };
  clientConfig.caBundle = Buffer.from(target.caBundlePem).toString('base64');
  return {
    name: spec.name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: spec.failurePolicy,
    timeoutSeconds: Math.min(5, Math.max(1, target.timeoutSeconds ?? 5)),
    matchPolicy: 'Equivalent',
    clientConfig,
    namespaceSelector: {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set(target.excludedNamespaces)] }],
    },
    rules: spec.rules,
    matchConditions: spec.matchConditions,
  };
}

function staticWebhook(options: WebhookRegistrationOptions, phase: 'mutate' | 'validate') {
  return webhookFor(options, {
    name: `${phase}.kclguard.krm.kcl.dev`,
    phase,
    failurePolicy: options.failurePolicy?.[phase] ?? 'Fail',
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
  });
}

export function mutatingWebhook(options: WebhookRegistrationOptions): V1MutatingWebhook {
  return { ...staticWebhook(options, 'mutate'), reinvocationPolicy: 'IfNeeded' };
}

export function validatingWebhook(options: WebhookRegistrationOptions): V1ValidatingWebhook {
  return staticWebhook(options, 'validate');
}

/** Static mode: both configurations with one `*` webhook each, applied once at start-up. */
export async function registerWebhooks(options: WebhookRegistrationOptions): Promise<void> {
  const owner = options.ownerClusterRole !== undefined ? await clusterRoleOwner(options.kubeConfig, options.ownerClusterRole) : undefined;
  await applyWebhookConfigurations(options.kubeConfig, {
    metadata: configurationMetadata(options.name, owner, { [MODE_ANNOTATION]: 'static' }),
    mutating: [mutatingWebhook(options)],
    validating: [validatingWebhook(options)],
  });
}

export const MODE_ANNOTATION = 'kclguard.krm.kcl.dev/webhook-mode';

export function configurationMetadata(name: string, owner: V1OwnerReference | undefined, annotations: Record<string, string>): V1ObjectMeta & { name: string } {
  return { name, labels: { 'app.kubernetes.io/managed-by': 'kclguard' }, annotations, ...(owner ? { ownerReferences: [owner] } : {}) };
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

/** Readable in `kubectl get ... -o yaml`: which policies each webhook serves, and why it is broader. */
export const POLICIES_ANNOTATION = 'kclguard.krm.kcl.dev/policies';
const MAX_ANNOTATION = 16 * 1024;

export function describeWebhooks(webhooks: readonly PlannedWebhook[]): string {
  if (webhooks.length === 0) return 'no webhooks: no policy runs in this phase';
  const lines: string[] = [];
  for (const webhook of webhooks) {
    lines.push(`${webhook.name} (failurePolicy ${webhook.failurePolicy}):`);
    for (const policy of webhook.policies) {
      lines.push(`  ${policy.key} [${policy.action}]${policy.broader.length > 0 ? ` broader: ${policy.broader.join('; ')}` : ''}`);
    }
    for (const note of webhook.notes) lines.push(`  note: ${note}`);
  }
  const text = lines.join('\n');
  return text.length > MAX_ANNOTATION ? `${text.slice(0, MAX_ANNOTATION - 1)}…` : text;
}

/** Narrowed mode: the configurations for a plan (an empty phase has no webhooks at all). */
export function narrowedConfigurations(name: string, target: WebhookTarget, webhooks: readonly PlannedWebhook[], owner: V1OwnerReference | undefined): WebhookConfigurations {
  const build = (webhook: PlannedWebhook) => webhookFor(target, webhook);
  const mutating = webhooks.filter((w) => w.phase === 'mutate');
  const validating = webhooks.filter((w) => w.phase === 'validate');
  return {
    metadata: configurationMetadata(name, owner, { [MODE_ANNOTATION]: 'narrowed' }),
    mutating: mutating.map((w) => ({ ...build(w), reinvocationPolicy: 'IfNeeded' })),
    validating: validating.map(build),
    annotations: { mutating: { [POLICIES_ANNOTATION]: describeWebhooks(mutating) }, validating: { [POLICIES_ANNOTATION]: describeWebhooks(validating) } },
  };
}
