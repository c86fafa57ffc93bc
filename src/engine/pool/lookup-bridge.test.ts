/**
 * Lookups from real worker threads running real KCL: the worker blocks on the bridge, the main
 * thread answers (asynchronously), and every way that can go wrong — a denial, an answer that
 * never comes, an answer that comes too late — ends as a coded failure of that policy alone.
 * Assertions are about outcomes and events, never elapsed time.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { programFilename } from '../compiled-policy.js';
import type { ExecutablePolicy, RunJob } from '../executor.js';
import type { LookupAnswer, LookupCall, LookupResponder } from '../lookups/lookups.js';
import { DEFAULT_LOOKUP_LIMITS, Lookups } from '../lookups/lookups.js';
import { StaticLookupSource } from '../lookups/lookup-source.js';
import type { PolicyDefinition } from '../model.js';
import { parsePolicy } from '../schema.js';
import { kclRun, request } from '../testing/fixtures.js';
import { WorkerPool } from './worker-pool.js';

const pools: WorkerPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function pool(stops: string[] = []): WorkerPool {
  const created = new WorkerPool({ size: 2, observer: { onWorkerStopped: (cause) => stops.push(cause) } });
  pools.push(created);
  return created;
}

const COUNT_INGRESSES = `import kube
_found = kube.list("networking.k8s.io/v1", "Ingress", "team-a")
_names = ", ".join([i.metadata.name for i in _found])
assert len(_found) == 0, "found ingresses: \${_names}"
`;

function policy(name: string, source = COUNT_INGRESSES, timeoutMillis = 2000): ExecutablePolicy {
  const parsed = parsePolicy(kclRun(name, 'team-a', { source, mode: 'Validate', timeoutMillis, lookups: [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' }] }));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return { definition: parsed.policy, filename: programFilename(parsed.policy.identity) };
}

function job(generation: number, policies: readonly ExecutablePolicy[]): RunJob {
  return { generation, request: request({ phase: 'validate' }), policies: policies.map((p) => ({ key: p.definition.identity.key, carry: false })) };
}

const INGRESSES = [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { namespace: 'team-a', name: 'web' } }];
const kindInfo = () => ({ resource: 'ingresses', namespaced: true });

function lookups(allowed = true): Lookups {
  return new Lookups({ source: new StaticLookupSource(INGRESSES, kindInfo), authorizer: async () => allowed });
}

/** A responder whose answers the test releases one by one. */
class HeldResponder implements LookupResponder {
  readonly limits = DEFAULT_LOOKUP_LIMITS;
  readonly held: { call: LookupCall; release: (answer: LookupAnswer) => void }[] = [];
  /** While set, calls are answered at once with it instead of being held. */
  immediate: LookupAnswer | undefined;
  private waiting: (() => void) | undefined;
  answer(_policy: PolicyDefinition, call: LookupCall): Promise<LookupAnswer> {
    if (this.immediate) return Promise.resolve(this.immediate);
    return new Promise((resolve) => {
      this.held.push({ call, release: resolve });
      this.waiting?.();
    });
  }
  answerNow(): LookupAnswer {
    throw new Error('not in-process');
  }
  /** Resolves once `n` calls are held. */
  async calls(n: number): Promise<void> {
    while (this.held.length < n) await new Promise<void>((resolve) => (this.waiting = resolve));
  }
}

describe('lookups from worker threads', () => {
  it('a policy in a worker reads through the main thread: the answer decides the outcome', async () => {
    const p = pool();
    p.serveLookups(lookups());
    const policies = [policy('unique')];
    await p.prepare(1, policies);
    const report = await p.run(job(1, policies));
    expect(report.runs[0]!.outcome).toMatchObject({ kind: 'violated', message: 'found ingresses: web' });
  });

  it('a denied lookup fails the policy with K9008; without a responder lookups fail with K9009', async () => {
    const denied = pool();
    denied.serveLookups(lookups(false));
    const policies = [policy('unique')];
    await denied.prepare(1, policies);
    expect((await denied.run(job(1, policies))).runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'K9008' });
    const none = pool();
    await none.prepare(1, policies);
    expect((await none.run(job(1, policies))).runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'K9009' });
  });

  it('an answer that never comes ends at the policy budget (K9003); the worker is not stopped and keeps serving', async () => {
    const stops: string[] = [];
    const p = pool(stops);
    const held = new HeldResponder();
    p.serveLookups(held);
    const policies = [policy('slow', COUNT_INGRESSES, 150)];
    await p.prepare(1, policies);
    const report = await p.run(job(1, policies));
    expect(report.runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'K9003' });
    expect(stops).toEqual([]);
    // The late answer arrives; the next query of the same worker gets its own answer, not that one.
    held.held[0]!.release({ ok: true, value: [{ metadata: { name: 'stale' } }] });
    const next = p.run(job(1, policies));
    await held.calls(2);
    held.held[1]!.release({ ok: true, value: [] });
    expect((await next).runs[0]!.outcome).toMatchObject({ kind: 'unchanged' });
  });

  it('late answers are matched by sequence, on every worker', async () => {
    const p = pool();
    const held = new HeldResponder();
    p.serveLookups(held);
    const policies = [policy('a', COUNT_INGRESSES, 5000), policy('b', COUNT_INGRESSES, 5000)];
    await p.prepare(1, policies);
    // One quick run each first: a policy whose cost is not known yet runs one job at a time.
    held.immediate = { ok: true, value: [] };
    for (const one of policies) await p.run(job(1, [one]));
    held.immediate = undefined;
    const first = p.run(job(1, [policies[0]!]));
    const second = p.run(job(1, [policies[1]!]));
    await held.calls(2);
    // Answer in the opposite order: each worker takes the answer to its own query.
    held.held[1]!.release({ ok: true, value: [{ metadata: { name: 'b' } }] });
    held.held[0]!.release({ ok: true, value: [] });
    const outcomes = [(await first).runs[0]!.outcome, (await second).runs[0]!.outcome].map((o) => o.kind).sort();
    expect(outcomes).toEqual(['unchanged', 'violated']);
  });

  it('the main side answers only for a policy of the generation the job runs on', async () => {
    const p = pool();
    const responder = lookups();
    const asked: string[] = [];
    p.serveLookups({ limits: responder.limits, answerNow: () => ({ ok: false, code: 'K9009', message: '' }), answer: (policy, call, ms) => (asked.push(policy.identity.key), responder.answer(policy, call, ms)) });
    const policies = [policy('unique')];
    await p.prepare(1, policies);
    await p.run(job(1, policies));
    expect(asked).toEqual(['team-a/unique']);
  });
});
