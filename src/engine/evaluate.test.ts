/**
 * Engine semantics with a fake compiler (selection, consent, authorization, failureAction,
 * ordering, patching). The same semantics with real KCL programs: kcl-engine.test.ts.
 */
import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import type { Authorizer } from './authorizer.js';
import type { FailureAction } from './contract.js';
import { allowAllExempt } from './exempt.js';
import { AUTHORIZER_DEADLINE_MARGIN_MS } from './gates.js';
import { createAdmissionHandler, type AdmissionHandlerOptions } from './handler.js';
import { InProcessExecutor } from './in-process-executor.js';
import { StaticNamespaceLookup } from './namespaces.js';
import { PolicySet } from './policy-set.js';
import { FakeCompiler } from './testing/fake-compiler.js';
import { clusterKclRun, kclRun, pod, request } from './testing/fixtures.js';

type Doc = Record<string, unknown>;

async function engine(docs: Doc[], options: Partial<AdmissionHandlerOptions> = {}) {
  const compiler = new FakeCompiler();
  // The executor's clock is the handler's: deadlines are absolute.
  const policies = new PolicySet({ executor: new InProcessExecutor({ compiler, ...(options.now ? { clock: { now: options.now } } : {}) }) });
  await policies.replace(docs.map((doc) => ({ doc })));
  const handler = createAdmissionHandler({ policies, ...options });
  return { handler, compiler, policies };
}

const annotate = (k: string, v: string) => JSON.stringify({ annotate: { [k]: v } });
const violate = (message: string) => JSON.stringify({ assert: message });
const fail = JSON.stringify({ error: 'E3M38' });

describe('mutations', () => {
  it('applies mutations in order, each seeing the previous output, as one patch', async () => {
    const { handler, compiler } = await engine([
      clusterKclRun('last', { source: annotate('order', 'cluster') }),
      kclRun('b', 'team-a', { source: annotate('b', 'yes') }),
      kclRun('a', 'team-a', { source: annotate('order', 'a') }),
    ]);
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes.map((o) => [o.policy, o.result])).toEqual([
      ['team-a/a', 'mutated'],
      ['team-a/b', 'mutated'],
      ['cluster/last', 'mutated'],
    ]);
    expect(compiler.runs.map((r) => r.filename)).toEqual(['team-a/a.k', 'team-a/b.k', 'cluster/last.k']);
    const second = compiler.runs[1]!.options.items as Doc[];
    expect((second[0]!.metadata as Doc).annotations).toEqual({ order: 'a' });
    expect(decision.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { order: 'cluster', b: 'yes' } }]);
  });

  it('produces a patch that turns the admitted object into the last output (property)', async () => {
    const edits = fc.array(fc.dictionary(fc.constantFrom('metadata.labels.x', 'metadata.labels.y', 'spec.replicas', 'spec.extra.deep'), fc.oneof(fc.string(), fc.integer(), fc.constant(null))), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(edits, async (steps) => {
        const docs = steps.map((set, i) => kclRun(`p${i}`, 'team-a', { source: JSON.stringify({ set }) }));
        const { handler } = await engine(docs);
        const req = request();
        const decision = await handler(req);
        const expected = structuredClone(req.object!) as Doc;
        for (const set of steps) {
          for (const [path, value] of Object.entries(set)) {
            const parts = path.split('.');
            let target = expected;
            for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Doc;
            target[parts.at(-1)!] = value;
          }
        }
        const patched = jsonpatch.applyPatch(structuredClone(req.object!), decision.patch as jsonpatch.Operation[]).newDocument;
        expect(patched).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('passes items, params, resource_list and request to the program', async () => {
    const doc = kclRun('p', 'team-a', { source: '{}', params: { x: 1 } });
    const { handler, compiler } = await engine([doc]);
    const req = request();
    await handler(req);
    const options = compiler.runs[0]!.options;
    expect(options.items).toEqual([req.object]);
    expect(options.params).toEqual({ x: 1 });
    expect(options.resource_list).toEqual({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [req.object], functionConfig: doc });
    expect(options.request).toBe(req.requestView);
  });

  it('gives no patch when nothing changed and never one from the validate phase', async () => {
    const { handler } = await engine([
      kclRun('same', 'team-a', { source: '{}' }),
      kclRun('v', 'team-a', { source: annotate('x', 'y'), mode: 'Validate' }),
    ]);
    const mutate = await handler(request());
    expect(mutate.patch).toEqual([]);
    expect(mutate.outcomes.find((o) => o.policy === 'team-a/same')?.result).toBe('passed');
    const validate = await handler(request({ phase: 'validate' }));
    expect(validate.patch).toEqual([]);
    expect(validate.warnings).toHaveLength(1);
    expect(validate.outcomes.find((o) => o.policy === 'team-a/v')?.result).toBe('passed');
  });

  it('runs Auto policies only in the mutate phase and Validate policies only in the validate phase', async () => {
    const { handler, compiler } = await engine([
      kclRun('auto', 'team-a', { source: '{}' }),
      kclRun('check', 'team-a', { source: '{}', mode: 'Validate' }),
    ]);
    await handler(request({ phase: 'mutate' }));
    await handler(request({ phase: 'validate' }));
    expect(compiler.runs.map((r) => r.filename)).toEqual(['team-a/auto.k', 'team-a/check.k']);
  });

  it('treats a change to a protected field as a policy failure', async () => {
    for (const field of ['apiVersion', 'kind', 'metadata.name', 'metadata.namespace']) {
      const { handler } = await engine([kclRun('p', 'team-a', { source: JSON.stringify({ set: { [field]: 'changed' } }) })]);
      const decision = await handler(request());
      expect(decision.allowed).toBe(false);
      expect(decision.denial?.kind).toBe('failure');
      expect(decision.outcomes[0]!.result).toBe('failed');
    }
  });

  it('treats output that is not exactly one object as a failure, and no output as a pass', async () => {
    const cases: [Doc, string][] = [
      [{ items: [] }, 'failed'],
      [{ items: [{ a: 1 }, { b: 2 }] }, 'failed'],
      [{ items: 'x' }, 'failed'],
      [{ result: 1 }, 'failed'],
      [{}, 'passed'],
    ];
    for (const [exports, result] of cases) {
      const { handler } = await engine([kclRun('p', 'team-a', { source: JSON.stringify({ exports }), failureAction: 'skip' })]);
      expect((await handler(request())).outcomes[0]!.result).toBe(result);
    }
  });

  it('accepts a single document as output', async () => {
    const object = { ...pod('web', 'team-a'), extra: true };
    const { handler } = await engine([kclRun('p', 'team-a', { source: JSON.stringify({ exports: object }) })]);
    const decision = await handler(request());
    expect(decision.patch).toEqual([{ op: 'add', path: '/extra', value: true }]);
  });

  it('ignores a change on DELETE', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b'), selector: { operations: ['DELETE'] } })]);
    const decision = await handler(request({ operation: 'DELETE', oldObject: pod('web', 'team-a') }));
    expect(decision.allowed).toBe(true);
    expect(decision.patch).toEqual([]);
  });
});

describe('violations', () => {
  it('denies with 403 and the assert message', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: violate('label app is required'), mode: 'Validate' })]);
    const decision = await handler(request({ phase: 'validate' }));
    expect(decision.allowed).toBe(false);
    expect(decision.denial?.kind).toBe('violation');
    expect(decision.denial?.message).toBe('label app is required');
    expect(decision.outcomes[0]!.result).toBe('violated');
  });

  it('reports every violation and keeps no patch when denied', async () => {
    const { handler } = await engine([
      kclRun('a', 'team-a', { source: violate('first') }),
      kclRun('b', 'team-a', { source: annotate('x', 'y') }),
      kclRun('c', 'team-a', { source: violate('second') }),
    ]);
    const decision = await handler(request());
    expect(decision.allowed).toBe(false);
    expect(decision.patch).toEqual([]);
    expect(decision.outcomes.map((o) => o.result)).toEqual(['violated', 'mutated', 'violated']);
    expect(decision.denial?.message).toContain('team-a/a');
    expect(decision.denial?.message).toContain('team-a/c');
  });
});

describe('failureAction', () => {
  it('abort denies with 500 naming the policy and the KCL location', async () => {
    const onFailureAction = jest.fn();
    const { handler } = await engine([kclRun('p', 'team-a', { source: fail })], { observer: { onFailureAction } });
    const decision = await handler(request());
    expect(decision.allowed).toBe(false);
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.denial?.message).toContain('team-a/p');
    expect(decision.denial?.message).toContain('team-a/p.k:2:3');
    expect(decision.denial?.message).toContain('E3M38');
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', action: 'abort' });
    expect(onFailureAction).toHaveBeenCalledWith('team-a/p', 'abort');
  });

  it('warn allows without the effects, with a warning and an audit annotation', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: fail, failureAction: 'warn' })]);
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.warnings).toHaveLength(1);
    expect(decision.warnings[0]!.length).toBeLessThanOrEqual(256);
    expect(decision.warnings[0]).not.toContain('\n');
    expect(Object.keys(decision.auditAnnotations)).toEqual(['failed.team-a.p']);
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', action: 'warn' });
  });

  it('skip allows silently but still reports the outcome', async () => {
    const onFailureAction = jest.fn();
    const { handler } = await engine([kclRun('p', 'team-a', { source: fail, failureAction: 'skip' })], { observer: { onFailureAction } });
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.warnings).toEqual([]);
    expect(decision.auditAnnotations).toEqual({});
    expect(onFailureAction).toHaveBeenCalledWith('team-a/p', 'skip');
  });

  it('a policy that does not compile fails only the requests it selects', async () => {
    const { handler } = await engine([
      kclRun('broken', 'team-a', { source: 'not json', selector: { resourceKind: 'Deployment' } }),
      kclRun('ok', 'team-a', { source: annotate('a', 'b') }),
    ]);
    const pods = await handler(request());
    expect(pods.allowed).toBe(true);
    expect(pods.patch).toHaveLength(1);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'team-a' } };
    const decision = await handler(request({ object: deployment, kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }));
    expect(decision.allowed).toBe(false);
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.denial?.message).toContain('E1001');
  });

  it('a policy whose manifest is invalid never acts', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: violate('no'), failureAction: 'explode' })]);
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes).toEqual([]);
  });

  it('caps the policy budget by the request deadline and fails once the deadline has passed', async () => {
    let now = 10_000;
    const { handler, compiler } = await engine([kclRun('p', 'team-a', { source: '{}', timeoutMillis: 5000 })], { now: () => now });
    await handler(request({ deadline: now + 300 }));
    expect(compiler.runs[0]!.limits.timeoutMs).toBe(300);
    await handler(request());
    expect(compiler.runs[1]!.limits.timeoutMs).toBe(5000);
    now = 20_000;
    const late = await handler(request({ deadline: 19_000 }));
    expect(late.outcomes[0]!.result).toBe('failed');
    expect(compiler.runs).toHaveLength(2);
  });
});

describe('consent', () => {
  const annotated = (annotations: Record<string, string>) => pod('web', 'team-a', { annotations });

  it('drops a mutation the object does not consent to, with a warning', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b') })]);
    const decision = await handler(request({ object: annotated({ canMutate: 'other' }) }));
    expect(decision.allowed).toBe(true);
    expect(decision.patch).toEqual([]);
    expect(decision.outcomes[0]!.result).toBe('not_consented');
    expect(decision.warnings).toHaveLength(1);
  });

  it('drops a violation the object does not consent to, when the user may exempt; by default nobody may', async () => {
    const docs = [kclRun('p', 'team-a', { source: violate('no'), mode: 'Validate' })];
    const vetoed = request({ phase: 'validate', object: annotated({ canValidate: '["cluster/other"]' }) });
    const decision = await (await engine(docs, { exempt: allowAllExempt })).handler(vetoed);
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes[0]!.result).toBe('not_consented');
    const byDefault = await (await engine(docs)).handler(vetoed);
    expect(byDefault.allowed).toBe(false);
    expect(byDefault.outcomes[0]!.result).toBe('violated');
  });

  it('applies effects of listed policies', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b') })]);
    const decision = await handler(request({ object: annotated({ canMutate: 'p' }) }));
    expect(decision.outcomes[0]!.result).toBe('mutated');
  });

  it('uses Namespace annotations as a default', async () => {
    const namespaces = new StaticNamespaceLookup([{ metadata: { name: 'team-a', annotations: { canMutate: 'cluster/only' } } }]);
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b') })], { namespaces });
    expect((await handler(request())).outcomes[0]!.result).toBe('not_consented');
    expect((await handler(request({ object: annotated({ canMutate: '*' }) }))).outcomes[0]!.result).toBe('mutated');
  });

  it('does not run a strictMode policy the object does not name', async () => {
    const { handler, compiler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b'), strictMode: true })]);
    const decision = await handler(request());
    expect(decision.outcomes[0]!.result).toBe('skipped');
    expect(decision.warnings).toEqual([]);
    expect(compiler.runs).toHaveLength(0);
    expect((await handler(request({ object: annotated({ canMutate: 'team-a/p' }) }))).outcomes[0]!.result).toBe('mutated');
  });

  it('does not let a mutation grant consent to a later policy', async () => {
    const { handler } = await engine([
      kclRun('a', 'team-a', { source: annotate('canMutate', '*') }),
      kclRun('b', 'team-a', { source: annotate('x', 'y') }),
    ]);
    const decision = await handler(request({ object: annotated({ canMutate: 'a' }) }));
    expect(decision.outcomes.map((o) => o.result)).toEqual(['mutated', 'not_consented']);
  });

  it('treats a malformed annotation as consent to nothing and warns', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b') })]);
    const decision = await handler(request({ object: annotated({ canMutate: '[broken' }) }));
    expect(decision.outcomes[0]!.result).toBe('not_consented');
    expect(decision.warnings.length).toBeGreaterThanOrEqual(1);
  });

  it('does not let a failing policy abort an object that refuses its validation (the user may exempt)', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: fail })], { exempt: allowAllExempt });
    const decision = await handler(request({ object: annotated({ canValidate: 'other' }) }));
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes[0]!.result).toBe('not_consented');
  });
});

describe('ServiceAccount authorization', () => {
  it("never carries a KCLRun's mutation of a Role or RoleBinding, whatever its ServiceAccount may do; a ClusterKCLRun's stands", async () => {
    // The API server checks escalation against the requester (an admin), not the policy: a
    // tenant's policy adding itself to an admin's RoleBinding would be a way to any role.
    const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'admins', namespace: 'team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' }, subjects: [] };
    const rbacRequest = () =>
      request({ object: binding, kind: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' }, resource: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' } });
    const tenant = await engine([kclRun('grab', 'team-a', { source: annotate('a', 'b'), serviceAccountName: 'mutater', selector: { resourceKind: 'RoleBinding' } })], { authorizer: async () => true });
    const refused = await tenant.handler(rbacRequest());
    expect(refused.outcomes[0]!.result).toBe('not_authorized');
    expect(refused.patch).toEqual([]);
    expect(refused.allowed).toBe(true);
    const admin = await engine([clusterKclRun('stamp', { source: annotate('a', 'b'), selector: { resourceKind: 'RoleBinding' } })], { authorizer: async () => true });
    expect((await admin.handler(rbacRequest())).patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { a: 'b' } }]);
  });

  it('checks the KCLRun ServiceAccount and drops a denied effect with a warning', async () => {
    const calls: [string, string][] = [];
    const authorizer: Authorizer = async (sa, attrs) => {
      calls.push([`${sa.namespace}/${sa.name}`, attrs.verb]);
      return false;
    };
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b'), serviceAccountName: 'mutater' })], { authorizer });
    const decision = await handler(request());
    expect(decision.outcomes[0]!.result).toBe('not_authorized');
    expect(decision.patch).toEqual([]);
    expect(decision.warnings).toHaveLength(1);
    expect(calls).toEqual([['team-a/mutater', 'mutate'], ['team-a/mutater', 'create']]);
  });

  it('uses the namespace default ServiceAccount, and asks only when there is an effect', async () => {
    const seen: string[] = [];
    const authorizer: Authorizer = async (sa, attrs) => {
      seen.push(`${sa.namespace}/${sa.name}:${attrs.verb}`);
      return true;
    };
    const { handler } = await engine([
      kclRun('pass', 'team-a', { source: '{}' }),
      kclRun('v', 'team-a', { source: violate('no'), mode: 'Validate' }),
    ], { authorizer });
    await handler(request());
    expect(seen).toEqual([]);
    const decision = await handler(request({ phase: 'validate' }));
    expect(decision.allowed).toBe(false);
    expect(seen).toEqual(['team-a/default:validate']);
  });

  it('lets a ClusterKCLRun without ServiceAccount act with kclguard authority', async () => {
    const authorizer = jest.fn<Authorizer>(async () => false);
    const { handler } = await engine([clusterKclRun('c', { source: annotate('a', 'b') })], { authorizer });
    expect((await handler(request())).outcomes[0]!.result).toBe('mutated');
    expect(authorizer).not.toHaveBeenCalled();
  });

  it('treats a failing authorizer as a policy failure handled by failureAction', async () => {
    const authorizer: Authorizer = async () => {
      throw new Error('SubjectAccessReview failed');
    };
    const { handler } = await engine([
      kclRun('abort', 'team-a', { source: annotate('a', 'b') }),
      kclRun('warn', 'team-a', { source: annotate('c', 'd'), failureAction: 'warn' }),
    ], { authorizer });
    const decision = await handler(request());
    expect(decision.allowed).toBe(false);
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.outcomes.map((o) => [o.result, o.action])).toEqual([['failed', 'abort'], ['failed', 'warn']]);
  });
});

describe('authorization of a failure\'s abort', () => {
  it('drops the abort of a policy whose ServiceAccount may not validate, with a warning', async () => {
    const calls: string[] = [];
    const authorizer: Authorizer = async (sa, attrs) => {
      calls.push(`${sa.namespace}/${sa.name}:${attrs.verb}`);
      return false;
    };
    const { handler } = await engine([kclRun('p', 'team-a', { source: fail, serviceAccountName: 'nobody' })], { authorizer });
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes[0]!.result).toBe('not_authorized');
    expect(decision.warnings).toHaveLength(1);
    expect(calls).toEqual(['team-a/nobody:validate', 'team-a/nobody:create']);
  });

  it('keeps the abort when the ServiceAccount may validate', async () => {
    const authorizer: Authorizer = async (_sa, attrs) => attrs.verb === 'validate';
    const { handler } = await engine([kclRun('p', 'team-a', { source: fail })], { authorizer });
    const decision = await handler(request());
    expect(decision.allowed).toBe(false);
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', action: 'abort' });
  });

  it('keeps the abort when the check itself fails', async () => {
    const authorizer: Authorizer = async (_sa, attrs) => {
      if (attrs.verb === 'create') throw new Error('SubjectAccessReview failed');
      return false;
    };
    const { handler } = await engine([kclRun('p', 'team-a', { source: fail })], { authorizer });
    const decision = await handler(request());
    expect(decision.allowed).toBe(false);
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', action: 'abort' });
  });

  it('asks nothing for warn and skip, nor for a ClusterKCLRun acting with kclguard authority', async () => {
    const authorizer = jest.fn<Authorizer>(async () => false);
    const { handler } = await engine([
      kclRun('w', 'team-a', { source: fail, failureAction: 'warn' }),
      kclRun('s', 'team-a', { source: fail, failureAction: 'skip' }),
      clusterKclRun('c', { source: fail }),
    ], { authorizer });
    const decision = await handler(request());
    expect(authorizer).not.toHaveBeenCalled();
    expect(decision.allowed).toBe(false);
    expect(decision.outcomes.map((o) => [o.policy, o.result, o.action])).toEqual([
      ['team-a/s', 'failed', 'skip'],
      ['team-a/w', 'failed', 'warn'],
      ['cluster/c', 'failed', 'abort'],
    ]);
  });
});

describe('a hung ServiceAccount check', () => {
  const hung: Authorizer = () => new Promise<boolean>(() => undefined);

  const cases: [FailureAction, boolean][] = [['skip', true], ['warn', true], ['abort', false]];
  it.each(cases)('times out and is a policy failure handled by failureAction %s', async (failureAction, allowed) => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b'), failureAction })], { authorizer: hung, authorizerTimeoutMs: 20 });
    const decision = await handler(request());
    expect(decision.allowed).toBe(allowed);
    expect(decision.patch).toEqual([]);
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', action: failureAction });
    if (!allowed) expect(decision.denial?.kind).toBe('failure');
  });

  it('is bounded by the request deadline minus a margin, and not asked once none is left', async () => {
    // Fake timers and clock (installed before the engine, which keeps a reference to Date.now):
    // the check must give up exactly when the deadline minus the margin is reached.
    jest.useFakeTimers({ now: 1_700_000_000_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const authorizer = jest.fn<Authorizer>(hung);
      const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b'), failureAction: 'warn' })], { authorizer, authorizerTimeoutMs: 60_000 });
      let decided = false;
      const pending = handler(request({ deadline: Date.now() + 150 })).then((decision) => {
        decided = true;
        return decision;
      });
      await jest.advanceTimersByTimeAsync(150 - AUTHORIZER_DEADLINE_MARGIN_MS - 1);
      expect(decided).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(decided).toBe(true);
      expect((await pending).outcomes[0]).toMatchObject({ result: 'failed', action: 'warn' });
      expect(authorizer).toHaveBeenCalledTimes(1);
      const late = await handler(request({ deadline: Date.now() + AUTHORIZER_DEADLINE_MARGIN_MS - 50 }));
      expect(late.outcomes[0]).toMatchObject({ result: 'failed', action: 'warn' });
      expect(authorizer).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('exclusions', () => {
  const everywhere = clusterKclRun('c', { source: annotate('a', 'b') });

  it('never acts in system namespaces unless a ClusterKCLRun allows it', async () => {
    const system = request({ object: pod('x', 'kube-system') });
    expect((await (await engine([everywhere])).handler(system)).outcomes[0]!.result).toBe('not_selected');
    const allowed = clusterKclRun('c', { source: annotate('a', 'b'), allowSystemNamespaces: true });
    expect((await (await engine([allowed])).handler(system)).outcomes[0]!.result).toBe('mutated');
    // The kube-system Namespace object itself counts as being in kube-system, whatever
    // request.namespace says (the API server puts the Namespace's own name there).
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } };
    const nsKind = { group: '', version: 'v1', kind: 'Namespace' };
    for (const namespace of ['kube-system', undefined]) {
      const nsRequest = request({ object: ns, kind: nsKind, resource: { group: '', version: 'v1', resource: 'namespaces' }, namespace, name: 'kube-system' });
      expect((await (await engine([everywhere])).handler(nsRequest)).outcomes[0]!.result).toBe('not_selected');
    }
  });

  it('never acts in kclguard\'s own namespace or on excluded kinds, whatever the policy says', async () => {
    const allowed = clusterKclRun('c', { source: annotate('a', 'b'), allowSystemNamespaces: true });
    const { handler } = await engine([allowed], { exclusions: { ownNamespace: 'kclguard' } });
    expect((await handler(request({ object: pod('x', 'kclguard') }))).outcomes).toEqual([]);
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'team-a' } };
    expect((await handler(request({ object: lease, kind: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' } }))).outcomes).toEqual([]);
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kclguard' } };
    const nsRequest = request({ object: ns, kind: { group: '', version: 'v1', kind: 'Namespace' }, namespace: 'kclguard', name: 'kclguard' });
    expect((await handler(nsRequest)).outcomes).toEqual([]);
  });

  it('answers an excluded request untouched, with empty parts no caller can write into', async () => {
    const { handler } = await engine([everywhere], { exclusions: { ownNamespace: 'kclguard' } });
    const decision = await handler(request({ object: pod('x', 'kclguard') }));
    expect(decision).toMatchObject({ allowed: true, patch: [], warnings: [], auditAnnotations: {} });
    // These are shared by every untouched answer: a write must fail, not reach the next answer.
    expect(() => (decision.warnings as string[]).push('leak')).toThrow(TypeError);
    expect(() => ((decision.auditAnnotations as Record<string, string>).leak = 'x')).toThrow(TypeError);
    expect((await handler(request({ object: pod('y', 'kclguard') }))).warnings).toEqual([]);
  });
});

describe('handler', () => {
  it('reports outcomes to the observer, except not_selected', async () => {
    const onPolicyEvaluated = jest.fn();
    const { handler } = await engine([
      kclRun('p', 'team-a', { source: '{}' }),
      kclRun('q', 'team-b', { source: '{}' }),
    ], { observer: { onPolicyEvaluated } });
    await handler(request());
    expect(onPolicyEvaluated).toHaveBeenCalledTimes(1);
    expect(onPolicyEvaluated.mock.calls[0]!.slice(0, 2)).toEqual(['team-a/p', 'passed']);
  });

  it('never throws: an internal error becomes an internal denial', async () => {
    const { policies } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b') })]);
    const broken = Object.assign(Object.create(PolicySet.prototype), policies, { acquire: () => { throw new Error('boom'); } }) as PolicySet;
    const run = jest.spyOn(policies.executor, 'run').mockRejectedValue(new Error('executor broke'));
    for (const handler of [createAdmissionHandler({ policies }), createAdmissionHandler({ policies: broken })]) {
      const decision = await handler(request()).catch((error: unknown) => error);
      expect(decision).toMatchObject({ allowed: false, denial: { kind: 'internal' } });
    }
    run.mockRestore();
  });

  it('ignores an observer that throws', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b') })], {
      observer: { onPolicyEvaluated: () => { throw new Error('metrics broke'); } },
    });
    expect((await handler(request())).allowed).toBe(true);
  });

  it('evaluates against the snapshot taken when the request started', async () => {
    const releases: Array<(v: boolean) => void> = [];
    const authorizer: Authorizer = () => new Promise<boolean>((r) => releases.push(r));
    const { handler, policies } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b') }), kclRun('q', 'team-a', { source: annotate('c', 'd') })], { authorizer });
    const pending = handler(request());
    await new Promise((r) => setImmediate(r));
    await policies.replace([]);
    for (const release of releases) release(true);
    const decision = await pending;
    expect(decision.outcomes.map((o) => o.policy)).toEqual(['team-a/p', 'team-a/q']);
  });

  it('is the same for dryRun requests (the engine has no side effects besides the authorizer cache)', async () => {
    const { handler } = await engine([kclRun('p', 'team-a', { source: annotate('a', 'b') })]);
    const wet = await handler(request());
    const dry = await handler(request({ dryRun: true }));
    expect(dry.patch).toEqual(wet.patch);
  });
});

describe('the Namespace of a request', () => {
  const namespaced = clusterKclRun('prod-only', { source: annotate('a', 'b'), selector: { namespaceSelector: { matchLabels: { env: 'prod' } } } });

  it('is read once when the cache does not have it yet (a Namespace created a moment ago)', async () => {
    const reads: string[] = [];
    const namespaces = { get: () => undefined, fetch: async (name: string) => (reads.push(name), { labels: { env: 'prod' }, annotations: {} }) };
    const { handler } = await engine([namespaced], { namespaces });
    const decision = await handler(request());
    expect(decision.outcomes[0]!.result).toBe('mutated');
    expect(reads).toEqual(['team-a']);
  });

  it('when it cannot be read, every policy that could take part fails with its failureAction, never a guess', async () => {
    const namespaces = { get: () => undefined, fetch: async () => Promise.reject(new Error('the API server is unavailable')) };
    const { handler } = await engine([namespaced, kclRun('lenient', 'team-a', { source: annotate('c', 'd'), failureAction: 'skip' })], { namespaces });
    const decision = await handler(request());
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.denial?.message).toContain('cannot read Namespace team-a');
    expect(decision.outcomes.map((o) => [o.policy, o.result, o.action])).toEqual([
      ['team-a/lenient', 'failed', 'skip'],
      ['cluster/prod-only', 'failed', 'abort'],
    ]);
  });

  it('when it cannot be read, a strictMode policy fails too: the Namespace might be the one that opted in', async () => {
    const namespaces = { get: () => undefined, fetch: async () => Promise.reject(new Error('the API server is unavailable')) };
    const strict = clusterKclRun('strict-guard', { source: violate('nope'), mode: 'Validate', strictMode: true });
    const { handler } = await engine([strict], { namespaces });
    const decision = await handler(request({ phase: 'validate' }));
    expect(decision.allowed).toBe(false);
    expect(decision.outcomes.map((o) => [o.policy, o.result, o.action])).toEqual([['cluster/strict-guard', 'failed', 'abort']]);
    // The object's own list leaving it out is an object veto: it counts only for a user who may exempt.
    const vetoed = await handler(request({ phase: 'validate', object: pod('web', 'team-a', { annotations: { canValidate: 'other' } }) }));
    expect(vetoed.allowed).toBe(false);
    const exempted = await (await engine([strict], { namespaces, exempt: allowAllExempt })).handler(request({ phase: 'validate', object: pod('web', 'team-a', { annotations: { canValidate: 'other' } }) }));
    expect(exempted.allowed).toBe(true);
    expect(exempted.outcomes[0]!.result).toBe('not_consented');
  });
});

