/**
 * The per-policy metrics must show on /metrics exactly what prom-client's Counter and Histogram
 * showed for the same updates: the same registry text, series order, bucket edges, escaping and
 * removal included.
 */
import { describe, expect, test } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import { POLICY_DURATION_BUCKETS } from './metrics.js';
import { PolicyHistogram, PolicyResultCounter } from './policy-metrics.js';

const COUNTER = { name: 'kclguard_policy_evaluations_total', help: 'Policy evaluations.' };
const HISTOGRAM = { name: 'kclguard_policy_evaluation_duration_seconds', help: 'Time one policy took.' };

function registries() {
  const reference = new Registry();
  const ours = new Registry();
  return {
    reference,
    ours,
    promCounter: new Counter({ ...COUNTER, labelNames: ['policy', 'result'], registers: [reference] }),
    promHistogram: new Histogram({ ...HISTOGRAM, labelNames: ['policy'], buckets: POLICY_DURATION_BUCKETS, registers: [reference] }),
    counter: new PolicyResultCounter({ ...COUNTER, registers: [ours] }),
    histogram: new PolicyHistogram({ ...HISTOGRAM, buckets: POLICY_DURATION_BUCKETS, registers: [ours] }),
  };
}

/** A small deterministic generator, so that a failure replays. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('per-policy metrics', () => {
  test('show what prom-client shows for the same updates', async () => {
    const m = registries();
    const policies = ['team-a/limits', 'cluster/p"q', 'ns/back\\slash', 'ns/new\nline'];
    const results = ['passed', 'mutated', 'violated', 'failed'];
    // Every bound exactly, between bounds, below the first and above the last.
    const durations = [...POLICY_DURATION_BUCKETS, 0, 0.00003, 0.0003, 0.07, 0.3, 7, 12.5];
    const random = sequence(7);
    const bound = new Map(policies.map((p) => [p, { time: m.histogram.bind(p), count: new Map(results.map((r) => [r, m.counter.bind(p, r)])) }]));
    for (let i = 0; i < 2000; i++) {
      const policy = policies[Math.floor(random() * policies.length)]!;
      const result = results[Math.floor(random() * results.length)]!;
      const seconds = durations[Math.floor(random() * durations.length)]! * (random() < 0.5 ? 1 : 1 + random() / 10);
      m.promCounter.labels({ policy, result }).inc();
      m.promHistogram.labels({ policy }).observe(seconds);
      bound.get(policy)!.count.get(result)!();
      bound.get(policy)!.time(seconds);
      if (i === 1500) {
        // A deleted policy's series go; a bound function brings them back on its next update.
        for (const r of results) m.promCounter.remove({ policy: policies[0]!, result: r });
        m.promHistogram.remove({ policy: policies[0]! });
        for (const r of results) m.counter.remove(policies[0]!, r);
        m.histogram.remove(policies[0]!);
      }
    }
    const ours = await m.ours.metrics();
    expect(ours).toBe(await m.reference.metrics());
    expect(ours).toContain('kclguard_policy_evaluation_duration_seconds_bucket{le="+Inf",policy="cluster/p\\"q"}');
    expect(JSON.stringify(await m.ours.getMetricsAsJSON())).toBe(JSON.stringify(await m.reference.getMetricsAsJSON()));
  });

  test('nothing observed: no series, as prom-client', async () => {
    const m = registries();
    expect(await m.ours.metrics()).toBe(await m.reference.metrics());
  });

  test('a duration that is not a finite number is not counted (prom-client would throw)', async () => {
    const m = registries();
    const time = m.histogram.bind('ns/p');
    time(Number.NaN);
    time(Number.POSITIVE_INFINITY);
    time(0.002);
    m.promHistogram.labels({ policy: 'ns/p' }).observe(0.002);
    expect(() => m.promHistogram.labels({ policy: 'ns/p' }).observe(Number.NaN)).toThrow(TypeError);
    expect(await m.ours.metrics()).toBe(await m.reference.metrics());
  });

  test('reset drops every series', async () => {
    const m = registries();
    m.histogram.bind('ns/p')(0.001);
    m.counter.bind('ns/p', 'passed')();
    m.histogram.reset();
    m.counter.reset();
    expect(await m.ours.metrics()).toBe(await m.reference.metrics());
  });
});
