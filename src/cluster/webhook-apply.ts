/**
 * Writes kclguard's two webhook configurations with server-side apply (field manager
 * `kclguard`, forced: kclguard owns these objects). Apply removes the webhooks kclguard applied
 * before and no longer lists; a webhook some other writer left in the object (an older kclguard
 * that used update, a hand edit) is removed by a JSON patch guarded with `test`, so the stored
 * webhooks are exactly the ones applied.
 */
import {
  AdmissionregistrationV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1MutatingWebhook,
  type V1ObjectMeta,
  type V1ValidatingWebhook,
} from '@kubernetes/client-node';

export const FIELD_MANAGER = 'kclguard';

export interface WebhookConfigurations {
  readonly metadata: V1ObjectMeta & { name: string };
  readonly mutating: readonly V1MutatingWebhook[];
  readonly validating: readonly V1ValidatingWebhook[];
  /** Annotations of one configuration only (each describes its own webhooks). */
  readonly annotations?: { readonly mutating?: Record<string, string>; readonly validating?: Record<string, string> };
}

/** The part of the admissionregistration API the applier uses (tests pass a fake). */
export type WebhookConfigurationApi = Pick<AdmissionregistrationV1Api, 'patchMutatingWebhookConfiguration' | 'patchValidatingWebhookConfiguration'>;

const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** JSON patch operations removing the webhooks not named in `wanted`, from the last index down. */
export function removalPatch(stored: readonly { name: string }[] | undefined, wanted: readonly { name: string }[]): object[] {
  const keep = new Set(wanted.map((w) => w.name));
  const ops: object[] = [];
  (stored ?? []).forEach((webhook, index) => {
    if (!keep.has(webhook.name)) ops.unshift({ op: 'test', path: `/webhooks/${index}/name`, value: webhook.name }, { op: 'remove', path: `/webhooks/${index}` });
  });
  return ops;
}

export async function applyWebhookConfigurations(
  kubeConfig: KubeConfig,
  desired: WebhookConfigurations,
  api: WebhookConfigurationApi = kubeConfig.makeApiClient(AdmissionregistrationV1Api),
): Promise<void> {
  const { name } = desired.metadata;
  const body = (kind: 'mutating' | 'validating') => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: kind === 'mutating' ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration',
    metadata: { ...desired.metadata, annotations: { ...desired.metadata.annotations, ...desired.annotations?.[kind] } },
    webhooks: desired[kind],
  });
  const mutating = await api.patchMutatingWebhookConfiguration(
    { name, body: body('mutating'), fieldManager: FIELD_MANAGER, force: true },
    apply,
  );
  const mutatingLeft = removalPatch(mutating.webhooks, desired.mutating);
  if (mutatingLeft.length > 0) await api.patchMutatingWebhookConfiguration({ name, body: mutatingLeft, fieldManager: FIELD_MANAGER }, jsonPatch);
  const validating = await api.patchValidatingWebhookConfiguration(
    { name, body: body('validating'), fieldManager: FIELD_MANAGER, force: true },
    apply,
  );
  const validatingLeft = removalPatch(validating.webhooks, desired.validating);
  if (validatingLeft.length > 0) await api.patchValidatingWebhookConfiguration({ name, body: validatingLeft, fieldManager: FIELD_MANAGER }, jsonPatch);
}
