import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { CompiledPolicy, PolicySnapshot } from '../engine/index.js';
import { parsePolicy } from '../engine/index.js';
import { kclRun } from '../engine/testing/fixtures.js';
import type { DiscoveredResource } from './discovery.js';
import type { WebhookConfigurations } from './webhook-apply.js';
import { WebhookController, type WebhookUpdateResult } from './webhook-controller.js';
import { withWebhookCoverage } from './webhook-coverage.js';
import type { PolicyStatus } from './status-writer.js';

const DISCOVERY: DiscoveredResource[] = [
  { group: '', resource: 'configmaps', kind: 'ConfigMap', kindGroup: '' },
  { group: '', resource: 'secrets', kind: 'Secret', kindGroup: '' },
];

function compiled(name: string, spec: Record<string, unknown>): CompiledPolicy {
  const parsed = parsePolicy(kclRun(name, 'a', { source: 'items = option("items")', mode: 'Validate', ...spec }));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return { identity: parsed.policy.identity, state: 'ready', definition: parsed.policy, errors: [], diagnostics: [] };
}

const snapshotOf = (policies: CompiledPolicy[], generation = 1): PolicySnapshot => ({ generation, policies, counts: { ready: policies.length, invalid: 0 }, stale: 0 });

/** A controller over fakes: a policy set to edit, discovery that can fail, an API that records. */
function harness() {
  let snapshot = snapshotOf([]);
  let discoveryDown = false;
  let applyFails: false | 'conflict' | 'invalid-selection' = false;
  const applied: WebhookConfigurations[] = [];
  const results: WebhookUpdateResult[] = [];
  let appliedCallbacks = 0;
  const controller = new WebhookController({
    name: 'kclguard',
    target: { endpoint: { url: 'https://127.0.0.1:9443' }, caBundlePem: 'CA', excludedNamespaces: ['kube-system'], timeoutSeconds: 5 },
    snapshot: () => snapshot,
    discovery: { resources: async () => (discoveryDown ? Promise.reject(new Error('503 from /apis')) : DISCOVERY) },
    apply: async (desired) => {
      if (applyFails === 'conflict') throw new Error('conflict');
      const hasSelection = [...desired.mutating, ...desired.validating].some((w) => w.matchConditions?.some((c) => c.name === 'selected-by-policies'));
      if (applyFails === 'invalid-selection' && hasSelection) throw Object.assign(new Error('estimated cost exceeds budget'), { code: 422 });
      applied.push(desired);
    },
    minIntervalMs: 5_000,
    resyncMs: 60_000,
    observer: { onWebhookUpdate: (result) => results.push(result) },
    onApplied: () => (appliedCallbacks += 1),
  });
  return {
    controller,
    applied,
    results,
    appliedCallbacks: () => appliedCallbacks,
    setPolicies: (policies: CompiledPolicy[]) => {
      snapshot = snapshotOf(policies, snapshot.generation + 1);
      controller.policiesChanged();
    },
    setDiscoveryDown: (down: boolean) => (discoveryDown = down),
    setApplyFails: (fails: typeof applyFails) => (applyFails = fails),
    lastWebhookNames: () => applied.at(-1)?.validating.map((w) => w.name),
  };
}

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('narrowed webhook updates', () => {
  it('write nothing until this replica leads, then register at once', async () => {
    const h = harness();
    h.setPolicies([compiled('p', { selector: { resourceKind: 'ConfigMap' } })]);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(h.applied).toHaveLength(0);
    h.controller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(h.applied).toHaveLength(1);
    expect(h.lastWebhookNames()).toEqual(['fail.validate.kclguard.krm.kcl.dev', 'ignore.validate.kclguard.krm.kcl.dev']);
    expect(h.results).toEqual(['applied']);
    h.controller.stop();
  });

  it('are rate-limited: a burst of policy changes becomes one update after the interval', async () => {
    const h = harness();
    h.controller.start();
    await jest.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 20; i++) h.setPolicies([compiled(`p${i}`, { selector: { resourceKind: 'ConfigMap' } })]);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(h.applied).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.applied).toHaveLength(2);
    expect(h.applied[1]!.validating[0]!.matchConditions!.at(-1)!.expression).toContain('a/p19');
    await jest.advanceTimersByTimeAsync(30_000);
    expect(h.applied).toHaveLength(2);
    h.controller.stop();
  });

  it('tell Ready which policies the registered configurations cover; a changed policy is pending until the next update', async () => {
    const h = harness();
    const first = compiled('p', { selector: { resourceKind: 'ConfigMap' } });
    h.setPolicies([first]);
    expect(h.controller.coverage(first)).toMatchObject({ covered: false });
    h.controller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(h.controller.coverage(first)).toMatchObject({ covered: true });
    expect(h.appliedCallbacks()).toBe(1);
    const changed = compiled('p', { selector: { resourceKind: 'Secret' }, failureAction: 'warn' });
    h.setPolicies([changed]);
    expect(h.controller.coverage(changed)).toMatchObject({ covered: false });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(h.controller.coverage(changed)).toMatchObject({ covered: true });
    h.controller.stop();
  });

  it("remove a deleted policy's rules", async () => {
    const h = harness();
    h.setPolicies([compiled('p', { selector: { resourceKind: 'ConfigMap' } }), compiled('q', { failureAction: 'warn', selector: { resourceKind: 'Secret' } })]);
    h.controller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(JSON.stringify(h.applied.at(-1)!.validating.map((w) => w.rules))).toContain('configmaps');
    h.setPolicies([compiled('q', { failureAction: 'warn', selector: { resourceKind: 'Secret' } })]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(h.lastWebhookNames()).toEqual(['ignore.validate.kclguard.krm.kcl.dev']);
    expect(JSON.stringify(h.applied.at(-1)!.validating.map((w) => w.rules))).not.toContain('configmaps');
    h.controller.stop();
  });

  it('keep the last good configurations while discovery is down, and the new policy pending with the reason', async () => {
    const h = harness();
    h.controller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(h.applied).toHaveLength(1);
    h.setDiscoveryDown(true);
    const added = compiled('new', { selector: { resourceKind: 'Secret' } });
    h.setPolicies([added]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(h.applied).toHaveLength(1);
    expect(h.results.at(-1)).toBe('stale');
    expect(h.controller.coverage(added)).toEqual({ covered: false, message: expect.stringContaining('discovery failed: 503 from /apis') });
    await jest.advanceTimersByTimeAsync(5_000); // retried after the interval, still down
    expect(h.results.filter((r) => r === 'stale')).toHaveLength(2);
    h.setDiscoveryDown(false);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(h.applied).toHaveLength(2);
    expect(h.controller.coverage(added)).toMatchObject({ covered: true });
    h.controller.stop();
  });

  it('retry a refused update, and report it failed meanwhile', async () => {
    const h = harness();
    h.setApplyFails('conflict');
    h.controller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(h.results).toEqual(['failed']);
    h.setApplyFails(false);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(h.results).toEqual(['failed', 'applied']);
    h.controller.stop();
  });

  it('register the rules alone when the API server refuses the selection conditions as invalid', async () => {
    const h = harness();
    const policy = compiled('p', { selector: { resourceKind: 'ConfigMap' } });
    h.setPolicies([policy]);
    h.setApplyFails('invalid-selection');
    h.controller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(h.results).toEqual(['applied']);
    const fail = h.applied.at(-1)!.validating.find((w) => w.name === 'fail.validate.kclguard.krm.kcl.dev')!;
    expect(fail.rules).toEqual([{ apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'], scope: '*' }]);
    expect(fail.matchConditions!.map((c) => c.name)).not.toContain('selected-by-policies');
    expect(h.applied.at(-1)!.annotations!.validating!['kclguard.krm.kcl.dev/policies']).toContain('no selection condition');
    expect(h.controller.coverage(policy)).toMatchObject({ covered: true });
    h.controller.stop();
  });

  it('re-apply on every resync (repairs hand edits) and report it unchanged; stop when leadership is lost', async () => {
    const h = harness();
    h.controller.start();
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(60_001);
    expect(h.results).toEqual(['applied', 'unchanged']);
    expect(h.applied).toHaveLength(2);
    h.controller.stop();
    h.setPolicies([compiled('p', { selector: { resourceKind: 'ConfigMap' } })]);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(h.applied).toHaveLength(2);
  });
});

describe('Ready with narrowed webhooks', () => {
  const ready: PolicyStatus = {
    observedGeneration: 2,
    conditions: [
      { type: 'Compiled', status: 'True', reason: 'Compiled', message: '', lastTransitionTime: 't0' },
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'the policy is active', lastTransitionTime: 't0' },
    ],
  };

  it('is False with reason WebhookPending while the configurations do not cover the policy', () => {
    const pending = withWebhookCoverage(ready, { covered: false, message: 'not yet' }, undefined, 't1');
    expect(pending.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'WebhookPending', message: 'not yet', lastTransitionTime: 't1' });
    expect(withWebhookCoverage(ready, { covered: true, message: '' }, undefined, 't1')).toBe(ready);
    expect(withWebhookCoverage(ready, undefined, undefined, 't1')).toBe(ready);
    // A transition time moves only when the status flips.
    expect(withWebhookCoverage(ready, { covered: false, message: 'still' }, pending, 't2').conditions.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe('t1');
  });

  it('keeps a Ready False for another reason (a compile error says more)', () => {
    const broken: PolicyStatus = { conditions: [{ type: 'Ready', status: 'False', reason: 'CompileFailed', message: 'p.k:1:1' }] };
    expect(withWebhookCoverage(broken, { covered: false, message: 'not yet' }, undefined, 't')).toEqual(broken);
  });
});
