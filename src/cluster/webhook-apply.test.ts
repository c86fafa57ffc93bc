import { describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { applyWebhookConfigurations, FIELD_MANAGER, removalPatch, type WebhookConfigurationApi } from './webhook-apply.js';

describe('applying the webhook configurations', () => {
  it('uses server-side apply as kclguard, forced, for both configurations', async () => {
    const calls: { kind: string; request: Record<string, unknown> }[] = [];
    const api = {
      patchMutatingWebhookConfiguration: async (request: Record<string, unknown>) => {
        calls.push({ kind: 'mutating', request });
        return { webhooks: [{ name: 'fail.mutate.kclguard.krm.kcl.dev' }] };
      },
      patchValidatingWebhookConfiguration: async (request: Record<string, unknown>) => {
        calls.push({ kind: 'validating', request });
        // Left by an older kclguard that used update: another field manager owns it.
        return { webhooks: [{ name: 'validate.kclguard.krm.kcl.dev' }, { name: 'ignore.validate.kclguard.krm.kcl.dev' }] };
      },
    } as unknown as WebhookConfigurationApi;
    await applyWebhookConfigurations(
      new KubeConfig(),
      {
        metadata: { name: 'kclguard' },
        mutating: [{ name: 'fail.mutate.kclguard.krm.kcl.dev', clientConfig: {}, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
        validating: [{ name: 'ignore.validate.kclguard.krm.kcl.dev', clientConfig: {}, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
      },
      api,
    );
    expect(calls.map((c) => c.kind)).toEqual(['mutating', 'validating', 'validating']);
    expect(calls[0]!.request).toMatchObject({ name: 'kclguard', fieldManager: FIELD_MANAGER, force: true, body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' } });
    expect(calls[1]!.request).toMatchObject({ fieldManager: FIELD_MANAGER, force: true, body: { kind: 'ValidatingWebhookConfiguration' } });
    expect(calls[2]!.request.body).toEqual([
      { op: 'test', path: '/webhooks/0/name', value: 'validate.kclguard.krm.kcl.dev' },
      { op: 'remove', path: '/webhooks/0' },
    ]);
  });

  it('removes leftovers from the last index down, each guarded by a test of its name', () => {
    expect(removalPatch([{ name: 'a' }, { name: 'keep' }, { name: 'b' }], [{ name: 'keep' }])).toEqual([
      { op: 'test', path: '/webhooks/2/name', value: 'b' },
      { op: 'remove', path: '/webhooks/2' },
      { op: 'test', path: '/webhooks/0/name', value: 'a' },
      { op: 'remove', path: '/webhooks/0' },
    ]);
    expect(removalPatch(undefined, [])).toEqual([]);
  });
});
