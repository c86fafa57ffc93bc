/**
 * Guardrails tenants cannot opt out of (issue 10): whose veto counts (spec.consent and the
 * `exempt` check), validationActions, and recovery programs — with the fake compiler, so the
 * semantics are tested apart from KCL.
 */
import { describe, expect, it } from '@jest/globals';
import type { UserInfo } from './contract.js';
import { cachingExemptCheck, type ExemptCheck } from './exempt.js';
import { createAdmissionHandler, type AdmissionHandlerOptions } from './handler.js';
import { InProcessExecutor } from './in-process-executor.js';
import { StaticNamespaceLookup } from './namespaces.js';
import { PolicySet } from './policy-set.js';
import { parsePolicy } from './schema.js';
import { FakeCompiler } from './testing/fake-compiler.js';
import { clusterKclRun, kclRun, pod, request } from './testing/fixtures.js';

type Doc = Record<string, unknown>;

async function engine(docs: Doc[], options: Partial<AdmissionHandlerOptions> = {}) {
  const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
  const report = await policies.replace(docs.map((doc) => ({ doc })));
  expect(report.snapshot.counts.invalid).toBe(0);
  return createAdmissionHandler({ policies, ...options });
}

const violate = (message: string) => JSON.stringify({ assert: message });
const fail = JSON.stringify({ error: 'E3M38' });
const annotate = JSON.stringify({ annotate: { stamped: 'yes' } });

function annotated(annotations: Record<string, string>): Doc {
  return pod('web', 'team-a', { annotations });
}

/** An exempt check that records who asked about what and answers from a list of `user policy`. */
function exemptFor(grants: string[]): { check: ExemptCheck; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    check: async (user: UserInfo, policy) => {
      asked.push(`${user.username} ${policy.key}`);
      return grants.includes(`${user.username} ${policy.key}`);
    },
  };
}

const guardrail = clusterKclRun('disallow-privileged', { source: violate('privileged containers are not allowed'), mode: 'Validate' });

describe('consent is not a bypass', () => {
  it("ignores an object's own canValidate veto of a violation unless the user may exempt, and says why", async () => {
    const exempt = exemptFor([]);
    const handler = await engine([guardrail], { exempt: exempt.check });
    for (const veto of ['', 'other-policy', '["team-a/someone-else"]']) {
      const decision = await handler(request({ phase: 'validate', object: annotated({ canValidate: veto }) }));
      expect(decision.allowed).toBe(false);
      expect(decision.denial?.kind).toBe('violation');
      expect(decision.warnings.some((w) => w.includes('may not exempt'))).toBe(true);
    }
    expect(exempt.asked).toEqual(Array(3).fill('alice cluster/disallow-privileged'));
  });

  it('lets the veto count when the user may exempt from that policy', async () => {
    const handler = await engine([guardrail], { exempt: exemptFor(['alice cluster/disallow-privileged']).check });
    const decision = await handler(request({ phase: 'validate', object: annotated({ canValidate: '' }) }));
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes[0]!.result).toBe('not_consented');
  });

  it('treats a failed exempt check as "may not": the violation stands', async () => {
    const handler = await engine([guardrail], { exempt: async () => Promise.reject(new Error('SubjectAccessReview failed')) });
    const decision = await handler(request({ phase: 'validate', object: annotated({ canValidate: '' }) }));
    expect(decision.allowed).toBe(false);
  });

  it("also ignores the object's veto of an abort, the way it does for a violation", async () => {
    const broken = kclRun('broken', 'team-a', { source: fail, mode: 'Validate' });
    const handler = await engine([broken], { exempt: exemptFor([]).check });
    const decision = await handler(request({ phase: 'validate', object: annotated({ canValidate: '' }) }));
    expect(decision.denial?.kind).toBe('failure');
  });

  it("honours the Namespace's veto (an admin's tool) without asking about the user", async () => {
    const exempt = exemptFor([]);
    const namespaces = new StaticNamespaceLookup([{ metadata: { name: 'team-a', annotations: { canValidate: 'team-a/other' } } }]);
    const handler = await engine([guardrail], { exempt: exempt.check, namespaces });
    const decision = await handler(request({ phase: 'validate' }));
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes[0]!.result).toBe('not_consented');
    expect(exempt.asked).toEqual([]);
  });

  it("ignores a Namespace's malformed canValidate (fail closed): a typo never turns every guardrail off", async () => {
    const namespaces = new StaticNamespaceLookup([{ metadata: { name: 'team-a', annotations: { canValidate: 'cluster/Strict-Guard', canMutate: 'cluster/Strict-Guard' } } }]);
    const handler = await engine([guardrail, kclRun('stamp', 'team-a', { source: annotate })], { exempt: exemptFor([]).check, namespaces });
    const decision = await handler(request({ phase: 'validate' }));
    expect(decision.denial?.kind).toBe('violation');
    expect(decision.warnings.some((w) => w.includes('canValidate'))).toBe(true);
    // For mutations, consenting to nothing is the safe direction: they stay dropped.
    const mutate = await handler(request());
    expect(mutate.patch).toEqual([]);
  });

  it("keeps the object author's veto of a mutation (the safe direction) and strictMode's opt-in", async () => {
    const exempt = exemptFor([]);
    const handler = await engine(
      [kclRun('stamp', 'team-a', { source: annotate }), kclRun('opt-in', 'team-a', { source: violate('no'), mode: 'Validate', strictMode: true })],
      { exempt: exempt.check },
    );
    const mutate = await handler(request({ object: annotated({ canMutate: '' }) }));
    expect(mutate.patch).toEqual([]);
    expect(mutate.outcomes.find((o) => o.policy === 'team-a/stamp')!.result).toBe('not_consented');
    const strict = await handler(request({ phase: 'validate', object: annotated({ canValidate: 'team-a/stamp' }) }));
    expect(strict.allowed).toBe(true);
    expect(strict.outcomes.find((o) => o.policy === 'team-a/opt-in')!.result).toBe('skipped');
    expect(exempt.asked).toEqual([]);
  });

  it("keeps a Namespace's opt-in to a strictMode policy: the object's own list undoes it only with exempt", async () => {
    // The admin names a strictMode guardrail on the Namespace; a tenant's canValidate that names
    // something else (or nothing) would have replaced the Namespace's list and switched it off.
    const strict = clusterKclRun('require-limits', { source: violate('limits are required'), mode: 'Validate', strictMode: true });
    const namespaces = new StaticNamespaceLookup([
      { metadata: { name: 'team-a', annotations: { 'kclguard.dev/canValidate': 'cluster/require-limits' } } },
      { metadata: { name: 'team-b' } },
    ]);
    const exempt = exemptFor(['bob cluster/require-limits']);
    const handler = await engine([strict], { exempt: exempt.check, namespaces });
    expect((await handler(request({ phase: 'validate' }))).allowed).toBe(false);
    for (const veto of ['', 'team-a/other', '["cluster/something-else"]']) {
      const decision = await handler(request({ phase: 'validate', object: annotated({ canValidate: veto }) }));
      expect(decision.allowed).toBe(false);
      expect(decision.warnings.some((w) => w.includes('may not exempt'))).toBe(true);
    }
    const bob = { ...request({ phase: 'validate', object: annotated({ canValidate: '' }) }), userInfo: { username: 'bob' } };
    const exempted = await handler(bob);
    expect(exempted.allowed).toBe(true);
    expect(exempted.outcomes[0]!.result).toBe('not_consented');
    // Where nobody opted in, the strictMode policy still does not apply, and nobody is asked.
    const elsewhere = await handler(request({ phase: 'validate', object: pod('web', 'team-b') }));
    expect(elsewhere.outcomes[0]!.result).toBe('skipped');
    expect(exempt.asked).toEqual([...Array(3).fill('alice cluster/require-limits'), 'bob cluster/require-limits']);
  });

  it('consent: Ignore refuses every veto, the Namespace\'s and the mutation veto included', async () => {
    const namespaces = new StaticNamespaceLookup([{ metadata: { name: 'team-a', annotations: { canValidate: 'x', canMutate: 'x' } } }]);
    const handler = await engine(
      [kclRun('stamp', 'team-a', { source: annotate, consent: 'Ignore' }), clusterKclRun('guard', { source: violate('no'), mode: 'Validate', consent: 'Ignore' })],
      { exempt: exemptFor(['alice cluster/guard']).check, namespaces },
    );
    const mutate = await handler(request({ object: annotated({ canMutate: '' }) }));
    expect(mutate.outcomes.find((o) => o.policy === 'team-a/stamp')!.result).toBe('mutated');
    const validate = await handler(request({ phase: 'validate', object: annotated({ canValidate: '' }) }));
    expect(validate.allowed).toBe(false);
    expect(validate.warnings.some((w) => w.includes('consent: Ignore'))).toBe(true);
  });

  it('consent: Advisory takes anyone\'s veto (the old behaviour)', async () => {
    const exempt = exemptFor([]);
    const handler = await engine([clusterKclRun('advice', { source: violate('no'), mode: 'Validate', consent: 'Advisory' })], { exempt: exempt.check });
    const decision = await handler(request({ phase: 'validate', object: annotated({ canValidate: '' }) }));
    expect(decision.allowed).toBe(true);
    expect(exempt.asked).toEqual([]);
  });

  it('refuses consent: Ignore on a strictMode policy and an unknown consent mode', () => {
    const bad = [kclRun('p', 'a', { source: '{}', consent: 'Ignore', strictMode: true }), kclRun('p', 'a', { source: '{}', consent: 'Sometimes' })];
    for (const doc of bad) expect(parsePolicy(doc).ok).toBe(false);
  });
});

describe('validationActions', () => {
  const policy = (actions?: string[]) => kclRun('limits', 'team-a', { source: violate('limits are required'), mode: 'Validate', ...(actions ? { validationActions: actions } : {}) });

  it('Deny (the default) denies with the message', async () => {
    const decision = await (await engine([policy()]))(request({ phase: 'validate' }));
    expect(decision.denial).toEqual({ kind: 'violation', message: 'limits are required', policies: ['team-a/limits'] });
    expect(decision.outcomes[0]!.actions).toEqual(['Deny']);
  });

  it('Warn admits with a warning; Audit admits with an audit annotation; both combine', async () => {
    const warned = await (await engine([policy(['Warn'])]))(request({ phase: 'validate' }));
    expect(warned.allowed).toBe(true);
    expect(warned.warnings).toEqual(['kclguard: policy team-a/limits violated: limits are required']);
    expect(warned.auditAnnotations).toEqual({});
    const audited = await (await engine([policy(['Audit'])]))(request({ phase: 'validate' }));
    expect(audited.allowed).toBe(true);
    expect(audited.warnings).toEqual([]);
    expect(audited.auditAnnotations).toEqual({ 'violated.team-a.limits': 'policy team-a/limits violated: limits are required' });
    const both = await (await engine([policy(['Warn', 'Audit'])]))(request({ phase: 'validate' }));
    expect(both.allowed).toBe(true);
    expect(both.warnings).toHaveLength(1);
    expect(Object.keys(both.auditAnnotations)).toEqual(['violated.team-a.limits']);
    expect(both.outcomes[0]).toMatchObject({ result: 'violated', actions: ['Warn', 'Audit'] });
  });

  it('Deny with Audit denies and records the annotation', async () => {
    const decision = await (await engine([policy(['Deny', 'Audit'])]))(request({ phase: 'validate' }));
    expect(decision.allowed).toBe(false);
    expect(Object.keys(decision.auditAnnotations)).toEqual(['violated.team-a.limits']);
  });

  it('reports each violation to the observer with its actions', async () => {
    const seen: unknown[] = [];
    const handler = await engine([policy(['Audit'])], { observer: { onViolation: (p, a) => seen.push([p, a]) } });
    await handler(request({ phase: 'validate' }));
    expect(seen).toEqual([['team-a/limits', ['Audit']]]);
  });

  it('refuses Deny with Warn, an empty list, repeats and unknown actions', () => {
    for (const actions of [['Deny', 'Warn'], [], ['Audit', 'Audit'], ['Block']]) expect(parsePolicy(policy(actions)).ok).toBe(false);
  });
});

describe('recovery programs', () => {
  const failing = (recovery: object, failureAction = 'abort') =>
    kclRun('p', 'team-a', { source: fail, mode: 'Validate', failureAction, recovery: { source: JSON.stringify(recovery) } });

  it('chooses the action: abort, warn or skip, with an optional message', async () => {
    const abort = await (await engine([failing({ exports: { action: 'abort', message: 'timeouts abort on CREATE' } }, 'skip')]))(request({ phase: 'validate' }));
    expect(abort.denial?.kind).toBe('failure');
    expect(abort.denial?.message).toContain('timeouts abort on CREATE');
    expect(abort.outcomes[0]).toMatchObject({ result: 'failed', action: 'abort', recovery: { message: 'timeouts abort on CREATE' } });
    const warn = await (await engine([failing({ exports: { action: 'warn' } })]))(request({ phase: 'validate' }));
    expect(warn.allowed).toBe(true);
    expect(warn.warnings[0]).toContain('policy team-a/p failed');
    expect(Object.keys(warn.auditAnnotations)).toEqual(['failed.team-a.p']);
    const skip = await (await engine([failing({ exports: { action: 'skip' } })]))(request({ phase: 'validate' }));
    expect(skip.allowed).toBe(true);
    expect(skip.warnings).toEqual([]);
    expect(skip.outcomes[0]).toMatchObject({ result: 'failed', action: 'skip' });
  });

  it('falls back to failureAction, with a warning, when the recovery program fails or answers nonsense', async () => {
    for (const recovery of [{ error: 'E3M38' }, { exports: { action: 'explode' } }, { exports: {} }]) {
      const decision = await (await engine([failing(recovery, 'abort')]))(request({ phase: 'validate' }));
      expect(decision.denial?.kind).toBe('failure');
      expect(decision.warnings.some((w) => w.includes('recovery program of policy team-a/p failed'))).toBe(true);
      expect(decision.outcomes[0]!.recovery).toHaveProperty('failed');
    }
  });

  it('receives the failure, the request and the object', async () => {
    const compiler = new FakeCompiler();
    const policies = new PolicySet({ executor: new InProcessExecutor({ compiler }) });
    await policies.replace([{ doc: failing({ exports: { action: 'skip' } }) }]);
    await createAdmissionHandler({ policies })(request({ phase: 'validate' }));
    const recoveryRun = compiler.runs.find((run) => run.filename === 'team-a/p.recovery.k')!;
    expect(recoveryRun.options.failure).toMatchObject({ code: 'E3M38', file: 'team-a/p.k', line: 2, col: 3 });
    expect(recoveryRun.options.request).toMatchObject({ operation: 'CREATE' });
    expect((recoveryRun.options.items as Doc[])[0]).toMatchObject({ kind: 'Pod' });
  });

  it('does not run for a policy that did not fail', async () => {
    const compiler = new FakeCompiler();
    const policies = new PolicySet({ executor: new InProcessExecutor({ compiler }) });
    await policies.replace([{ doc: kclRun('ok', 'team-a', { source: '{}', recovery: { source: '{}' } }) }]);
    await createAdmissionHandler({ policies })(request());
    expect(compiler.runs.map((r) => r.filename)).toEqual(['team-a/ok.k']);
  });

  it('makes the policy invalid when the recovery program does not compile, naming its file', async () => {
    const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    const report = await policies.replace([{ doc: kclRun('p', 'team-a', { source: '{}', recovery: { source: 'not json' } }) }]);
    expect(report.snapshot.policies[0]!.state).toBe('invalid');
    expect(report.snapshot.policies[0]!.errors[0]).toMatch(/^team-a\/p\.recovery\.k:1:1: E1001/);
  });
});

describe('the cached exempt check', () => {
  it('asks once per user and policy, keys on groups and extra, and keeps answers for their TTL', async () => {
    const asked: string[] = [];
    let now = 0;
    const check = cachingExemptCheck(
      async (user, attributes) => {
        asked.push(`${user.username} ${attributes.verb} ${attributes.resource}/${attributes.name} in ${attributes.namespace || '-'}`);
        return (user.groups ?? []).includes('platform:oncall');
      },
      { now: () => now, allowedTtlMs: 1000, deniedTtlMs: 100 },
    );
    const guard = { kind: 'ClusterKCLRun' as const, name: 'guard', key: 'cluster/guard' };
    const local = { kind: 'KCLRun' as const, name: 'p', namespace: 'team-a', key: 'team-a/p' };
    expect(await check({ username: 'carol', groups: ['platform:oncall'] }, guard)).toBe(true);
    expect(await check({ username: 'carol', groups: ['platform:oncall'] }, guard)).toBe(true);
    expect(await check({ username: 'carol', groups: [] }, guard)).toBe(false);
    expect(await check({ username: 'carol', groups: [] }, local)).toBe(false);
    expect(asked).toEqual(['carol exempt clusterkclruns/guard in -', 'carol exempt clusterkclruns/guard in -', 'carol exempt kclruns/p in team-a']);
    now = 2000;
    await check({ username: 'carol', groups: ['platform:oncall'] }, guard);
    expect(asked).toHaveLength(4);
  });

  it('never answers a ClusterKCLRun from a KCLRun of the same key', async () => {
    // The schema refuses a KCLRun in the namespace `cluster`; the cache must not depend on that.
    const asked: string[] = [];
    const check = cachingExemptCheck(async (_user, attributes) => {
      asked.push(`${attributes.resource}/${attributes.name} in ${attributes.namespace || '-'}`);
      return attributes.resource === 'kclruns';
    });
    const lookalike = { kind: 'KCLRun' as const, name: 'guard', namespace: 'cluster', key: 'cluster/guard' };
    const guard = { kind: 'ClusterKCLRun' as const, name: 'guard', key: 'cluster/guard' };
    expect(await check({ username: 'mallory' }, lookalike)).toBe(true);
    expect(await check({ username: 'mallory' }, guard)).toBe(false);
    expect(asked).toEqual(['kclruns/guard in cluster', 'clusterkclruns/guard in -']);
  });
});
