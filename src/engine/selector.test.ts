import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { PolicyDefinition } from './model.js';
import { StaticNamespaceLookup, withNameLabel } from './namespaces.js';
import { parsePolicy } from './schema.js';
import { matchesLabelSelector, whyNotSelected } from './selector.js';
import { clusterKclRun, kclRun, pod, request } from './testing/fixtures.js';

const source = 'items = option("items")';

function policy(doc: Record<string, unknown>): PolicyDefinition {
  const parsed = parsePolicy(doc);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}

describe('matchesLabelSelector (metav1.LabelSelector semantics)', () => {
  const labels = { app: 'web', tier: 'front' };

  it('matches everything with an absent or empty selector', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (l) => matchesLabelSelector(undefined, l) && matchesLabelSelector({}, l)),
    );
  });

  it('ANDs matchLabels and matchExpressions', () => {
    expect(matchesLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchLabels: { app: 'db' } }, labels)).toBe(false);
  });

  it('In and Exists need the key; NotIn and DoesNotExist match when it is missing', () => {
    const missing = 'absent';
    expect(matchesLabelSelector({ matchExpressions: [{ key: missing, operator: 'In', values: ['x'] }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: missing, operator: 'Exists' }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: missing, operator: 'NotIn', values: ['x'] }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: missing, operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels)).toBe(true);
  });

  it('does not treat inherited object properties as labels', () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, {})).toBe(false);
  });
});

describe('whyNotSelected', () => {
  it('keeps a KCLRun inside its own namespace and off cluster-scoped objects', () => {
    const p = policy(kclRun('p', 'team-a', { source }));
    expect(whyNotSelected(p, request())).toBeUndefined();
    expect(whyNotSelected(p, request({ object: pod('web', 'team-b') }))).toBeDefined();
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
    expect(whyNotSelected(p, request({ object: ns, kind: { group: '', version: 'v1', kind: 'Namespace' }, namespace: 'team-a' }))).toBeDefined();
  });

  it('selects operations (default CREATE and UPDATE)', () => {
    const p = policy(kclRun('p', 'team-a', { source }));
    expect(whyNotSelected(p, request({ operation: 'UPDATE', oldObject: pod('web', 'team-a') }))).toBeUndefined();
    expect(whyNotSelected(p, request({ operation: 'DELETE', oldObject: pod('web', 'team-a') }))).toBeDefined();
    const del = policy(kclRun('p', 'team-a', { source, selector: { operations: ['DELETE'] } }));
    expect(whyNotSelected(del, request({ operation: 'DELETE', oldObject: pod('web', 'team-a') }))).toBeUndefined();
  });

  it('selects kinds and names', () => {
    const p = policy(kclRun('p', 'team-a', { source, selector: { resourceKind: ['Deployment', 'Pod'], resourceName: 'web' } }));
    expect(whyNotSelected(p, request())).toBeUndefined();
    expect(whyNotSelected(p, request({ object: pod('api', 'team-a') }))).toBeDefined();
    const deploymentsOnly = policy(kclRun('p', 'team-a', { source, selector: { resourceKind: 'Deployment' } }));
    expect(whyNotSelected(deploymentsOnly, request())).toBeDefined();
  });

  it('matches labels of either the new or the old object on UPDATE, the old one on DELETE', () => {
    const p = policy(kclRun('p', 'team-a', { source, selector: { matchLabels: { app: 'web' }, operations: ['UPDATE', 'DELETE'] } }));
    const labelled = pod('web', 'team-a', { labels: { app: 'web' } });
    const plain = pod('web', 'team-a');
    expect(whyNotSelected(p, request({ operation: 'UPDATE', object: plain, oldObject: labelled }))).toBeUndefined();
    expect(whyNotSelected(p, request({ operation: 'UPDATE', object: plain, oldObject: plain }))).toBeDefined();
    expect(whyNotSelected(p, request({ operation: 'DELETE', oldObject: labelled }))).toBeUndefined();
  });

  it('selects by namespace name on a ClusterKCLRun', () => {
    const p = policy(clusterKclRun('c', { source, selector: { namespace: ['team-a', 'team-c'] } }));
    expect(whyNotSelected(p, request())).toBeUndefined();
    expect(whyNotSelected(p, request({ object: pod('web', 'team-b') }))).toBeDefined();
  });

  it('matches namespaceSelector against the Namespace from the lookup', () => {
    const namespaces = new StaticNamespaceLookup([{ metadata: { name: 'team-a', labels: { env: 'prod' } } }]);
    const p = policy(clusterKclRun('c', { source, selector: { namespaceSelector: { matchLabels: { env: 'prod' } } } }));
    const of = (name: string) => withNameLabel(namespaces.get(name), name);
    expect(whyNotSelected(p, request(), of('team-a'))).toBeUndefined();
    expect(whyNotSelected(p, request({ object: pod('web', 'team-b') }), of('team-b'))).toBeDefined();
    const byName = policy(
      clusterKclRun('c', { source, selector: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team-b'] }] } } }),
    );
    expect(whyNotSelected(byName, request({ object: pod('web', 'team-b') }), of('team-b'))).toBeUndefined();
    // A Namespace that could not be read selects: the engine then fails the policy instead of guessing.
    expect(whyNotSelected(p, request({ object: pod('web', 'team-b') }), 'unknown')).toBeUndefined();
  });

  it('applies namespaceSelector to a Namespace object\'s own labels and ignores it for other cluster-scoped kinds', () => {
    const p = policy(clusterKclRun('c', { source, selector: { namespaceSelector: { matchLabels: { env: 'prod' } } } }));
    const nsKind = { group: '', version: 'v1', kind: 'Namespace' };
    const prod = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { env: 'prod' } } };
    const dev = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'y', labels: { env: 'dev' } } };
    expect(whyNotSelected(p, request({ object: prod, kind: nsKind, namespace: 'x' }))).toBeUndefined();
    expect(whyNotSelected(p, request({ object: dev, kind: nsKind, namespace: 'y' }))).toBeDefined();
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };
    expect(whyNotSelected(p, request({ object: node, kind: { group: '', version: 'v1', kind: 'Node' } }))).toBeUndefined();
  });

  it('matches matchConstraints.resourceRules with wildcards', () => {
    const rules = (r: unknown[]) => policy(kclRun('p', 'team-a', { source, matchConstraints: { resourceRules: r } }));
    const deployment = { group: 'apps', version: 'v1', kind: 'Deployment' };
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'team-a' } };
    expect(whyNotSelected(rules([{ apiGroups: ['apps'], apiVersions: ['v1'], kinds: ['Deployment'] }]), request({ object: obj, kind: deployment }))).toBeUndefined();
    expect(whyNotSelected(rules([{ apiGroups: ['*'], kinds: ['*'] }]), request({ object: obj, kind: deployment }))).toBeUndefined();
    expect(whyNotSelected(rules([{ apiGroups: [''], kinds: ['Pod'] }]), request({ object: obj, kind: deployment }))).toBeDefined();
    expect(whyNotSelected(rules([{ apiGroups: [''], kinds: ['Pod'] }, { kinds: ['Deployment'] }]), request({ object: obj, kind: deployment }))).toBeUndefined();
    expect(whyNotSelected(rules([]), request({ object: obj, kind: deployment }))).toBeUndefined();
  });
});
