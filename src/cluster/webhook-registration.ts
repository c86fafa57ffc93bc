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
  const metadata = { name, labels: { 'app.kubernetes.io/managed-by': 'kclguard' } };

  const mutating = await readIfExists(() => api.readMutatingWebhookConfiguration({ name }));
  const mutatingWebhooks = [mutatingWebhook(options)];
  if (mutating) await api.replaceMutatingWebhookConfiguration({ name, body: { ...mutating, webhooks: mutatingWebhooks } });
  else await api.createMutatingWebhookConfiguration({ body: { metadata, webhooks: mutatingWebhooks } });

  const validating = await readIfExists(() => api.readValidatingWebhookConfiguration({ name }));
  const validatingWebhooks = [validatingWebhook(options)];
  if (validating) await api.replaceValidatingWebhookConfiguration({ name, body: { ...validating, webhooks: validatingWebhooks } });
  else await api.createValidatingWebhookConfiguration({ body: { metadata, webhooks: validatingWebhooks } });
}
