import { describe, expect, test } from '@jest/globals';
import type { AuthorizationAttributes } from '../authorizer.js';
import { RbacIndex, rbacAuthorizer, serviceAccountUser } from './rbac-authorizer.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const SA = { namespace: 'team-a', name: 'mutator' };

function attrs(over: Partial<AuthorizationAttributes> = {}): AuthorizationAttributes {
  return { verb: 'update', group: 'apps', resource: 'deployments', subresource: '', namespace: 'team-a', name: 'web', ...over };
}

function role(kind: 'Role' | 'ClusterRole', name: string, rules: unknown[], namespace?: string): unknown {
  return { apiVersion: RBAC, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, rules };
}

function binding(kind: 'RoleBinding' | 'ClusterRoleBinding', roleRef: { kind: string; name: string }, subjects: unknown[], namespace?: string): unknown {
  return { apiVersion: RBAC, kind, metadata: { name: `b-${roleRef.name}`, ...(namespace ? { namespace } : {}) }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects };
}

const saSubject = { kind: 'ServiceAccount', name: 'mutator', namespace: 'team-a' };

/** One Role bound to the ServiceAccount in team-a with the given rule. */
function withRule(rule: Record<string, unknown>): RbacIndex {
  return new RbacIndex([role('Role', 'r', [rule], 'team-a'), binding('RoleBinding', { kind: 'Role', name: 'r' }, [saSubject], 'team-a')]);
}

describe('rule matching', () => {
  const base = { verbs: ['update'], apiGroups: ['apps'], resources: ['deployments'] };
  test.each<[string, Record<string, unknown>, Partial<AuthorizationAttributes>, boolean]>([
    ['exact match', base, {}, true],
    ['other verb', base, { verb: 'delete' }, false],
    ['verb wildcard', { ...base, verbs: ['*'] }, { verb: 'mutate' }, true],
    ['custom verb mutate listed', { ...base, verbs: ['mutate'] }, { verb: 'mutate' }, true],
    ['other group', base, { group: '' }, false],
    ['core group is ""', { ...base, apiGroups: [''], resources: ['pods'] }, { group: '', resource: 'pods' }, true],
    ['group wildcard', { ...base, apiGroups: ['*'] }, { group: 'batch' }, true],
    ['other resource', base, { resource: 'statefulsets' }, false],
    ['resource wildcard', { ...base, resources: ['*'] }, { resource: 'statefulsets' }, true],
    ['resource wildcard covers subresources', { ...base, resources: ['*'] }, { subresource: 'scale' }, true],
    ['resource rule does not cover its subresource', base, { subresource: 'scale' }, false],
    ['resource/subresource', { ...base, resources: ['deployments/scale'] }, { subresource: 'scale' }, true],
    ['resource/subresource does not cover the resource', { ...base, resources: ['deployments/scale'] }, {}, false],
    ['*/subresource', { ...base, resources: ['*/scale'] }, { resource: 'replicasets', subresource: 'scale' }, true],
    ['*/subresource needs that subresource', { ...base, resources: ['*/scale'] }, { subresource: 'status' }, false],
    ['resourceNames allow the named object', { ...base, resourceNames: ['web'] }, {}, true],
    ['resourceNames exclude other objects', { ...base, resourceNames: ['api'] }, {}, false],
    ['resourceNames never match a nameless create', { ...base, verbs: ['create'], resourceNames: ['web'] }, { verb: 'create', name: '' }, false],
    ['nonResourceURLs rules ignored', { verbs: ['*'], nonResourceURLs: ['*'] }, {}, false],
  ])('%s', (_name, rule, over, expected) => {
    expect(withRule(rule).decide(serviceAccountUser(SA), attrs(over)).allowed).toBe(expected);
  });
});

describe('bindings and subjects', () => {
  const editAll = role('ClusterRole', 'edit', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);

  test.each<[string, unknown[], Partial<AuthorizationAttributes>, boolean]>([
    ['no bindings', [editAll], {}, false],
    ['RoleBinding to a ClusterRole, in its namespace', [editAll, binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [saSubject], 'team-a')], {}, true],
    ['RoleBinding to a ClusterRole stops at its namespace', [editAll, binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [saSubject], 'team-a')], { namespace: 'team-b' }, false],
    ['RoleBinding never grants cluster-scoped resources', [editAll, binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [saSubject], 'team-a')], { namespace: '', resource: 'namespaces', group: '' }, false],
    ['ClusterRoleBinding grants everywhere', [editAll, binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [saSubject])], { namespace: 'team-b' }, true],
    ['ClusterRoleBinding grants cluster-scoped', [editAll, binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [saSubject])], { namespace: '' }, true],
    ['RoleBinding SA subject without namespace means the binding namespace', [editAll, binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'ServiceAccount', name: 'mutator' }], 'team-a')], {}, true],
    ['ServiceAccount of another namespace', [editAll, binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'ServiceAccount', name: 'mutator', namespace: 'team-b' }])], {}, false],
    ['other ServiceAccount name', [editAll, binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'ServiceAccount', name: 'default', namespace: 'team-a' }])], {}, false],
    ['User subject with the SA username', [editAll, binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'User', name: 'system:serviceaccount:team-a:mutator' }])], {}, true],
    ['group system:serviceaccounts', [editAll, binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'Group', name: 'system:serviceaccounts' }])], {}, true],
    ['group system:serviceaccounts:<ns>', [editAll, binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'Group', name: 'system:serviceaccounts:team-a' }])], {}, true],
    ['group of another namespace', [editAll, binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'Group', name: 'system:serviceaccounts:team-b' }])], {}, false],
    ['Role of another namespace is not found', [role('Role', 'r', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], 'team-b'), binding('RoleBinding', { kind: 'Role', name: 'r' }, [saSubject], 'team-a')], {}, false],
    ['binding to a missing role', [binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'nope' }, [saSubject])], {}, false],
  ])('%s', (_name, docs, over, expected) => {
    expect(new RbacIndex(docs).decide(serviceAccountUser(SA), attrs(over)).allowed).toBe(expected);
  });

  test('names the binding that granted access', () => {
    const index = new RbacIndex([editAll, binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [saSubject], 'team-a')]);
    expect(index.decide(serviceAccountUser(SA), attrs()).grantedBy).toBe('RoleBinding team-a/b-edit -> ClusterRole edit');
  });

  test('malformed RBAC documents are reported, other kinds ignored', () => {
    const index = new RbacIndex([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      { apiVersion: RBAC, kind: 'Role', metadata: { name: 'no-ns' }, rules: [] },
      { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { kind: 'Role', name: 'r' } },
    ]);
    expect(index.problems.map((p) => p.index)).toEqual([1, 2]);
  });

  test('the Authorizer reports each decision', async () => {
    const seen: boolean[] = [];
    const authorize = rbacAuthorizer(withRule({ verbs: ['update'], apiGroups: ['apps'], resources: ['deployments'] }), (_sa, _a, d) => seen.push(d.allowed));
    await expect(authorize(SA, attrs())).resolves.toBe(true);
    await expect(authorize(SA, attrs({ verb: 'delete' }))).resolves.toBe(false);
    expect(seen).toEqual([true, false]);
  });
});
