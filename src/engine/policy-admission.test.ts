import { describe, expect, it } from '@jest/globals';
import type { EngineDecision, EngineRequest } from './contract.js';
import { InProcessExecutor } from './in-process-executor.js';
import { kclCompiler } from './kcl-compiler.js';
import { withPolicyValidation } from './policy-admission.js';

const allowed: EngineDecision = { allowed: true, patch: [], warnings: [], auditAnnotations: {}, outcomes: [] };

function policyRequest(spec: Record<string, unknown>, phase: 'mutate' | 'validate' = 'validate'): EngineRequest {
  const object = { apiVersion: 'krm.kcl.dev/v1alpha1', kind: 'KCLRun', metadata: { name: 'p', namespace: 'team-a' }, spec };
  return {
    uid: 'u1',
    phase,
    operation: 'CREATE',
    kind: { group: 'krm.kcl.dev', version: 'v1alpha1', kind: 'KCLRun' },
    resource: { group: 'krm.kcl.dev', version: 'v1alpha1', resource: 'kclruns' },
    name: 'p',
    namespace: 'team-a',
    object,
    userInfo: {},
    dryRun: false,
    requestView: {},
  };
}

describe('validation of KCLRun objects on admission', () => {
  let delegated = 0;
  const handler = withPolicyValidation(async () => {
    delegated++;
    return allowed;
  }, new InProcessExecutor({ compiler: kclCompiler }));

  it('refuses KCL that does not compile, with the diagnostic and its line:col', async () => {
    const decision = await handler(policyRequest({ source: 'a = 1\nb = [\n' }));
    expect(decision.allowed).toBe(false);
    expect(decision.denial?.kind).toBe('invalid_policy');
    expect(decision.denial?.message).toMatch(/team-a\/p\.k:\d+:\d+: E1001/);
  });

  it('refuses an invalid spec naming the field', async () => {
    const decision = await handler(policyRequest({ source: 'a = 1', failureAction: 'explode' }));
    expect(decision.allowed).toBe(false);
    expect(decision.denial?.message).toContain('failureAction');
  });

  it('refuses a KCLRun in a namespace named cluster, whose key would be a ClusterKCLRun\'s', async () => {
    // The API server puts the namespace in the object; kubectl apply -n may leave it out of the file.
    for (const inObject of [true, false]) {
      const base = policyRequest({ source: 'items = option("items")' });
      const object = base.object as { metadata: Record<string, unknown> };
      const metadata = inObject ? { name: 'p', namespace: 'cluster' } : { name: 'p' };
      const decision = await handler({ ...base, namespace: 'cluster', object: { ...object, metadata } });
      expect(decision.allowed).toBe(false);
      expect(decision.denial?.kind).toBe('invalid_policy');
    }
  });

  it('passes a valid policy on to the policies', async () => {
    delegated = 0;
    const decision = await handler(policyRequest({ source: 'items = option("items")' }));
    expect(decision.allowed).toBe(true);
    expect(delegated).toBe(1);
  });

  it('leaves the mutate phase alone', async () => {
    delegated = 0;
    const decision = await handler(policyRequest({ source: 'b = [' }, 'mutate'));
    expect(decision.allowed).toBe(true);
    expect(delegated).toBe(1);
  });

  it('accepts an oci:// source without pulling it (the request path never touches a registry), and checks its syntax when told how', async () => {
    const pulls: string[] = [];
    const check = (definition: { spec: { source: string } }) => {
      pulls.push(definition.spec.source);
      return definition.spec.source.includes('..') ? ['S1001 InvalidReference: not an OCI reference'] : undefined;
    };
    const checked = withPolicyValidation(async () => allowed, new InProcessExecutor({ compiler: kclCompiler }), check);
    expect((await checked(policyRequest({ source: 'oci://registry.example/team/p:1.0.0' }))).allowed).toBe(true);
    const refused = await checked(policyRequest({ source: 'oci://registry.example/../p' }));
    expect(refused.allowed).toBe(false);
    expect(refused.denial?.message).toContain('S1001');
    // An inline source with dependencies is not compiled without them either.
    expect((await checked(policyRequest({ source: 'import k8s\na = 1\n', dependencies: 'k8s = "1.31"' }))).allowed).toBe(true);
    expect(pulls).toHaveLength(3);
    // Without a check (no resolver configured) the source is not compiled as KCL either.
    expect((await handler(policyRequest({ source: 'oci://registry.example/team/p:1.0.0' }))).allowed).toBe(true);
  });
});
