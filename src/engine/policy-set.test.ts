import { describe, expect, it, jest } from '@jest/globals';
import { PolicySet } from './policy-set.js';
import { FakeCompiler } from './testing/fake-compiler.js';
import { clusterKclRun, kclRun } from './testing/fixtures.js';

describe('PolicySet', () => {
  it('orders KCLRuns by namespace/name, then ClusterKCLRuns by name', () => {
    const set = new PolicySet({ compiler: new FakeCompiler() });
    set.replace([
      { doc: clusterKclRun('a-cluster', { source: '{}' }) },
      { doc: kclRun('b', 'team-b', { source: '{}' }) },
      { doc: kclRun('z', 'team-a', { source: '{}' }) },
      { doc: kclRun('B', 'team-a', { source: '{}' }) },
      { doc: kclRun('a', 'team-a', { source: '{}' }) },
    ]);
    // 'B' is not a valid name: it is kept as invalid, and sorts by code unit ('B' < 'a').
    expect(set.snapshot().policies.map((p) => p.identity.key)).toEqual(['team-a/B', 'team-a/a', 'team-a/z', 'team-b/b', 'cluster/a-cluster']);
  });

  it('keeps invalid and non-compiling policies with their errors, isolated from the others', () => {
    const set = new PolicySet({ compiler: new FakeCompiler() });
    const { snapshot } = set.replace([
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

  it('reports documents it cannot name and duplicates, keeping the first', () => {
    const set = new PolicySet({ compiler: new FakeCompiler() });
    const report = set.replace([
      { doc: { kind: 'KCLRun' }, origin: 'x.yaml' },
      { doc: kclRun('p', 'a', { source: '{"annotate": {"first": "1"}}' }), origin: 'one.yaml' },
      { doc: kclRun('p', 'a', { source: '{}' }), origin: 'two.yaml' },
    ]);
    expect(report.problems.map((p) => p.origin)).toEqual(['x.yaml', 'two.yaml']);
    expect(report.snapshot.policies).toHaveLength(1);
    expect(report.snapshot.policies[0]!.origin).toBe('one.yaml');
  });

  it('swaps immutable snapshots and notifies the observer with counts by state', () => {
    const onPoliciesChanged = jest.fn();
    const set = new PolicySet({ compiler: new FakeCompiler(), observer: { onPoliciesChanged } });
    const before = set.snapshot();
    set.replace([{ doc: kclRun('p', 'a', { source: '{}' }) }]);
    const after = set.snapshot();
    expect(before.policies).toHaveLength(0);
    expect(after.generation).toBe(before.generation + 1);
    expect(Object.isFrozen(after.policies)).toBe(true);
    expect(onPoliciesChanged).toHaveBeenLastCalledWith({ ready: 1, invalid: 0 });
  });

  it('compiles an unchanged source once across reloads', () => {
    const compiler = new FakeCompiler();
    const set = new PolicySet({ compiler });
    const docs = [{ doc: kclRun('p', 'a', { source: '{}' }) }, { doc: kclRun('q', 'a', { source: '{}' }) }];
    set.replace(docs);
    set.replace(docs);
    expect(compiler.compiles).toBe(2);
    set.replace([{ doc: kclRun('p', 'a', { source: '{"annotate": {}}' }) }]);
    expect(compiler.compiles).toBe(3);
  });
});
