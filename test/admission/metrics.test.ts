import { describe, expect, it } from '@jest/globals';
import { Registry, register as globalRegistry } from 'prom-client';
import { metricsObserver } from '../../src/observability/engine-observer.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/logger.js';

describe('metrics', () => {
  it('registers on the registry it is given, never on the global one, as often as asked', async () => {
    const before = (await globalRegistry.getMetricsAsJSON()).length;
    const a = createMetrics(new Registry());
    const b = createMetrics(new Registry());
    expect(a.registry).not.toBe(b.registry);
    expect((await globalRegistry.getMetricsAsJSON()).length).toBe(before);
    expect(await a.registry.metrics()).toContain('kclguard_process_cpu_seconds_total');
  });

  it('the engine observer counts results, failure actions and policy states, and skips not_selected', async () => {
    const metrics = createMetrics(new Registry(), { processMetrics: false });
    const observer = metricsObserver(metrics);
    observer.onPolicyEvaluated?.('team-a/labels', 'violated', 0.0004);
    observer.onPolicyEvaluated?.('team-a/labels', 'not_selected', 0);
    observer.onPolicyEvaluated?.('cluster/limits', 'failed', 0.002);
    observer.onFailureAction?.('cluster/limits', 'warn');
    observer.onPoliciesChanged?.({ ready: 4, invalid: 1 }, []);
    const text = await metrics.registry.metrics();
    expect(text).toContain('kclguard_policy_evaluations_total{policy="team-a/labels",result="violated"} 1');
    expect(text).not.toContain('not_selected');
    expect(text).toContain('kclguard_policy_evaluation_duration_seconds_count{policy="cluster/limits"} 1');
    expect(text).toContain('kclguard_policy_failure_actions_total{policy="cluster/limits",action="warn"} 1');
    expect(text).toContain('kclguard_policies{state="ready"} 4');
    expect(text).toContain('kclguard_policies{state="invalid"} 1');
  });

  it('removes the series of a deleted policy, and does not bring them back for reviews still on the old set', async () => {
    const metrics = createMetrics(new Registry(), { processMetrics: false });
    const observer = metricsObserver(metrics);
    const summary = (key: string, stale = false) => ({ key, state: 'ready' as const, stale });
    observer.onPoliciesChanged?.({ ready: 2, invalid: 0 }, [summary('team-a/gone'), summary('team-a/kept', true)]);
    observer.onPolicyEvaluated?.('team-a/gone', 'failed', 0.001);
    observer.onFailureAction?.('team-a/gone', 'abort');
    observer.onViolation?.('team-a/gone', ['Deny', 'Audit']);
    observer.onPolicyEvaluated?.('team-a/kept', 'passed', 0.001);
    let text = await metrics.registry.metrics();
    expect(text).toContain('kclguard_policy_evaluations_total{policy="team-a/gone",result="failed"} 1');
    expect(text).toContain('kclguard_policy_stale{policy="team-a/kept"} 1');
    expect(text).toContain('kclguard_policy_stale{policy="team-a/gone"} 0');
    expect(text).toContain('kclguard_policy_violation_actions_total{policy="team-a/gone",action="Audit"} 1');

    observer.onPoliciesChanged?.({ ready: 1, invalid: 0 }, [summary('team-a/kept')]);
    observer.onPolicyEvaluated?.('team-a/gone', 'passed', 0.001);
    observer.onFailureAction?.('team-a/gone', 'warn');
    observer.onViolation?.('team-a/gone', ['Warn']);
    text = await metrics.registry.metrics();
    expect(text).not.toContain('team-a/gone');
    expect(text).toContain('kclguard_policy_evaluations_total{policy="team-a/kept",result="passed"} 1');
    expect(text).toContain('kclguard_policy_stale{policy="team-a/kept"} 0');
  });
});

describe('logger', () => {
  it('writes JSON lines at the chosen level and never writes an object payload', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    logger.debug({ uid: 'u0' }, 'hidden');
    logger.info({ uid: 'u1', object: { kind: 'Secret', data: { password: 'aHVudGVyMg==' } } }, 'admission denied');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 30, uid: 'u1', msg: 'admission denied', object: '[omitted]' });
    expect(lines[0]).not.toContain('aHVudGVyMg==');
  });
});
