/**
 * `--register-webhooks`: create or update kclguard's Mutating and Validating
 * WebhookConfigurations at start-up, with the same safety settings the Helm chart renders:
 * sideEffects None, timeoutSeconds <= 5, matchPolicy Equivalent, a namespaceSelector that
 * excludes kube-system, kube-node-lease and kclguard's own namespace, and matchConditions that
 * let the API server skip Leases, Events and access reviews without calling us.
 */
import {
  AdmissionregistrationV1Api,
  type AdmissionregistrationV1WebhookClientConfig,
  type KubeConfig,
  type V1MatchCondition,
  type V1MutatingWebhook,
  type V1ValidatingWebhook,
} from '@kubernetes/client-node';

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
}

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
];

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

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
    rules: [{ apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE'], scope: '*' }],
    matchConditions: MATCH_CONDITIONS,
  };
}

export function mutatingWebhook(options: WebhookRegistrationOptions): V1MutatingWebhook {
  return { ...webhookSpec(options, 'mutate'), reinvocationPolicy: 'IfNeeded' };
}

export function validatingWebhook(options: WebhookRegistrationOptions): V1ValidatingWebhook {
  return webhookSpec(options, 'validate');
}

/** Creates both configurations, or replaces their webhooks when they exist. */
export async function registerWebhooks(options: WebhookRegistrationOptions): Promise<void> {
  const api = options.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const metadata = { name: options.name, labels: { 'app.kubernetes.io/managed-by': 'kclguard' } };

  try {
    const existing = await api.readMutatingWebhookConfiguration({ name: options.name });
    existing.webhooks = [mutatingWebhook(options)];
    await api.replaceMutatingWebhookConfiguration({ name: options.name, body: existing });
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
    await api.createMutatingWebhookConfiguration({ body: { metadata, webhooks: [mutatingWebhook(options)] } });
  }
  try {
    const existing = await api.readValidatingWebhookConfiguration({ name: options.name });
    existing.webhooks = [validatingWebhook(options)];
    await api.replaceValidatingWebhookConfiguration({ name: options.name, body: existing });
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
    await api.createValidatingWebhookConfiguration({ body: { metadata, webhooks: [validatingWebhook(options)] } });
  }
}
