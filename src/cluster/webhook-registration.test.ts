import { describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { parsePolicy } from '../engine/index.js';
import { planWebhooks } from './webhook-plan.js';
import { kclRun, request } from '../engine/testing/fixtures.js';
import { evaluateCondition } from './testing/api-server-match.js';
import { EXCLUDED_RESOURCES, MATCH_CONDITIONS, MODE_ANNOTATION, mutatingWebhook, narrowedConfigurations, ownerReferenceTo, POLICIES_ANNOTATION, validatingWebhook } from './webhook-registration.js';

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
    // `*` has no subresources: a Pod's ephemeral (debug) containers and resize are named by default.
    expect(validatingWebhook(options).rules?.[0]?.resources).toEqual(['*', 'pods/ephemeralcontainers', 'pods/resize']);
  });

  it('name the owning ClusterRole without blocking its deletion', () => {
    expect(ownerReferenceTo('kclguard', 'u-1')).toEqual({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'kclguard', uid: 'u-1' });
  });

  it('narrowed: each configuration describes its own webhooks, with kclguard\'s safety settings on every one', () => {
    const parsed = parsePolicy(kclRun('strict', 'team-a', { source: 'x = 1', mode: 'Validate', selector: { resourceKind: 'ConfigMap' } }));
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const policy = { identity: parsed.policy.identity, state: 'ready' as const, definition: parsed.policy, errors: [], diagnostics: [] };
    const plan = planWebhooks([policy], [{ group: '', resource: 'configmaps', kind: 'ConfigMap', kindGroup: '' }], { fixedConditions: MATCH_CONDITIONS });
    const desired = narrowedConfigurations('kclguard', options, plan.webhooks, ownerReferenceTo('kclguard', 'u-1'));
    expect(desired.metadata).toMatchObject({ name: 'kclguard', annotations: { [MODE_ANNOTATION]: 'narrowed' }, ownerReferences: [{ uid: 'u-1' }] });
    expect(desired.mutating).toEqual([]);
    expect(desired.annotations?.mutating?.[POLICIES_ANNOTATION]).toBe('no webhooks: no policy runs in this phase');
    expect(desired.annotations?.validating?.[POLICIES_ANNOTATION]).toContain('fail.validate.kclguard.krm.kcl.dev (failurePolicy Fail):\n  team-a/strict [abort]');
    for (const webhook of desired.validating) {
      expect(webhook).toMatchObject({ sideEffects: 'None', matchPolicy: 'Equivalent', timeoutSeconds: 5, clientConfig: { url: 'https://127.0.0.1:9443/validate' } });
      expect(webhook.namespaceSelector?.matchExpressions?.[0]?.values).toEqual(['kube-system', 'kube-node-lease', 'kclguard']);
    }
  });
});

describe('the static exclusions as data', () => {
  const groups = ['', 'apps', 'coordination.k8s.io', 'events.k8s.io', 'authorization.k8s.io', 'authentication.k8s.io', 'certificates.k8s.io', 'apiregistration.k8s.io', 'example.com'];
  const resources = ['leases', 'events', 'nodes', 'persistentvolumes', 'certificatesigningrequests', 'apiservices', 'subjectaccessreviews', 'tokenreviews', 'configmaps', 'pods'];
  it('name exactly the requests each expression turns away (narrowed mode leaves an exclusion out by them)', () => {
    for (const condition of MATCH_CONDITIONS) {
      const excluded = EXCLUDED_RESOURCES[condition.name];
      expect(excluded).toBeDefined();
      for (const group of groups) {
        for (const resource of resources) {
          for (const subResource of [undefined, 'status']) {
            const req = { ...request({ operation: 'UPDATE', resource: { group, version: 'v1', resource } }), subResource };
            const named = excluded!.some((r) => r.group === group && (r.resource === '*' || r.resource === resource));
            expect([condition.name, group, resource, subResource, evaluateCondition(condition, req)]).toEqual([condition.name, group, resource, subResource, !named]);
          }
        }
      }
    }
  });
});
