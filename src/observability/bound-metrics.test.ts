/**
 * The bound metrics must show on /metrics exactly what prom-client's Counter, Histogram and Gauge
 * showed for the same updates: the same registry text, series order, bucket edges, escaping and
 * removal included.
 */
import { describe, expect, test } from '@jest/globals';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ADMISSION_DURATION_BUCKETS, POLICY_DURATION_BUCKETS } from './metrics.js';
import { BoundCounter, BoundHistogram, CountGauge } from './bound-metrics.js';

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
    counter: new BoundCounter({ ...COUNTER, labelNames: ['policy', 'result'], registers: [ours] }),
    histogram: new BoundHistogram({ ...HISTOGRAM, labelNames: ['policy'], buckets: POLICY_DURATION_BUCKETS, registers: [ours] }),
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

describe('bound metrics', () => {
  test('show what prom-client shows for the same updates', async () => {
    const m = registries();
    const policies = ['team-a/limits', 'cluster/p"q', 'ns/back\\slash', 'ns/new\nline'];
    const results = ['passed', 'mutated', 'violated', 'failed'];
    // Every bound exactly, between bounds, below the first and above the last.
    const durations = [...POLICY_DURATION_BUCKETS, 0, 0.00003, 0.0003, 0.07, 0.3, 7, 12.5];
    const random = sequence(7);
    const bound = new Map(policies.map((p) => [p, { time: m.histogram.bind({ policy: p }), count: new Map(results.map((r) => [r, m.counter.bind({ policy: p, result: r })])) }]));
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
        for (const r of results) m.counter.remove({ policy: policies[0]!, result: r });
        m.histogram.remove({ policy: policies[0]! });
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
    const time = m.histogram.bind({ policy: 'ns/p' });
    time(Number.NaN);
    time(Number.POSITIVE_INFINITY);
    time(0.002);
    m.promHistogram.labels({ policy: 'ns/p' }).observe(0.002);
    expect(() => m.promHistogram.labels({ policy: 'ns/p' }).observe(Number.NaN)).toThrow(TypeError);
    expect(await m.ours.metrics()).toBe(await m.reference.metrics());
  });

  test('reset drops every series', async () => {
    const m = registries();
    m.histogram.bind({ policy: 'ns/p' })(0.001);
    m.counter.bind({ policy: 'ns/p', result: 'passed' })();
    m.histogram.reset();
    m.counter.reset();
    expect(await m.ours.metrics()).toBe(await m.reference.metrics());
  });

  test("three labels in the caller's order, and an unlabelled gauge, show what prom-client shows", async () => {
    const reference = new Registry();
    const ours = new Registry();
    const config = { name: 'kclguard_admission_requests_total', help: 'Reviews.', labelNames: ['webhook', 'operation', 'decision'] as const };
    const promRequests = new Counter({ ...config, labelNames: [...config.labelNames], registers: [reference] });
    const requests = new BoundCounter({ ...config, registers: [ours] });
    const wait = { name: 'kclguard_policy_queue_wait_seconds', help: 'Waits.', buckets: ADMISSION_DURATION_BUCKETS };
    const promWait = new Histogram({ ...wait, labelNames: ['lane'], registers: [reference] });
    const waitOf = new BoundHistogram({ ...wait, labelNames: ['lane'], registers: [ours] });
    const gauge = { name: 'kclguard_admission_requests_in_flight', help: 'In flight.' };
    const promInFlight = new Gauge({ ...gauge, registers: [reference] });
    const inFlight = new CountGauge({ ...gauge, registers: [ours] });
    expect(await ours.metrics()).toBe(await reference.metrics());

    const random = sequence(11);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const bound = new Map<string, () => void>();
    const lanes = new Map(['light', 'heavy'].map((lane) => [lane, waitOf.bind({ lane })]));
    for (let i = 0; i < 500; i++) {
      const labels = { webhook: pick(['mutate', 'validate']), operation: pick(['CREATE', 'UPDATE', 'unknown']), decision: pick(['allowed', 'patched', 'rejected']) };
      promRequests.inc(labels);
      const key = JSON.stringify(labels);
      if (!bound.has(key)) bound.set(key, requests.bind(labels));
      bound.get(key)!();
      const lane = pick(['light', 'heavy']);
      const seconds = pick(ADMISSION_DURATION_BUCKETS) * (1 + random() / 5);
      promWait.labels({ lane }).observe(seconds);
      lanes.get(lane)!(seconds);
      if (random() < 0.6) {
        promInFlight.inc();
        inFlight.inc();
      } else {
        promInFlight.dec();
        inFlight.dec();
      }
    }
    expect(await ours.metrics()).toBe(await reference.metrics());
    expect(JSON.stringify(await ours.getMetricsAsJSON())).toBe(JSON.stringify(await reference.getMetricsAsJSON()));
  });

  test("labels other than the metric's are refused when binding, as prom-client refuses them", () => {
    const counter = new BoundCounter({ ...COUNTER, labelNames: ['policy', 'result'], registers: [] });
    expect(() => counter.bind({ policy: 'ns/p' } as never)).toThrow(/do not match/);
    expect(() => counter.bind({ policy: 'ns/p', result: 'passed', extra: 'x' } as never)).toThrow(/do not match/);
    expect(() => counter.bind({ policy: 'ns/p', outcome: 'passed' } as never)).toThrow(/do not match/);
  });
});
