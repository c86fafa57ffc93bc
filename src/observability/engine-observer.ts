/** The engine's EngineObserver and the worker pool's PoolObserver, implemented with kclguard's metrics. */
import type { EngineObserver, FailureAction, PolicyResult, PolicyState, PoolObserver } from '../engine/index.js';
import { POLICY_RESULTS, type Metrics, type PolicyResultLabel } from './metrics.js';

const COUNTED_RESULTS: ReadonlySet<string> = new Set(POLICY_RESULTS);

export function metricsObserver(metrics: Metrics): EngineObserver {
  return {
    onPolicyEvaluated(policy: string, result: PolicyResult, seconds: number): void {
      // not_selected is by far the most common result and says nothing about the policy's health;
      // counting it would multiply series by every policy for every request.
      if (!COUNTED_RESULTS.has(result)) return;
      metrics.policyEvaluations.inc({ policy, result: result as PolicyResultLabel });
      metrics.policyEvaluationDuration.observe({ policy }, seconds);
    },
    onFailureAction(policy: string, action: FailureAction): void {
      metrics.policyFailureActions.inc({ policy, action });
    },
    onViolation(policy, actions): void {
      for (const action of actions) metrics.policyViolationActions.inc({ policy, action });
    },
    onPoliciesChanged(counts: Readonly<Record<PolicyState, number>>): void {
      for (const [state, count] of Object.entries(counts)) metrics.policies.set({ state }, count);
    },
  };
}

export function poolObserver(metrics: Metrics): PoolObserver {
  return {
    onWorkerStopped(cause) {
      metrics.workerStops.inc({ cause });
    },
    onQueueWait(lane, seconds) {
      metrics.queueWait.observe({ lane }, seconds);
    },
    onWorkers(counts) {
      for (const [state, count] of Object.entries(counts)) metrics.workers.set({ state }, count);
    },
  };
}
