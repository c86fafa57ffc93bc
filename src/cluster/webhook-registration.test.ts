import { describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { mutatingWebhook, validatingWebhook } from './webhook-registration.js';

const options = {
  kubeConfig: new KubeConfig(),
  name: 'kclguard',
  endpoint: { url: 'https://127.0.0.1:9443/' },
  caBundlePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  excludedNamespaces: ['kube-system', 'kube-node-lease', 'kclguard', 'kube-system'],
  timeoutSeconds: 30,
};

describe('self-registered webhook configurations', () => {
  it('carry the safety settings', () => {
    for (const webhook of [mutatingWebhook(options), validatingWebhook(options)]) {
      expect(webhook.sideEffects).toBe('None');
      expect(webhook.matchPolicy).toBe('Equivalent');
      expect(webhook.timeoutSeconds).toBe(5);
      expect(webhook.namespaceSelector?.matchExpressions?.[0]).toEqual({
        key: 'kubernetes.io/metadata.name',
        operator: 'NotIn',
        values: ['kube-system', 'kube-node-lease', 'kclguard'],
      });
      const conditions = (webhook.matchConditions ?? []).map((c) => c.expression).join(' ');
      expect(conditions).toContain("'leases'");
      expect(conditions).toContain("'events'");
      expect(Buffer.from(webhook.clientConfig.caBundle!, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    }
  });

  it('point each phase at its own path', () => {
    expect(mutatingWebhook(options).clientConfig.url).toBe('https://127.0.0.1:9443/mutate');
    expect(validatingWebhook(options).clientConfig.url).toBe('https://127.0.0.1:9443/validate');
    const service = mutatingWebhook({ ...options, endpoint: { service: { name: 'kclguard', namespace: 'kclguard', port: 443 } } });
    expect(service.clientConfig.service).toEqual({ name: 'kclguard', namespace: 'kclguard', port: 443, path: '/mutate' });
  });
});
