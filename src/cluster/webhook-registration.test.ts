import { describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { MATCH_CONDITIONS, mutatingWebhook, ownerReferenceTo, validatingWebhook } from './webhook-registration.js';

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

  it('never send the cluster infrastructure kclguard must not block during an outage', () => {
    const infrastructure = MATCH_CONDITIONS.find((c) => c.name === 'exclude-cluster-infrastructure')!.expression;
    for (const [group, resource] of [
      ["''", 'nodes'],
      ["''", 'persistentvolumes'],
      ["'certificates.k8s.io'", 'certificatesigningrequests'],
      ["'apiregistration.k8s.io'", 'apiservices'],
    ]) {
      expect(infrastructure).toMatch(new RegExp(`request\\.resource\\.group == ${group.replace(/\./g, '\\.')} && \\(?[^)]*'${resource}'`));
    }
    expect(MATCH_CONDITIONS.map((c) => c.name)).toEqual(['exclude-leases', 'exclude-events', 'exclude-access-reviews', 'exclude-cluster-infrastructure']);
  });

  it('take resources, operations and a failure policy per phase from the options', () => {
    const custom = {
      ...options,
      resources: ['pods', 'deployments/scale'],
      operations: ['CREATE', 'CONNECT'],
      failurePolicy: { mutate: 'Ignore' as const, validate: 'Fail' as const },
      timeoutSeconds: 3,
    };
    expect(mutatingWebhook(custom).rules).toEqual([{ apiGroups: ['*'], apiVersions: ['*'], resources: ['pods', 'deployments/scale'], operations: ['CREATE', 'CONNECT'], scope: '*' }]);
    expect(mutatingWebhook(custom).failurePolicy).toBe('Ignore');
    expect(validatingWebhook(custom).failurePolicy).toBe('Fail');
    expect(validatingWebhook(custom).timeoutSeconds).toBe(3);
    expect(mutatingWebhook(options).rules?.[0]?.operations).toEqual(['CREATE', 'UPDATE', 'DELETE']);
  });

  it('name the owning ClusterRole without blocking its deletion', () => {
    expect(ownerReferenceTo('kclguard', 'u-1')).toEqual({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'kclguard', uid: 'u-1' });
  });
});
