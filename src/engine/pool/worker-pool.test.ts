/**
 * The worker pool with real worker threads and a scripted test compiler
 * (test/support/pool-test-compiler.mjs): hard deadlines, heap caps, crashes, probe compiles,
 * generations and lanes. Assertions are about outcomes and events, never elapsed time.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { parsePolicy } from '../schema.js';
import type { ExecutablePolicy, RunJob } from '../executor.js';
import { kclRun, pod, request } from '../testing/fixtures.js';
import { programFilename } from '../compiled-policy.js';
import { CostTracker, HEAVY_POLICY_MS, heavyLimits, MAX_SCOPES_PER_POLICY } from './lanes.js';
import { KILL_MARGIN_MS, PIPELINE_BUDGET_MS, PIPELINE_DEPTH, WATCHDOG_INTERVAL_MS, WorkerPool, type PoolObserver } from './worker-pool.js';

const TEST_COMPILER = new URL('../../../test/support/pool-test-compiler.mjs', import.meta.url).href;

const pools: WorkerPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function pool(options: { size?: number; heapMb?: number; observer?: PoolObserver; now?: () => number } = {}): WorkerPool {
  const created = new WorkerPool({ size: 2, compilerModule: TEST_COMPILER, compileBudgetMs: 300, ...options });
  pools.push(created);
  return created;
}

function policy(name: string, script: object, spec: Record<string, unknown> = {}): ExecutablePolicy {
  const parsed = parsePolicy(kclRun(name, 'team-a', { source: JSON.stringify(script), timeoutMillis: 200, ...spec }));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return { definition: parsed.policy, filename: programFilename(parsed.policy.identity) };
}

function job(generation: number, policies: readonly ExecutablePolicy[], labels?: Record<string, string>): RunJob {
  const object = labels ? { object: pod('web', 'team-a', { labels }) } : {};
  return { generation, request: request(object), policies: policies.map((p) => ({ key: p.definition.identity.key, carry: true })) };
}

describe('WorkerPool', () => {
  it('runs a job on a prepared generation and returns each policy run and the patch', async () => {
    const p = pool();
    const policies = [policy('a', { annotate: { a: '1' } }), policy('b', { annotate: { b: '2' } })];
    const outcomes = await p.prepare(1, policies);
    expect([...outcomes.values()].every((o) => o.ok)).toBe(true);
    const report = await p.run(job(1, policies));
    expect(report.runs.map((r) => [r.key, r.outcome.kind, r.carried])).toEqual([
      ['team-a/a', 'mutated', true],
      ['team-a/b', 'mutated', true],
    ]);
    expect(report.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { a: '1', b: '2' } }]);
  });

  it('sends the review text instead of cloning the objects, and gets the same result', async () => {
    const p = pool();
    const policies = [policy('a', { annotate: { a: '1' } })];
    await p.prepare(1, policies);
    const plain = job(1, policies);
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { ...plain.request.requestView, object: plain.request.object } };
    const withText = { ...plain, request: { ...plain.request, reviewText: JSON.stringify(review) } };
    expect((await p.run(withText)).patch).toEqual((await p.run(plain)).patch);
  });

  it('stops a policy that never yields (K9003), replaces its worker and still runs the policies after it', async () => {
    const stops: string[] = [];
    const p = pool({ observer: { onWorkerStopped: (cause) => stops.push(cause) } });
    const policies = [policy('a', { annotate: { a: '1' } }), policy('spin', { spin: true }), policy('z', { annotate: { z: '1' } })];
    await p.prepare(1, policies);
    const report = await p.run(job(1, policies));
    expect(report.runs.map((r) => r.outcome.kind)).toEqual(['mutated', 'failed', 'mutated']);
    expect(report.runs[1]!.outcome).toMatchObject({ kind: 'failed', code: 'K9003' });
    expect(report.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { a: '1', z: '1' } }]);
    expect(stops).toEqual(['deadline']);
    // The pool is whole again: the next job runs.
    const again = await p.run(job(1, [policies[0]!]));
    expect(again.runs[0]!.outcome.kind).toBe('mutated');
  });

  it('fails a policy that exceeds the heap cap with K9004, never the process', async () => {
    const stops: string[] = [];
    const p = pool({ heapMb: 32, observer: { onWorkerStopped: (cause) => stops.push(cause) } });
    const policies = [policy('hog', { allocate: true }, { timeoutMillis: 30_000 }), policy('ok', {})];
    await p.prepare(1, policies);
    const report = await p.run(job(1, policies));
    expect(report.runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'K9004' });
    expect(report.runs[1]!.outcome.kind).toBe('unchanged');
    expect(stops).toEqual(['memory']);
  });

  it('replaces a worker that crashes and keeps serving', async () => {
    const stops: string[] = [];
    const p = pool({ size: 1, observer: { onWorkerStopped: (cause) => stops.push(cause) } });
    const crash = policy('crash', { crash: true });
    const fine = policy('fine', { annotate: { ok: 'yes' } });
    await p.prepare(1, [crash, fine]);
    const report = await p.run(job(1, [crash, fine]));
    expect(report.runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'E3M38' });
    expect(report.runs[1]!.outcome.kind).toBe('mutated');
    expect(stops).toEqual(['crash']);
    expect((await p.run(job(1, [fine]))).runs[0]!.outcome.kind).toBe('mutated');
  });

  it('marks a source that never finishes compiling invalid in the probe, without sending it to every worker', async () => {
    const stops: string[] = [];
    const p = pool({ observer: { onWorkerStopped: (cause) => stops.push(cause) } });
    const outcomes = await p.prepare(1, [policy('hang', { compileSpin: true }), policy('fine', {})]);
    const hang = outcomes.get('team-a/hang')!;
    expect(hang.ok).toBe(false);
    expect(!hang.ok && hang.diagnostics.map((d) => d.code)).toEqual(['K9003']);
    expect(outcomes.get('team-a/fine')!.ok).toBe(true);
    // One worker was stopped (the probe); loading the generation everywhere stopped no other.
    expect(stops).toEqual(['deadline']);
    const report = await p.run(job(1, [policy('hang', { compileSpin: true }), policy('fine', {})]));
    expect(report.runs[0]!.outcome).toMatchObject({ kind: 'failed' });
    expect(report.runs[1]!.outcome.kind).toBe('unchanged');
  });

  it('probes a policy again when only its recovery program changed, never sending an unprobed one to every worker', async () => {
    const stops: string[] = [];
    const p = pool({ observer: { onWorkerStopped: (cause) => stops.push(cause) } });
    const first = await p.prepare(1, [policy('a', {}, { recovery: { source: '{}' } })]);
    expect(first.get('team-a/a')!.ok).toBe(true);
    // Same program, a recovery program that never finishes compiling: the earlier probe must not vouch for it.
    const second = await p.prepare(2, [policy('a', {}, { recovery: { source: '{"compileSpin": true}' } })]);
    const outcome = second.get('team-a/a')!;
    expect(!outcome.ok && outcome.diagnostics.map((d) => d.code)).toEqual(['K9003']);
    expect(stops).toEqual(['deadline']);
  });

  it('probes a resolved package again when its digest changed', async () => {
    const stops: string[] = [];
    const p = pool({ observer: { onWorkerStopped: (cause) => stops.push(cause) } });
    const resolvedAs = (digest: string, main: string): ExecutablePolicy => {
      const base = policy('pkg', {}, { source: 'oci://registry.example/policies/pkg:v1' });
      return { ...base, definition: { ...base.definition, resolved: { files: { '/pkg/main.k': main }, root: '/pkg', digest } } };
    };
    expect((await p.prepare(1, [resolvedAs('sha256:1', '{}')])).get('team-a/pkg')!.ok).toBe(true);
    const moved = (await p.prepare(2, [resolvedAs('sha256:2', '{"compileSpin": true}')])).get('team-a/pkg')!;
    expect(!moved.ok && moved.diagnostics.map((d) => d.code)).toEqual(['K9003']);
    expect(stops).toEqual(['deadline']);
  });

  it('compiles one policy for the admission check, reporting diagnostics', async () => {
    const p = pool();
    expect(await p.compile(policy('ok', {}))).toEqual({ ok: true });
    const bad = policy('bad', {});
    const broken = { ...bad, definition: { ...bad.definition, spec: { ...bad.definition.spec, source: 'not json' } } };
    const outcome = await p.compile(broken);
    expect(!outcome.ok && outcome.diagnostics.map((d) => d.code)).toEqual(['E1001']);
  });

  it('keeps a released generation out of new jobs and runs the current one', async () => {
    const p = pool();
    await p.prepare(1, [policy('a', { annotate: { gen: '1' } })]);
    await p.prepare(2, [policy('a', { annotate: { gen: '2' } })]);
    p.release(1);
    const report = await p.run(job(2, [policy('a', {})]));
    expect(report.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { gen: '2' } }]);
  });

  it('answers K9003 for a job still queued at its deadline', async () => {
    const p = pool({ size: 1 });
    const slow = policy('slow', { busyMs: 400 }, { timeoutMillis: 1000 });
    const quick = policy('quick', {});
    await p.prepare(1, [slow, quick]);
    const first = p.run(job(1, [slow]));
    const queued = await p.run({ ...job(1, [quick]), request: request({ deadline: Date.now() + 50 }) });
    expect(queued.runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'K9003' });
    expect((await first).runs[0]!.outcome.kind).toBe('unchanged');
  });

  it('arms its watchdog for the first moment a check could hold, not every WATCHDOG_INTERVAL_MS', async () => {
    // Node keeps its libuv timer at the earliest time any timer asked for, even once that timer
    // is cleared: a watchdog armed every 10 ms woke the main thread between quick reviews.
    const p = pool({ size: 1 });
    const quick = policy('quick', {});
    await p.prepare(1, [quick]);
    const armed: number[] = [];
    const spy = jest.spyOn(globalThis, 'setTimeout');
    const interval = jest.spyOn(globalThis, 'setInterval');
    try {
      await p.run(job(1, [quick]));
      for (const [, ms] of spy.mock.calls) armed.push(Number(ms));
      expect(interval).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
      interval.mockRestore();
    }
    // One timer for the job, set for KILL_MARGIN_MS after it was enqueued (less the few ms since).
    expect(armed).toHaveLength(1);
    expect(armed[0]).toBeGreaterThan(KILL_MARGIN_MS - WATCHDOG_INTERVAL_MS);
  });

  it('reports its workers and closes cleanly', async () => {
    const counts: Array<Record<string, number>> = [];
    const p = pool({ observer: { onWorkers: (c) => counts.push({ ...c }) } });
    await p.started();
    await p.prepare(1, []);
    expect(p.healthy()).toBe(true);
    expect(p.workerCounts()).toMatchObject({ idle: 2 });
    await p.close();
    await expect(p.run(job(1, []))).rejects.toThrow('closed');
  });
});

describe('jobs sent ahead to a busy worker', () => {
  function counting(): { observer: PoolObserver; counts: Record<string, number> } {
    const counts: Record<string, number> = { queued: 0, taken_back: 0 };
    return { counts, observer: { onQueuedOnWorker: (outcome) => (counts[outcome] = (counts[outcome] ?? 0) + 1) } };
  }

  it('queues light jobs on a busy worker and answers every job of a burst, in its own right', async () => {
    const { counts, observer } = counting();
    const p = pool({ size: 1, observer });
    const policies = [policy('a', { annotate: { a: '1' } })];
    await p.prepare(1, policies);
    await p.run(job(1, policies)); // its cost is known: light
    const burst = await Promise.all(Array.from({ length: 40 }, () => p.run(job(1, policies))));
    for (const report of burst) expect(report.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { a: '1' } }]);
    expect(counts.queued).toBeGreaterThan(0);
  });

  it('never queues a job behind a policy whose cost is unknown', async () => {
    const { counts, observer } = counting();
    const p = pool({ size: 1, observer });
    const fresh = policy('fresh', { busyMs: 20 }, { timeoutMillis: 1000 });
    const known = policy('known', {});
    await p.prepare(1, [fresh, known]);
    await p.run(job(1, [known]));
    const runs = [p.run(job(1, [fresh])), p.run(job(1, [known]))];
    // The only worker runs a job with an unknown cost: the other job waits here, not there.
    expect(counts.queued).toBe(0);
    const [, after] = await Promise.all(runs);
    expect(after.runs[0]!.outcome.kind).toBe('unchanged');
  });

  it('holds several jobs per busy worker, spread over the workers, takes every one back from a job that turns slow, and runs them on the next free worker', async () => {
    const { counts, observer } = counting();
    // The clock stands still while the jobs are handed out: whether a busy worker may hold more
    // depends on how young its job is (PIPELINE_PATIENCE_MS), and on two cores kept busy by the
    // two slow policies this thread can be preempted for longer than that in between.
    let frozenAt: number | undefined;
    const p = pool({ size: 2, observer, now: () => frozenAt ?? Date.now() });
    const verySlow = policy('very-slow', { busyMs: 1500, ifLabel: 'slow' }, { timeoutMillis: 5000 });
    const slowish = policy('slowish', { busyMs: 300, ifLabel: 'slow' }, { timeoutMillis: 5000 });
    const quick = policy('quick', { annotate: { q: '1' } });
    await p.prepare(1, [verySlow, slowish, quick]);
    for (const taught of [verySlow, slowish, quick]) await p.run(job(1, [taught])); // all light so far
    // How many quick jobs a worker holds depends on their measured cost: teach it past a cold first run.
    for (let i = 0; i < 20; i++) await p.run(job(1, [quick]));
    const order: string[] = [];
    frozenAt = Date.now();
    const first = p.run(job(1, [verySlow], { slow: 'yes' })).then(() => order.push('very-slow'));
    const second = p.run(job(1, [slowish], { slow: 'yes' })).then(() => order.push('slowish'));
    // Both workers are busy: quick jobs are queued on them, one more per worker in turn, never
    // more than PIPELINE_DEPTH per worker; the rest wait here.
    const behind = Array.from({ length: 2 * PIPELINE_DEPTH + 1 }, (_, i) =>
      p.run(job(1, [quick])).then((report) => {
        order.push(`quick-${i}`);
        return report;
      }),
    );
    frozenAt = undefined;
    const queued = counts.queued!;
    expect(queued).toBeGreaterThanOrEqual(2);
    expect(queued).toBeLessThanOrEqual(2 * PIPELINE_DEPTH);
    const reports = await Promise.all(behind);
    await Promise.all([first, second]);
    for (const report of reports) expect(report.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { q: '1' } }]);
    // Taken back from both slow jobs, then run in their order on the first worker free again.
    expect(counts.taken_back).toBe(queued);
    expect(order).toEqual(['slowish', ...behind.map((_, i) => `quick-${i}`), 'very-slow']);
  });

  it('holds more than one job ahead only while those it holds are expected to take less than PIPELINE_BUDGET_MS', async () => {
    const { counts, observer } = counting();
    const lanes: string[] = [];
    const p = pool({ size: 1, observer: { ...observer, onQueueWait: (lane) => lanes.push(lane) } });
    const medium = policy('medium', { busyMs: PIPELINE_BUDGET_MS + 1 });
    await p.prepare(1, [medium]);
    // Light (below HEAVY_POLICY_MS) but above the budget; taught over a few runs, so that one slow
    // first run on a busy machine does not make it heavy.
    for (let i = 0; i < 5; i++) await p.run(job(1, [medium]));
    lanes.length = 0;
    const burst = Array.from({ length: 4 }, () => p.run(job(1, [medium])));
    // One job ahead, no more. On a loaded machine (the test run's own parallel workers) the 3 ms
    // runs may measure above HEAVY_POLICY_MS: then the policy is heavy, and nothing is sent ahead.
    expect(counts.queued).toBe(lanes[0] === 'light' ? 1 : 0);
    for (const report of await Promise.all(burst)) expect(report.runs[0]!.outcome.kind).toBe('unchanged');
  });

  it('blames the job a dying worker was in and runs the queued jobs again untouched', async () => {
    const p = pool({ size: 1 });
    const bomb = policy('bomb', { crash: true, ifLabel: 'boom' });
    const quick = policy('quick', { annotate: { q: '1' } });
    await p.prepare(1, [bomb, quick]);
    await p.run(job(1, [bomb]));
    await p.run(job(1, [quick]));
    // The crash in the job ahead: the queued one never started.
    const [crashed, queued] = await Promise.all([p.run(job(1, [bomb], { boom: 'yes' })), p.run(job(1, [quick]))]);
    expect(crashed.runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'E3M38' });
    expect(queued.runs[0]!.outcome.kind).toBe('mutated');
    // The crash in the queued job, maybe before this thread saw the first job's report.
    const [done, crashedToo] = await Promise.all([p.run(job(1, [quick])), p.run(job(1, [bomb], { boom: 'yes' }))]);
    expect(done.runs[0]!.outcome.kind).toBe('mutated');
    expect(crashedToo.runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'E3M38' });
    // The crash in one of several jobs sent ahead: those before and after it run as they were.
    const crashAt = 2;
    const jobs = Array.from({ length: PIPELINE_DEPTH + 1 }, (_, i) => (i === crashAt ? job(1, [bomb], { boom: 'yes' }) : job(1, [quick])));
    const reports = await Promise.all(jobs.map((j) => p.run(j)));
    expect(reports.map((r) => r.runs[0]!.outcome.kind)).toEqual(jobs.map((_, i) => (i === crashAt ? 'failed' : 'mutated')));
    expect(reports[crashAt]!.runs[0]!.outcome).toMatchObject({ code: 'E3M38' });
  });
});

describe('lanes', () => {
  it('counts a policy heavy by its running average or after it was stopped', () => {
    let now = 0;
    const costs = new CostTracker(() => now);
    expect(costs.isHeavy('light', 'a')).toBe(false);
    expect(costs.isKnown('light')).toBe(false);
    costs.observe('light', 'a', 1);
    costs.observe('slow', 'a', HEAVY_POLICY_MS * 4);
    expect(costs.isHeavy('light', 'a')).toBe(false);
    expect(costs.isHeavy('slow', 'a')).toBe(true);
    costs.stopped('light', 'a');
    expect(costs.isHeavy('light', 'a')).toBe(true);
    now = 10 * 60_000;
    expect(costs.isHeavy('light', 'a')).toBe(false);
    expect(costs.heavyAmong(['light', 'slow', 'unknown'], 'a')).toEqual(['slow']);
    expect(costs.expectedMs(['light', 'slow', 'unknown'], 'a')).toBe(1 + HEAVY_POLICY_MS * 4);
    costs.forget('slow');
    expect(costs.isKnown('slow')).toBe(false);
    expect(costs.expectedMs(['light', 'slow'], 'a')).toBe(1);
  });

  it("counts a policy's cost per namespace; a namespace not measured yet costs what the policy does overall", () => {
    let now = 0;
    const costs = new CostTracker(() => now);
    costs.observe('shared', 'tenant-a', HEAVY_POLICY_MS * 40);
    costs.observe('shared', 'tenant-b', 0.1);
    for (let i = 0; i < 5; i++) costs.observe('shared', 'tenant-a', HEAVY_POLICY_MS * 40);
    expect(costs.isHeavy('shared', 'tenant-a')).toBe(true);
    expect(costs.isHeavy('shared', 'tenant-b')).toBe(false);
    expect(costs.isHeavy('shared', 'new')).toBe(true);
    expect(costs.expectedMs(['shared'], 'tenant-b')).toBe(0.1);
    // Stopped on one tenant's object: heavy there and wherever it is not measured, not for the others.
    costs.observe('guard', 'tenant-a', 0.1);
    costs.observe('guard', 'tenant-b', 0.1);
    costs.stopped('guard', 'tenant-a');
    expect(costs.isHeavy('guard', 'tenant-a')).toBe(true);
    expect(costs.isHeavy('guard', 'new')).toBe(true);
    expect(costs.isHeavy('guard', 'tenant-b')).toBe(false);
    now = 10 * 60_000;
    expect(costs.isHeavy('guard', 'tenant-a')).toBe(false);
    // A bounded memory: the namespace measured least recently is forgotten first, and then costs what the policy does overall.
    for (let i = 0; i < MAX_SCOPES_PER_POLICY; i++) costs.observe('shared', `ns-${i}`, 0.1);
    expect(costs.expectedMs(['shared'], 'tenant-b')).not.toBe(0.1);
    expect(costs.expectedMs(['shared'], `ns-${MAX_SCOPES_PER_POLICY - 1}`)).toBe(0.1);
  });

  it('gives the heavy lane at most half the workers, and one policy at most half of that', () => {
    expect(heavyLimits(1)).toEqual({ lane: 1, perPolicy: 1 });
    expect(heavyLimits(2)).toEqual({ lane: 1, perPolicy: 1 });
    expect(heavyLimits(8)).toEqual({ lane: 4, perPolicy: 2 });
  });

  it('runs at most one job of a policy on probation (cost unknown) at once, and others beside it', async () => {
    const p = pool({ size: 2 });
    const fresh = policy('fresh', { busyMs: 60 }, { timeoutMillis: 1000 });
    const other = policy('other', {});
    await p.prepare(1, [fresh, other]);
    const order: string[] = [];
    const burst = [1, 2, 3].map((i) => p.run(job(1, [fresh])).then(() => order.push(`fresh${i}`)));
    const beside = p.run(job(1, [other])).then(() => order.push('other'));
    await Promise.all([...burst, beside]);
    // The burst waited for the first run to be measured; the other policy did not wait at all.
    expect(order[0]).toBe('other');
  });

  it('keeps a worker for light jobs while a heavy policy saturates its lane', async () => {
    const p = pool({ size: 2 });
    const slow = policy('slow', { busyMs: 120 }, { timeoutMillis: 1000 });
    const light = policy('light', {});
    await p.prepare(1, [slow, light]);
    // Teach the pool what each costs, then flood it with the heavy one.
    await p.run(job(1, [slow]));
    await p.run(job(1, [light]));
    const order: string[] = [];
    const flood = [1, 2, 3].map(() => p.run(job(1, [slow])).then(() => order.push('slow')));
    const quick = p.run(job(1, [light])).then(() => order.push('light'));
    await Promise.all([...flood, quick]);
    // The light job did not wait behind the heavy ones.
    expect(order.indexOf('light')).toBeLessThan(order.lastIndexOf('slow'));
    expect(order[0]).toBe('light');
  });

  /** A job of these policies on a Pod in this namespace, with the `big` label when asked. */
  const inNamespace = (namespace: string, policies: readonly ExecutablePolicy[], big = false): RunJob => ({
    generation: 1,
    request: request({ object: pod('web', namespace, big ? { labels: { big: 'yes' } } : {}) }),
    policies: policies.map((p) => ({ key: p.definition.identity.key, carry: true })),
  });

  it("does not queue one namespace's reviews of a shared policy behind another's that make it slow", async () => {
    const p = pool({ size: 2 });
    const shared = policy('shared', { ifLabel: 'big', busyMs: 120 }, { timeoutMillis: 1000 });
    await p.prepare(1, [shared]);
    // Tenant A's large objects make the policy slow; tenant B's are quick. Both measured first.
    await p.run(inNamespace('tenant-a', [shared], true));
    await p.run(inNamespace('tenant-b', [shared]));
    const order: string[] = [];
    const flood = [1, 2, 3, 4].map(() => p.run(inNamespace('tenant-a', [shared], true)).then(() => order.push('a')));
    const quick = p.run(inNamespace('tenant-b', [shared])).then(() => order.push('b'));
    await Promise.all([...flood, quick]);
    expect(order[0]).toBe('b');
  });

  it("gives a namespace's first review of a heavy policy the heavy lane's next turn, before another namespace's flood", async () => {
    const p = pool({ size: 2 });
    const shared = policy('shared', { busyMs: 60 }, { timeoutMillis: 1000 });
    await p.prepare(1, [shared]);
    await p.run(inNamespace('tenant-a', [shared]));
    const order: string[] = [];
    const flood = [1, 2, 3, 4].map(() => p.run(inNamespace('tenant-a', [shared])).then(() => order.push('a')));
    // Never measured in tenant-c: as heavy as the policy is overall, so it waits for the lane, but only for one turn.
    const first = p.run(inNamespace('tenant-c', [shared])).then(() => order.push('c'));
    await Promise.all([...flood, first]);
    expect(order.indexOf('c')).toBe(1);
  });

  it("holds one slot of the heavy lane for one namespace's compiles, leaving the rest to heavy policies", async () => {
    const p = pool({ size: 4 }); // the heavy lane: 2 workers, 1 per policy and namespace
    const heavy = policy('heavy', { busyMs: 60 }, { timeoutMillis: 1000 });
    await p.prepare(1, [heavy]);
    await p.run(inNamespace('tenant-b', [heavy]));
    const order: string[] = [];
    // Tenant A writes KCLRuns that are slow to compile: the admission check compiles each one.
    const slowCompile = (i: number) => {
      const written = policy(`slow-${i}`, { compileBusyMs: 250 });
      return p.compile(written).then(() => order.push('compile'));
    };
    const compiles = [1, 2, 3].map(slowCompile);
    const reviewOfB = p.run(inNamespace('tenant-b', [heavy])).then(() => order.push('b'));
    await Promise.all([...compiles, reviewOfB]);
    expect(order[0]).toBe('b');
  });

  it('runs background (audit) jobs only beside admission, on at most half the workers', async () => {
    const lanes: string[] = [];
    const p = pool({ size: 2, observer: { onQueueWait: (lane) => lanes.push(lane) } });
    const audit = policy('audit', { busyMs: 50 }, { timeoutMillis: 1000 });
    const admit = policy('admit', {});
    await p.prepare(1, [audit, admit]);
    lanes.length = 0; // the probe compile
    const background = (): RunJob => ({ ...job(1, [audit]), request: { ...request(), background: true } });
    const order: string[] = [];
    const audits = [1, 2, 3].map((i) => p.run(background()).then(() => order.push(`audit${i}`)));
    const admission = p.run(job(1, [admit])).then(() => order.push('admit'));
    await Promise.all([...audits, admission]);
    // One background job took a worker; the others waited while the admission job took the other.
    expect(lanes.slice(0, 2)).toEqual(['background', 'light']);
    expect(lanes.filter((l) => l === 'background')).toHaveLength(3);
    expect(order[0]).toBe('admit');
  });
});
