import { describe, expect, it, jest } from '@jest/globals';
import type { ExecutablePolicy, PolicyExecutor } from './executor.js';
import { InProcessExecutor } from './in-process-executor.js';
import { kclCompiler } from './kcl-compiler.js';
import { StaticNamespaceLookup } from './namespaces.js';
import { PolicySet, type SourceResolution } from './policy-set.js';
import { FakeCompiler } from './testing/fake-compiler.js';
import { clusterKclRun, kclRun } from './testing/fixtures.js';

describe('PolicySet', () => {
  it('orders KCLRuns by namespace/name, then ClusterKCLRuns by name', async () => {
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    await set.replace([
      { doc: clusterKclRun('a-cluster', { source: '{}' }) },
      { doc: kclRun('b', 'team-b', { source: '{}' }) },
      { doc: kclRun('z', 'team-a', { source: '{}' }) },
      { doc: kclRun('B', 'team-a', { source: '{}' }) },
      { doc: kclRun('a', 'team-a', { source: '{}' }) },
    ]);
    // 'B' is not a valid name: it is kept as invalid, and sorts by code unit ('B' < 'a').
    expect(set.snapshot().policies.map((p) => p.identity.key)).toEqual(['team-a/B', 'team-a/a', 'team-a/z', 'team-b/b', 'cluster/a-cluster']);
  });

  it('keeps invalid and non-compiling policies with their errors, isolated from the others', async () => {
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    const { snapshot } = await set.replace([
      { doc: kclRun('bad-spec', 'a', { source: '{}', mode: 'Sometimes' }) },
      { doc: kclRun('bad-source', 'a', { source: 'not json' }) },
      { doc: kclRun('good', 'a', { source: '{}' }) },
    ]);
    const [badSource, badSpec, good] = snapshot.policies;
    expect(badSpec!.state).toBe('invalid');
    expect(badSpec!.definition).toBeUndefined();
    expect(badSource!.state).toBe('invalid');
    expect(badSource!.definition).toBeDefined();
    expect(badSource!.diagnostics.map((d) => d.code)).toEqual(['E1001']);
    expect(badSource!.errors[0]).toMatch(/^a\/bad-source\.k:1:1: /);
    expect(good!.state).toBe('ready');
    expect(snapshot.counts).toEqual({ ready: 1, invalid: 2 });
  });

  it('reports documents it cannot name and duplicates, keeping the first', async () => {
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    const report = await set.replace([
      { doc: { kind: 'KCLRun' }, origin: 'x.yaml' },
      { doc: kclRun('p', 'a', { source: '{"annotate": {"first": "1"}}' }), origin: 'one.yaml' },
      { doc: kclRun('p', 'a', { source: '{}' }), origin: 'two.yaml' },
    ]);
    expect(report.problems.map((p) => p.origin)).toEqual(['x.yaml', 'two.yaml']);
    expect(report.snapshot.policies).toHaveLength(1);
    expect(report.snapshot.policies[0]!.origin).toBe('one.yaml');
  });

  it('never lets a KCLRun in a namespace named cluster shadow the ClusterKCLRun of the same name', async () => {
    // Both would be keyed cluster/guard; KCLRuns are listed first in cluster mode, so the tenant's
    // document would have won the key and the admin's guardrail would have been dropped.
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    const report = await set.replace([
      { doc: kclRun('guard', 'cluster', { source: '{}' }), origin: 'kclrun cluster/guard' },
      { doc: clusterKclRun('guard', { source: '{"annotate": {"guard": "1"}}' }), origin: 'clusterkclrun guard' },
      { doc: kclRun('alone', 'cluster', { source: '{}' }), origin: 'kclrun cluster/alone' },
    ]);
    const byKey = new Map(report.snapshot.policies.map((p) => [p.identity.key, p]));
    expect(byKey.get('cluster/guard')!.identity.kind).toBe('ClusterKCLRun');
    expect(byKey.get('cluster/guard')!.state).toBe('ready');
    expect(byKey.get('cluster/alone')!.state).toBe('invalid');
    expect(report.problems.map((p) => p.origin)).toEqual(['kclrun cluster/guard']);
  });

  it('swaps immutable snapshots and notifies the observer with counts by state', async () => {
    const onPoliciesChanged = jest.fn();
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }), observer: { onPoliciesChanged } });
    const before = set.snapshot();
    await set.replace([{ doc: kclRun('p', 'a', { source: '{}' }) }]);
    const after = set.snapshot();
    expect(before.policies).toHaveLength(0);
    expect(after.generation).toBe(before.generation + 1);
    expect(Object.isFrozen(after.policies)).toBe(true);
    expect(onPoliciesChanged).toHaveBeenLastCalledWith({ ready: 1, invalid: 0 }, [{ key: 'a/p', state: 'ready', stale: false }]);
  });

  it('compiles an unchanged source once across reloads', async () => {
    const compiler = new FakeCompiler();
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler }) });
    const docs = [{ doc: kclRun('p', 'a', { source: '{}' }) }, { doc: kclRun('q', 'a', { source: '{}' }) }];
    await set.replace(docs);
    await set.replace(docs);
    expect(compiler.compiles).toBe(2);
    await set.replace([{ doc: kclRun('p', 'a', { source: '{"annotate": {}}' }) }]);
    expect(compiler.compiles).toBe(3);
  });

  it('swaps a generation in only once the executor prepared it, and releases it when no request holds it', async () => {
    const inner = new InProcessExecutor({ compiler: new FakeCompiler() });
    let unblock: () => void = () => undefined;
    const released: number[] = [];
    const gate: PolicyExecutor = {
      prepare: async (generation: number, policies: readonly ExecutablePolicy[]) => {
        if (generation === 2) await new Promise<void>((r) => (unblock = r));
        return inner.prepare(generation, policies);
      },
      compile: (policy) => inner.compile(policy),
      run: (job) => inner.run(job),
      release: (generation) => {
        released.push(generation);
        inner.release(generation);
      },
      close: () => inner.close(),
    };
    const set = new PolicySet({ executor: gate });
    await set.replace([{ doc: kclRun('p', 'a', { source: '{}' }) }]);
    const lease = set.acquire();
    expect(lease.snapshot.generation).toBe(1);
    const loading = set.replace([]);
    await new Promise((r) => setImmediate(r));
    // Not prepared yet: requests still get generation 1.
    expect(set.snapshot().generation).toBe(1);
    unblock();
    await loading;
    expect(set.snapshot().generation).toBe(2);
    // Generation 1 is still held by the lease.
    expect(released).toEqual([0]);
    lease.release();
    lease.release();
    expect(released).toEqual([0, 1]);
  });

  it('compiles a resolved package source, and keeps a source that never resolved from acting', async () => {
    const resolutions: Record<string, SourceResolution> = {
      'oci://registry.example/pkg:1': {
        ok: true,
        resolved: { root: '/pkg', files: { '/pkg/main.k': 'import .lib\nitems = [lib.stamp(i) for i in option("items")]\n', '/pkg/lib.k': 'stamp = lambda i { i | {metadata.annotations.pulled = "yes"} }\n' }, digest: 'sha256:abc' },
        stale: 'registry unreachable; using the last good content',
      },
      'oci://registry.example/missing:1': { ok: false, error: 'manifest unknown' },
    };
    const set = new PolicySet({
      executor: new InProcessExecutor({ compiler: kclCompiler }),
      resolver: { resolve: async (definition) => resolutions[definition.spec.source]! },
    });
    const report = await set.replace([
      { doc: kclRun('pulled', 'a', { source: 'oci://registry.example/pkg:1' }) },
      { doc: kclRun('missing', 'a', { source: 'oci://registry.example/missing:1' }) },
    ]);
    const [missing, pulled] = report.snapshot.policies;
    expect(pulled).toMatchObject({ state: 'ready', source: { digest: 'sha256:abc', stale: 'registry unreachable; using the last good content' } });
    expect(missing!.state).toBe('invalid');
    expect(missing!.definition).toBeUndefined();
    expect(missing!.errors[0]).toContain('manifest unknown');
  });

  it("tells the resolver which policies exist after each load, so a deleted policy's source is freed", async () => {
    const retained: string[][] = [];
    const resolved: SourceResolution = { ok: true, resolved: { root: '/pkg', files: { '/pkg/main.k': 'items = option("items")\n' }, digest: 'sha256:abc' } };
    const set = new PolicySet({
      executor: new InProcessExecutor({ compiler: kclCompiler }),
      resolver: { resolve: async () => resolved, retain: (keys) => retained.push([...keys].sort()) },
    });
    await set.replace([{ doc: kclRun('one', 'a', { source: 'oci://registry.example/pkg:1' }) }, { doc: kclRun('two', 'b', { source: 'oci://registry.example/pkg:1' }) }]);
    await set.replace([{ doc: kclRun('two', 'b', { source: 'oci://registry.example/pkg:1' }) }]);
    expect(retained).toEqual([['a/one', 'b/two'], ['b/two']]);
  });

  it('never compiles an oci:// reference as KCL when there is no resolver', async () => {
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }) });
    const report = await set.replace([{ doc: kclRun('pulled', 'a', { source: 'oci://registry.example/pkg:1' }) }]);
    expect(report.snapshot.policies[0]!.state).toBe('invalid');
  });

  it('keeps the last valid revision acting, marked stale, when a newer one fails the schema', async () => {
    const onPoliciesChanged = jest.fn();
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }), observer: { onPoliciesChanged } });
    const valid = kclRun('p', 'a', { source: '{"assert": "no"}', failureAction: 'abort' });
    await set.replace([{ doc: valid, origin: 'p.yaml' }]);
    const typo = kclRun('p', 'a', { source: '{}', failureAction: 'abrot' });
    (typo.metadata as Record<string, unknown>).generation = 7;
    const { snapshot } = await set.replace([{ doc: typo, origin: 'p.yaml' }]);
    const [kept] = snapshot.policies;
    expect(kept!.state).toBe('ready');
    expect(kept!.definition!.spec.failureAction).toBe('abort');
    expect(kept!.definition!.spec.source).toBe('{"assert": "no"}');
    expect(kept!.stale).toEqual({ errors: [expect.stringContaining('spec.failureAction')], origin: 'p.yaml', generation: 7 });
    expect(snapshot.stale).toBe(1);
    expect(onPoliciesChanged).toHaveBeenLastCalledWith({ ready: 1, invalid: 0 }, [{ key: 'a/p', state: 'ready', stale: true }]);

    // Still rejected on the next reload: still the same valid revision.
    expect((await set.replace([{ doc: typo, origin: 'p.yaml' }])).snapshot.policies[0]!.definition!.spec.source).toBe('{"assert": "no"}');
    // A valid revision replaces it and clears the mark; a deletion removes it.
    const fixed = (await set.replace([{ doc: kclRun('p', 'a', { source: '{}', failureAction: 'skip' }) }])).snapshot;
    expect(fixed.policies[0]!.stale).toBeUndefined();
    expect(fixed.policies[0]!.definition!.spec.failureAction).toBe('skip');
    expect(fixed.stale).toBe(0);
    await set.replace([{ doc: typo }]);
    expect((await set.replace([])).snapshot.policies).toEqual([]);
  });

  it("never lets a refused KCLRun in a namespace named cluster keep a deleted ClusterKCLRun of the same key in force", async () => {
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    await set.replace([{ doc: clusterKclRun('foo', { source: '{"assert": "no"}', failureAction: 'abort' }) }]);
    // The admin deletes the ClusterKCLRun; a KCLRun cluster/foo (refused: `cluster` is reserved) remains.
    const { snapshot } = await set.replace([{ doc: kclRun('foo', 'cluster', { source: '{}' }) }]);
    expect(snapshot.policies).toHaveLength(1);
    expect(snapshot.policies[0]).toMatchObject({ state: 'invalid', identity: { kind: 'KCLRun' } });
    expect(snapshot.policies[0]!.stale).toBeUndefined();
  });

  it('does not invent a revision for a policy that was never valid', async () => {
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    const { snapshot } = await set.replace([{ doc: kclRun('p', 'a', { source: '{}', failureAction: 'abrot' }) }]);
    expect(snapshot.policies[0]!.state).toBe('invalid');
    expect(snapshot.policies[0]!.definition).toBeUndefined();
    expect(snapshot.policies[0]!.stale).toBeUndefined();
  });

  it('marks stale a policy whose source could not provide a newer revision', async () => {
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    const { snapshot } = await set.replace([{ doc: kclRun('p', 'a', { source: '{}' }), origin: 'p.yaml', staleBecause: ['p.yaml: the file is empty'] }]);
    expect(snapshot.policies[0]!.stale).toEqual({ errors: ['p.yaml: the file is empty'], origin: 'p.yaml' });
  });

  it('swaps Namespaces in the same snapshot as the policies', async () => {
    const set = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
    const namespaces = new StaticNamespaceLookup([{ metadata: { name: 'a', labels: { env: 'prod' } } }]);
    const { snapshot } = await set.replace([{ doc: kclRun('p', 'a', { source: '{}' }) }], { namespaces });
    expect(snapshot.namespaces?.get('a')?.labels).toEqual({ env: 'prod' });
    expect(set.snapshot()).toBe(snapshot);
  });
});
