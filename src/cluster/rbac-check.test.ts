import { describe, expect, it } from '@jest/globals';
import type { Authorizer, AuthorizationAttributes } from '../engine/authorizer.js';
import type { CompiledPolicy } from '../engine/compiled-policy.js';
import type { KindResolver } from './discovery.js';
import { checkPolicyRbac } from './rbac-check.js';

function policy(spec: Record<string, unknown>, kind: 'KCLRun' | 'ClusterKCLRun' = 'KCLRun'): CompiledPolicy {
  const identity = { kind, namespace: kind === 'KCLRun' ? 'team-a' : undefined, name: 'p', key: 'team-a/p' };
  return {
    identity,
    state: 'ready',
    definition: {
      identity,
      manifest: {} as never,
      spec: {
        mode: 'Auto',
        selector: { operations: ['CREATE', 'UPDATE'], kinds: ['Deployment'] },
        resourceRules: [],
        serviceAccount: { namespace: 'team-a', name: 'mutater' },
        ...spec,
      } as never,
    },
    errors: [],
    diagnostics: [],
  };
}

const kinds = {
  resourcesFor: async (kind: string) => (kind === 'Deployment' ? [{ group: 'apps', resource: 'deployments' }] : []),
  resources: async () => [
    { group: 'apps', resource: 'deployments', kind: 'Deployment', kindGroup: 'apps' },
    { group: 'apps', resource: 'deployments/status', kind: 'Deployment', kindGroup: 'apps' },
    { group: 'apps', resource: 'deployments/scale', kind: 'Scale', kindGroup: 'autoscaling' },
    { group: 'apps', resource: 'statefulsets/scale', kind: 'Scale', kindGroup: 'autoscaling' },
  ],
} as unknown as KindResolver;

function authorizerAllowing(allowed: (a: AuthorizationAttributes) => boolean): { authorizer: Authorizer; asked: AuthorizationAttributes[] } {
  const asked: AuthorizationAttributes[] = [];
  return {
    asked,
    authorizer: async (_sa, attrs) => {
      asked.push(attrs);
      return allowed(attrs);
    },
  };
}

describe('RBACPermissionsGranted', () => {
  it('is granted by the custom verb mutate on the selected kind, in the policy namespace', async () => {
    const { authorizer, asked } = authorizerAllowing((a) => a.verb === 'mutate');
    const result = await checkPolicyRbac(policy({}), authorizer, kinds);
    expect(result.status).toBe('True');
    expect(asked[0]).toMatchObject({ verb: 'mutate', group: 'apps', resource: 'deployments', namespace: 'team-a' });
  });

  it('is granted by every verb of the selected operations', async () => {
    const { authorizer } = authorizerAllowing((a) => a.verb === 'create' || a.verb === 'update');
    expect((await checkPolicyRbac(policy({}), authorizer, kinds)).status).toBe('True');
  });

  it('is refused when only some operation verbs are held', async () => {
    const { authorizer } = authorizerAllowing((a) => a.verb === 'create');
    const result = await checkPolicyRbac(policy({}), authorizer, kinds);
    expect(result).toMatchObject({ status: 'False', reason: 'InsufficientPermissions' });
  });

  it('checks validate for a Validate-mode policy', async () => {
    const { authorizer, asked } = authorizerAllowing((a) => a.verb === 'validate');
    expect((await checkPolicyRbac(policy({ mode: 'Validate' }), authorizer, kinds)).status).toBe('True');
    expect(asked[0].verb).toBe('validate');
  });

  it('reports a kind the cluster does not serve', async () => {
    const { authorizer } = authorizerAllowing(() => true);
    const result = await checkPolicyRbac(policy({ selector: { operations: ['CREATE'], kinds: ['Nope'] } }), authorizer, kinds);
    expect(result).toMatchObject({ status: 'False', reason: 'UnknownKind' });
  });

  it('checks a kind only subresources serve (Scale) on those subresources', async () => {
    const scalePolicy = policy({ mode: 'Validate', selector: { operations: ['UPDATE'], kinds: ['Scale'] } });
    const onDeploymentsScale = authorizerAllowing((a) => a.verb === 'validate' && a.resource === 'deployments' && a.subresource === 'scale');
    const result = await checkPolicyRbac(scalePolicy, onDeploymentsScale.authorizer, kinds);
    expect(result).toMatchObject({ status: 'False', reason: 'InsufficientPermissions' });
    expect(onDeploymentsScale.asked.filter((a) => a.verb === 'validate').map((a) => `${a.group}/${a.resource}/${a.subresource}`)).toEqual([
      'apps/deployments/scale',
      'apps/statefulsets/scale',
    ]);
    const onBoth = authorizerAllowing((a) => a.verb === 'validate' && a.subresource === 'scale');
    expect((await checkPolicyRbac(scalePolicy, onBoth.authorizer, kinds)).status).toBe('True');
  });

  it('says a ClusterKCLRun without ServiceAccount acts with kclguard authority', async () => {
    const { authorizer, asked } = authorizerAllowing(() => false);
    const result = await checkPolicyRbac(policy({ serviceAccount: undefined }, 'ClusterKCLRun'), authorizer, kinds);
    expect(result).toMatchObject({ status: 'True', reason: 'KclguardAuthority' });
    expect(asked).toHaveLength(0);
  });

  it('is Unknown when the review itself fails', async () => {
    const failing: Authorizer = async () => {
      throw new Error('connection refused');
    };
    expect((await checkPolicyRbac(policy({}), failing, kinds)).status).toBe('Unknown');
  });
});
