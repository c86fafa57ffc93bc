import { describe, expect, it } from '@jest/globals';
import { parsePolicy } from './schema.js';
import { clusterKclRun, kclRun } from './testing/fixtures.js';

const source = 'items = option("items")';

function issues(doc: unknown): { field: string; code: string }[] {
  const parsed = parsePolicy(doc);
  if (parsed.ok) throw new Error('expected the manifest to be rejected');
  return parsed.issues.map(({ field, code }) => ({ field, code }));
}

describe('parsePolicy defaults', () => {
  it('applies operations, failureAction, mode, timeout, params and the default ServiceAccount', () => {
    const parsed = parsePolicy(kclRun('p', 'team-a', { source }));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { spec, identity } = parsed.policy;
    expect(identity).toEqual({ kind: 'KCLRun', namespace: 'team-a', name: 'p', key: 'team-a/p' });
    expect(spec.selector.operations).toEqual(['CREATE', 'UPDATE']);
    expect(spec.failureAction).toBe('abort');
    expect(spec.mode).toBe('Auto');
    expect(spec.timeoutMillis).toBe(1000);
    expect(spec.params).toEqual({});
    expect(spec.strictMode).toBe(false);
    expect(spec.serviceAccount).toEqual({ namespace: 'team-a', name: 'default' });
    expect(spec.selector.labels).toBeUndefined();
  });

  it('puts a KCLRun without a namespace into the default namespace', () => {
    const doc = kclRun('p', 'x', { source });
    delete (doc.metadata as Record<string, unknown>).namespace;
    const parsed = parsePolicy(doc, { defaultNamespace: 'default' });
    expect(parsed.ok && parsed.policy.identity.key).toBe('default/p');
  });

  it('accepts resourceKind and resourceName as a string or a list', () => {
    const one = parsePolicy(kclRun('p', 'a', { source, selector: { resourceKind: 'Pod', resourceName: 'web' } }));
    const many = parsePolicy(kclRun('p', 'a', { source, selector: { resourceKind: ['Pod', 'Deployment'], resourceName: ['a', 'b'] } }));
    expect(one.ok && one.policy.spec.selector.kinds).toEqual(['Pod']);
    expect(one.ok && one.policy.spec.selector.names).toEqual(['web']);
    expect(many.ok && many.policy.spec.selector.kinds).toEqual(['Pod', 'Deployment']);
    expect(many.ok && many.policy.spec.selector.names).toEqual(['a', 'b']);
  });

  it('refuses a selector field that would select nothing: an empty list, or "*" taken as a wildcard', () => {
    for (const selector of [{ resourceKind: '*' }, { resourceKind: ['Pod', '*'] }, { resourceKind: [] }, { namespace: [] }, { resourceName: '*' }]) {
      const field = `spec.selector.${Object.keys(selector)[0]}`;
      expect(issues(kclRun('p', 'a', { source, selector })).map((i) => [i.field, i.code])).toEqual([[field, 'invalid']]);
    }
    expect(parsePolicy(kclRun('p', 'a', { source, selector: {} })).ok).toBe(true);
  });

  it('maps recoveryPolicy panic to abort and skip to skip', () => {
    const panic = parsePolicy(kclRun('p', 'a', { source, recoveryPolicy: 'panic' }));
    const skip = parsePolicy(kclRun('p', 'a', { source, recoveryPolicy: 'skip' }));
    expect(panic.ok && panic.policy.spec.failureAction).toBe('abort');
    expect(skip.ok && skip.policy.spec.failureAction).toBe('skip');
  });

  it('expands operations "*" to all four', () => {
    const parsed = parsePolicy(kclRun('p', 'a', { source, selector: { operations: ['*'] } }));
    expect(parsed.ok && parsed.policy.spec.selector.operations).toEqual(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
  });

  it('gives a ClusterKCLRun without ServiceAccount kclguard\'s own authority, and with one its SA', () => {
    const own = parsePolicy(clusterKclRun('c', { source }));
    expect(own.ok && own.policy.spec.serviceAccount).toBeUndefined();
    expect(own.ok && own.policy.identity.key).toBe('cluster/c');
    const sa = parsePolicy(clusterKclRun('c', { source, serviceAccountName: 'm', serviceAccountNamespace: 'ops', allowSystemNamespaces: true }));
    expect(sa.ok && sa.policy.spec.serviceAccount).toEqual({ namespace: 'ops', name: 'm' });
    expect(sa.ok && sa.policy.spec.allowSystemNamespaces).toBe(true);
  });
});

describe('parsePolicy errors name the field', () => {
  it('rejects an unknown failureAction', () => {
    expect(issues(kclRun('p', 'a', { source, failureAction: 'explode' }))).toEqual([{ field: 'spec.failureAction', code: 'enum' }]);
  });

  it('rejects a missing source', () => {
    expect(issues(kclRun('p', 'a', {}))).toEqual([{ field: 'spec.source', code: 'required' }]);
  });

  it('rejects unknown spec fields (typos)', () => {
    expect(issues(kclRun('p', 'a', { source, failurAction: 'warn' }))).toEqual([{ field: 'spec.failurAction', code: 'unknown-field' }]);
  });

  it('rejects wrong types deep in the selector with an indexed path', () => {
    const doc = kclRun('p', 'a', { source, selector: { matchExpressions: [{ key: 'a', operator: 'Maybe' }] } });
    expect(issues(doc)).toEqual([{ field: 'spec.selector.matchExpressions[0].operator', code: 'enum' }]);
    expect(issues(kclRun('p', 'a', { source, timeoutMillis: 'fast' }))).toEqual([{ field: 'spec.timeoutMillis', code: 'type' }]);
  });

  it('requires values for In/NotIn and forbids them for Exists/DoesNotExist', () => {
    const doc = kclRun('p', 'a', {
      source,
      selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }, { key: 'b', operator: 'Exists', values: ['x'] }] },
    });
    expect(issues(doc)).toEqual([
      { field: 'spec.selector.matchExpressions[0].values', code: 'invalid' },
      { field: 'spec.selector.matchExpressions[1].values', code: 'invalid' },
    ]);
  });

  it('keeps cluster-only fields off KCLRun', () => {
    const doc = kclRun('p', 'a', { source, allowSystemNamespaces: true, serviceAccountNamespace: 'x', selector: { namespaceSelector: {} } });
    expect(issues(doc).map((i) => i.field).sort()).toEqual(['spec.allowSystemNamespaces', 'spec.selector.namespaceSelector', 'spec.serviceAccountNamespace']);
    expect(issues(doc).every((i) => i.code === 'scope')).toBe(true);
  });

  it('refuses a KCLRun in a namespace named cluster, whose key would be a ClusterKCLRun\'s', () => {
    // `cluster/x` names the ClusterKCLRun x in consent lists, policy keys, caches and reports.
    expect(issues(kclRun('x', 'cluster', { source }))).toEqual([{ field: 'metadata.namespace', code: 'scope' }]);
    expect(parsePolicy({ ...kclRun('x', 'other', { source }), metadata: { name: 'x' } }, { defaultNamespace: 'cluster' }).ok).toBe(false);
    expect(parsePolicy(clusterKclRun('x', { source })).ok).toBe(true);
  });

  it('requires the ServiceAccount and credentials Secret to be valid object names', () => {
    // They become a SubjectAccessReview username (system:serviceaccount:NS:NAME), an impersonated
    // user and a cache key: a ':' or '/' in them must never reach those.
    expect(issues(kclRun('p', 'a', { source, serviceAccountName: 'x:y' }))).toEqual([{ field: 'spec.serviceAccountName', code: 'invalid' }]);
    expect(issues(kclRun('p', 'a', { source, credentials: { secretRef: { name: '../b/secrets/c' } } }))).toEqual([{ field: 'spec.credentials.secretRef.name', code: 'invalid' }]);
    expect(issues(clusterKclRun('c', { source, serviceAccountName: 'sa', serviceAccountNamespace: 'team-a:x' }))).toEqual([{ field: 'spec.serviceAccountNamespace', code: 'invalid' }]);
    expect(parsePolicy(clusterKclRun('c', { source, serviceAccountName: 'sa.v2', serviceAccountNamespace: 'team-a', credentials: { secretRef: { name: 'reg.cred' } } })).ok).toBe(true);
  });

  it('rejects a contradiction between recoveryPolicy and failureAction', () => {
    expect(issues(kclRun('p', 'a', { source, recoveryPolicy: 'skip', failureAction: 'abort' }))).toEqual([{ field: 'spec.recoveryPolicy', code: 'conflict' }]);
  });

  it('requires serviceAccountName and serviceAccountNamespace together on a ClusterKCLRun', () => {
    expect(issues(clusterKclRun('c', { source, serviceAccountName: 'x' }))).toEqual([{ field: 'spec.serviceAccountNamespace', code: 'conflict' }]);
  });

  it('still names an invalid policy so it can be reported', () => {
    const parsed = parsePolicy(kclRun('p', 'a', { source: 3 }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.identity?.key).toBe('a/p');
  });

  it('rejects a wrong apiVersion and a non-object document', () => {
    expect(issues({ ...kclRun('p', 'a', { source }), apiVersion: 'v1' })).toEqual([{ field: 'apiVersion', code: 'enum' }]);
    expect(issues('text')).toEqual([{ field: '', code: 'type' }]);
  });
});
