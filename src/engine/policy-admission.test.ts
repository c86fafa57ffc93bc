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
});
